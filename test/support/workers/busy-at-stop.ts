// A trial worker that is in one uninterruptible stretch of native calls when the sweep is stopped,
// as the real worker is while koffi loads and the BLAS check runs: it loads OpenBLAS through koffi
// over and over for 600 ms, marking the stretch's start and end in files, then answers the stop
// request as the real worker does. Terminating a thread there kills the whole process ("FATAL
// ERROR: Error::ThrowAsJavaScriptException napi_throw"), so a sweep that terminates instead of
// asking dies, and never sees the end marker. Without koffi or OpenBLAS the stretch is a busy loop.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { autoCandidates } from '../../../src/train/fast/blas.js';
import type { StopRequest, TrialMessage, TrialTask } from '../../../src/scheduler/messages.js';

type Koffi = { load(path: string): { func(signature: string): (...args: unknown[]) => unknown } };

function nativeCall(): () => void {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const library = autoCandidates()[0] as string;
    koffi.load(library);
    return () => void koffi.load(library).func('void openblas_set_num_threads(int)')(1);
  } catch {
    return () => {};
  }
}

export default async function busyAtStop(task: TrialTask): Promise<void> {
  const markers = process.env.RUN_SWEEP_TEST_MARKERS ?? '/tmp';
  let asked = false;
  task.events.on('message', (m: StopRequest) => void (asked ||= m.type === 'stop'));
  const post = (m: TrialMessage): void => task.events.postMessage(m);
  if (process.env.RUN_SWEEP_TEST_IGNORE_STOP === '1') {
    writeFileSync(join(markers, 'entered'), '');
    await new Promise(() => setInterval(() => {}, 1000)); // never ends: only terminating stops it
  }
  const call = nativeCall();
  writeFileSync(join(markers, 'entered'), '');
  const until = Date.now() + 600;
  while (Date.now() < until) call(); // synchronous: a terminate() here ends the thread mid-stretch
  writeFileSync(join(markers, 'left'), '');
  await new Promise((resolve) => setTimeout(resolve, 20)); // the stop request is delivered now
  post(asked ? { type: 'stopped' } : { type: 'failure', reason: 'error', message: 'never asked to stop' });
  task.events.close();
}
