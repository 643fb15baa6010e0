// Two identical sweeps started together on one store: one experiment, and each trial trained once
// (the other sweep waits for its claim and reuses the run), both exiting 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './support/cli.js';
import { workspace } from './support/workspace.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';
import { join } from 'node:path';
import { trialRuns } from './support/store-runs.js';

const SWEEP = `
name: shared
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 3, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
sweep: {grid: {model.cell: [rnn, gru, lstm]}, workers: 1}
`;

test('two identical sweeps at once: one experiment, one FINISHED run per trial, both exit 0', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const [a, b] = await Promise.all([runCli(['sweep.yaml'], cwd), runCli(['sweep.yaml'], cwd)]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const experiments = new MlflowFileStoreReader(join(cwd, 'runs')).searchExperiments().filter((e) => e.name === 'shared');
  assert.equal(experiments.length, 1);
  const runs = trialRuns(cwd, 'shared');
  assert.deepEqual(runs.map((r) => r.info.status), ['FINISHED', 'FINISHED', 'FINISHED'], 'no trial trained twice');
  assert.equal(new Set(runs.map((r) => r.data.tags['run_sweep.trial_id'])).size, 3);
  const started = (a.stdout + b.stdout).match(/^\[[0-9a-f]{10} [^\]]*\] started/gm)?.length;
  assert.equal(started, 3, 'three trainings between the two sweeps');
});
