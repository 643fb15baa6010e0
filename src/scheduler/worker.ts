// Piscina worker entry: trains one trial per task; everything it has to say, the outcome included,
// goes down the task's one port (messages.ts). The task itself resolves to nothing. The same port
// carries the main thread's one request, to stop: the trial then ends at its next minibatch.
import type { TransferListItem } from 'node:worker_threads';
import { runTrial } from '../train/trial.js';
import type { StopRequest, TrialFailure, TrialMessage, TrialTask } from './messages.js';

export default async function trainTrial(task: TrialTask): Promise<void> {
  const post = (message: TrialMessage): void => {
    // Weights can be megabytes: move their buffers instead of copying them.
    const transfer: TransferListItem[] =
      message.type === 'weights' ? message.files.map((f) => f.data.buffer as ArrayBuffer) : [];
    task.events.postMessage(message, transfer);
  };
  const stop = new AbortController();
  task.events.on('message', (m: StopRequest) => {
    if (m.type === 'stop') stop.abort();
  });
  // The copy is read instead of the path; the trial's config, as recorded, still names the path.
  const config = task.corpusFile === undefined ? task.config : { ...task.config, data: { ...task.config.data, corpus: task.corpusFile } };
  try {
    post({ type: 'result', result: await runTrial(config, { baseDir: task.baseDir, onEvent: post, signal: stop.signal }) });
  } catch (err) {
    // Whatever ended a trial that was asked to stop, it stopped because it was asked.
    post(stop.signal.aborted ? { type: 'stopped' } : failureOf(err));
  } finally {
    task.events.close();
  }
}

/** Out of memory shows up as one of V8's or WebAssembly's allocation errors, not as a type of its own. */
const OUT_OF_MEMORY = /Array buffer allocation failed|Invalid typed array length|Maximum memory size exceeded|WebAssembly\.Memory|out of memory|Cannot allocate/i;

function failureOf(err: unknown): TrialFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  const reason = e.name === 'DivergedError' ? 'diverged' : OUT_OF_MEMORY.test(e.message) ? 'out_of_memory' : 'error';
  return { type: 'failure', reason, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
}
