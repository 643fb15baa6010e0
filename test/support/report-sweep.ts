// The tiny sweep the report tests train through the real command: two cells × two seeds that
// finish, and one configuration that diverges (lr 1e30 without clipping) on both seeds.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from './cli.js';
import { workspace } from './workspace.js';
import { FileStoreTracker } from '../../src/track/file-store.js';

export const REPORT_SWEEP = `
name: tiny-report
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 3, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5, every_epochs: 1}
sweep:
  grid: {model.cell: [rnn, gru]}
  include:
    - {model.cell: rnn, train.lr: 1.0e+30, train.clip_norm: 0}
  seeds: [0, 1]
  workers: 2
`;

/** A workspace with sweep.yaml, swept by the real command (exit 1: the diverging trials fail). */
export async function sweptWorkspace(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const cwd = workspace({ 'sweep.yaml': REPORT_SWEEP });
  const result = await runCli(['sweep.yaml', ...args], cwd, env);
  assert.equal(result.code, 1, `the sweep should fail only its diverging trials:\n${result.stdout}\n${result.stderr}`);
  return cwd;
}

/** A check run as `run-sweep check` records it: tagged run_sweep.role=check, with check.json. */
export async function recordCheck(cwd: string, experiment: string, verdicts: unknown[], startTime = Date.now()): Promise<void> {
  const store = new FileStoreTracker(join(cwd, 'runs'), cwd, { onWarning: () => {} });
  const id = await store.experiment(experiment);
  const run = await store.createRun(id, { runName: 'check', startTime, tags: { 'run_sweep.role': 'check' }, params: {} });
  await store.logArtifact(run, 'check.json', JSON.stringify({ baseline: 'baseline.json', verdicts }));
  await store.endRun(run, 'FINISHED', startTime + 1);
}
