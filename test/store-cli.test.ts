// The store's safety through the real command: ./runs being a file, a torn metric line left in the
// store, and four first-time sweeps of one experiment started together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './support/cli.js';
import { workspace } from './support/workspace.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';

const SWEEP = `name: x
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 2, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
sweep: {grid: {model.cell: [rnn, gru]}, workers: 1}
`;

test('./runs being a regular file: exit 2 and one line naming it, no stack trace', async () => {
  const cwd = workspace({ 'x.yaml': SWEEP, runs: 'a file' });
  const r = await runCli(['x.yaml'], cwd);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.includes(path.join(fs.realpathSync(cwd), 'runs')) || lines[0]!.includes(path.join(cwd, 'runs')), r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.equal(fs.readFileSync(path.join(cwd, 'runs'), 'utf8'), 'a file');
});

test('a torn last metric line in a finished run: the next sweep warns naming the file, repairs it, and reuses the trial', async () => {
  const cwd = workspace({ 'x.yaml': SWEEP });
  const first = await runCli(['x.yaml'], cwd);
  assert.equal(first.code, 0, first.stderr);
  const root = path.join(cwd, 'runs');
  const reader = new MlflowFileStoreReader(root);
  const exp = reader.getExperimentByName('x')!;
  const trial = reader.searchRuns([exp.experiment_id]).find((r) => r.data.tags['run_sweep.trial_id'] !== undefined)!;
  const file = path.join(root, exp.experiment_id, trial.info.run_id, 'metrics', 'val_perplexity');
  const whole = fs.readFileSync(file, 'utf8');
  fs.appendFileSync(file, '1760000000000 12.'); // what a full disk or a kill mid-write leaves
  const second = await runCli(['x.yaml'], cwd);
  assert.equal(second.code, 0, second.stderr);
  assert.ok(second.stderr.includes(file), second.stderr);
  assert.equal(fs.readFileSync(file, 'utf8'), whole);
  assert.equal(new MlflowFileStoreReader(root).searchRuns([exp.experiment_id]).filter((r) => r.info.status === 'FINISHED').length >= 3, true);
});

test('four first-time sweeps of one experiment started together make one experiment', async () => {
  const cwd = workspace({ 'x.yaml': SWEEP.replace('[rnn, gru]', '[rnn]').replace('epochs: 2', 'epochs: 1') });
  const results = await Promise.all(Array.from({ length: 4 }, () => runCli(['x.yaml'], cwd)));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const names = new MlflowFileStoreReader(path.join(cwd, 'runs')).searchExperiments().map((e) => e.name).sort();
  assert.deepEqual(names, ['Default', 'x']);
});
