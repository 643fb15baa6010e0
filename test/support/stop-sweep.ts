// Runs a one-trial sweep on the busy-at-stop worker, stops it once the worker is inside its
// stretch, and prints the trials' statuses as JSON. A child process, so that a sweep that crashes
// the process shows up as an exit code rather than taking the test runner down.
// usage: node stop-sweep.js <markers dir> [grace ms]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expandTrials } from '../../src/plan/expand.js';
import { runSweep } from '../../src/scheduler/sweep.js';
import { loadExperimentText } from './experiment.js';

const [markers = '/tmp', grace] = process.argv.slice(2);
process.env.RUN_SWEEP_TEST_MARKERS = markers;
const trials = expandTrials(loadExperimentText('name: stop\ndata: {max_tokens: 3000}\nmodel: {hidden_size: 8}\ntrain: {epochs: 1}\n'));
const stop = new AbortController();
const watch = (async () => {
  while (!existsSync(join(markers, 'entered'))) await new Promise((r) => setTimeout(r, 5));
  stop.abort({ signal: 'SIGINT', time: Date.now() });
})();
const { reports } = await runSweep({
  trials, baseDir: process.cwd(), sizing: new Map(), workers: 1, rerun: false, trialTimeoutMs: null,
  maxMemoryMb: null, retries: 0, signal: stop.signal, experiment: 'stop', location: 'memory', onEvent: () => {},
  ledger: { reap: async () => 0, finished: async () => new Map(), claim: async () => ({ release: () => {} }), record: async () => {} },
  workerUrl: new URL('./workers/busy-at-stop.js', import.meta.url),
  ...(grace ? { stopGraceMs: Number(grace) } : {}),
});
await watch;
console.log(JSON.stringify(reports.map((r) => r.status)));
