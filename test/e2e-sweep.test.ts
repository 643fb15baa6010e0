// The whole product through the real command: YAML → trials on worker threads → MLflow's layout,
// read back with the port of MLflow's own FileStore reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { workspace } from './support/workspace.js';
import { runCli } from './support/cli.js';
import { MlflowFileStoreReader, type Run } from './support/mlflow-reader.js';

const SWEEP = `
name: e2e
data: {max_tokens: 3000}
model: {hidden_size: 16}
train: {epochs: 1, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 10}
sweep: {grid: {model.cell: [rnn, gru, lstm]}, workers: 2}
`;


function storeRuns(cwd: string): { reader: MlflowFileStoreReader; runs: Run[] } {
  const reader = new MlflowFileStoreReader(join(cwd, 'runs'));
  const experiment = reader.getExperimentByName('e2e');
  assert.ok(experiment, 'the experiment is in the store');
  return { reader, runs: reader.searchRuns([experiment.experiment_id]) };
}

async function dryRunIds(cwd: string): Promise<string[]> {
  const dry = await runCli(['sweep.yaml', '--dry-run'], cwd);
  return [...dry.stdout.matchAll(/^([0-9a-f]{10}) /gm)].map((m) => m[1]);
}

test('a 3-trial sweep trains on 2 workers and MLflow reads every run back', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const ids = await dryRunIds(cwd);
  assert.equal(ids.length, 3);

  const result = await runCli(['sweep.yaml', '--per-trial'], cwd);
  assert.equal(result.code, 0, result.stderr);
  for (const id of ids) assert.match(result.stdout, new RegExp(`^${id}\\s+(rnn|gru|lstm)\\s+[\\d.]+\\s+[\\d.]+\\s+\\d+\\s+[\\d.]+s\\s+finished$`, 'm'));
  assert.match(result.stdout, /^best trial [0-9a-f]{10} \(cell=\w+\), sample:\n {2}the /m);

  const { reader, runs } = storeRuns(cwd);
  assert.equal(runs.length, 4, 'one parent and three trials');
  const parents = runs.filter((r) => r.data.tags['run_sweep.role'] === 'sweep');
  assert.equal(parents.length, 1);
  const parent = parents[0];
  assert.equal(parent.info.status, 'FINISHED');
  assert.equal(parent.data.params['sweep.grid'], 'model.cell×3', 'the grid in short; sweep.yaml holds it whole');
  assert.equal(parent.data.params['model.cell'], undefined, 'a swept key is no parent param');
  assert.ok(Number.isFinite(parent.data.metrics.best_val_perplexity));

  const children = runs.filter((r) => r !== parent);
  assert.deepEqual(children.map((r) => r.data.tags['run_sweep.trial_id']).sort(), [...ids].sort());
  for (const run of children) {
    const cell = run.data.params['model.cell'];
    assert.equal(run.info.status, 'FINISHED');
    assert.ok(run.info.end_time !== null && run.info.end_time >= run.info.start_time);
    assert.equal(run.data.tags['mlflow.parentRunId'], parent.info.run_id);
    assert.equal(run.data.tags['mlflow.runName'], `cell=${cell}`);
    assert.equal(run.info.run_name, `cell=${cell}`);
    assert.equal(run.data.tags['mlflow.source.type'], 'LOCAL');
    assert.equal(run.data.params['model.hidden_size'], '16');
    assert.equal(run.data.params.backend, 'wasm');
    assert.match(run.data.params.kernels ?? '', /^(relaxed-simd|simd)$/);
    const vocab = Number(run.data.params.vocab_size);
    assert.ok(vocab > 20 && vocab < 100, `vocab_size ${vocab}`);
    for (const key of ['train_perplexity', 'val_perplexity', 'tokens_per_second', 'grad_norm', 'lr']) {
      const history = reader.getMetricHistory(run.info.run_id, key);
      assert.equal(history.length, 1, key);
      assert.equal(history[0].step, 1, key);
      assert.ok(Number.isFinite(history[0].value), key);
    }
    // One epoch of a tiny model is barely better than a uniform guess over the vocabulary.
    const ppl = reader.getMetricHistory(run.info.run_id, 'train_perplexity')[0].value;
    assert.ok(ppl > 5 && ppl < vocab * 1.1, `train perplexity ${ppl}`);
    const artifacts = reader.listArtifacts(run.info.run_id).sort();
    assert.deepEqual(artifacts, ['config.yaml', 'model/model.json', 'model/weights.bin', 'samples/epoch_001.txt']);
    assert.match(reader.readArtifact(run.info.run_id, 'config.yaml').toString(), new RegExp(`cell: ${cell}`));
    assert.match(reader.readArtifact(run.info.run_id, 'samples/epoch_001.txt').toString(), /^prefix: "the "\nthe /);
  }
});

test('running the same sweep again reuses finished trials; --rerun trains them again', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP.replace('[rnn, gru, lstm]', '[rnn, gru]') });
  assert.equal((await runCli(['sweep.yaml'], cwd)).code, 0);

  const again = await runCli(['sweep.yaml', '--per-trial'], cwd);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.match(/reused: a finished run exists/g)?.length, 2);
  assert.doesNotMatch(again.stdout, /started/);
  assert.equal(again.stdout.match(/^[0-9a-f]{10}\s.*\sreused$/gm)?.length, 2, 'the summary lists the reused trials');
  assert.equal(storeRuns(cwd).runs.length, 1 + 2, 'one parent (a reuse-only invocation adds none), and the two trials once');

  const rerun = await runCli(['sweep.yaml', '--rerun'], cwd);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(rerun.stdout.match(/\] started/g)?.length, 2);
  assert.equal(storeRuns(cwd).runs.length, 2 + 4);
});

test('a trial that throws is marked FAILED with its error; the others finish; exit 1', async () => {
  // Divergence is found only by training, so it still fails inside a trial (a short corpus no longer can: preflight).
  const cwd = workspace({
    'sweep.yaml': SWEEP.replace('train: {epochs: 1,', 'train: {clip_norm: 0, epochs: 1,').replace('sweep: {grid: {model.cell: [rnn, gru, lstm]}', 'sweep: {grid: {train.lr: [1, 1.0e+30]}'),
  });
  const result = await runCli(['sweep.yaml'], cwd);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /failed \(diverged\): training diverged in epoch 1/);
  assert.match(result.stdout, /^[0-9a-f]{10}\s+1\s.*finished$/m);

  const { reader, runs } = storeRuns(cwd);
  const failed = runs.filter((r) => r.info.status === 'FAILED' && r.data.tags['run_sweep.trial_id']);
  assert.equal(failed.length, 1);
  assert.equal(failed[0].data.tags['run_sweep.failure'], 'diverged');
  assert.match(reader.readArtifact(failed[0].info.run_id, 'error.txt').toString(), /training diverged/);
  assert.equal(runs.filter((r) => r.info.status === 'FINISHED' && r.data.tags['run_sweep.trial_id']).length, 1);
  assert.equal(runs.find((r) => r.data.tags['run_sweep.role'] === 'sweep')?.info.status, 'FAILED');
});

test('word-level and bidirectional trials run end to end, and the summary marks the bidirectional one', async () => {
  const cwd = workspace({
    'sweep.yaml': `
name: e2e
data: {level: word, max_tokens: 3000, min_freq: 2, lowercase: true, normalize: letters}
model: {cell: gru, hidden_size: 8}
train: {epochs: 1, batch_size: 4, num_steps: 8}
sample: {prefixes: ["call me"], length: 3}
sweep: {grid: {model.bidirectional: [false, true]}, workers: 2}
`,
  });
  const result = await runCli(['sweep.yaml', '--per-trial'], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^[0-9a-f]{10}\s+true\s.*finished \(bidirectional: sees the future, perplexity flatters\)$/m);
  assert.match(result.stdout, /^[0-9a-f]{10}\s+false\s.*finished$/m);
  assert.match(result.stdout, /best trial [0-9a-f]{10} \(bidirectional=false\), sample:\n {2}call me( \S+){3}\n/);

  const { runs } = storeRuns(cwd);
  const bidirectional = runs.filter((r) => r.data.params['model.bidirectional'] === 'true');
  assert.equal(bidirectional.length, 1);
  assert.equal(bidirectional[0].data.tags['run_sweep.sees_future'], 'true');
  assert.equal(runs.filter((r) => r.data.tags['run_sweep.sees_future']).length, 1);
});
