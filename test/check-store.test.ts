// `--baseline mlflow:<experiment>`: the last finished sweep in the tracking store (local or a server) is the baseline, and
// every check is recorded as a run of its own for reports to find.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { FakeMlflowServer } from './support/fake-mlflow.js';
import { runCheck } from './support/check-run.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';
import { workspace } from './support/workspace.js';

const SWEEP = `
name: check-store
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 2, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5, every_epochs: 2}
sweep: {grid: {model.cell: [rnn, gru]}, seeds: [0, 1], workers: 2}
engine: {backend: wasm}
`;

test('mlflow: baselines read the last finished sweep of the local store; each check is a run tagged with its verdict', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const none = await runCheck({ file: 'sweep.yaml', baseline: 'mlflow:check-store' }, cwd);
  assert.equal(none.code, 2, 'no store yet');
  assert.match(none.stderr, /^run-sweep: no MLflow store at \S+runs: the directory does not exist/);

  const sweep = await runCli(['sweep.yaml'], cwd);
  assert.equal(sweep.code, 0, sweep.stderr);
  const other = await runCheck({ file: 'sweep.yaml', baseline: 'mlflow:nope' }, cwd);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /^run-sweep: cannot read the baseline mlflow:nope: no experiment 'nope' in \S+; run the sweep/);
  const pass = await runCheck({ file: 'sweep.yaml', baseline: 'mlflow:check-store' }, cwd);
  assert.equal(pass.code, 0, pass.stdout + pass.stderr);
  assert.match(pass.stdout, /^check against mlflow:check-store \(sweep run [0-9a-f]{32}\)/m);
  assert.match(pass.stdout, /^cell=gru \[[0-9a-f]{10}\]\s+val_perplexity\s+[\d.]+ \(n=2\)\s+[\d.]+ \(n=2\)\s+\+0\.00%.*pass/m);

  const fail = await runCheck({ file: 'sweep.yaml', baseline: 'mlflow:check-store', set: ['train.lr=0.01'] }, cwd);
  assert.equal(fail.code, 1, fail.stdout + fail.stderr);
  assert.match(fail.stdout, /^cell=rnn \[[0-9a-f]{10}\]\s+val_perplexity\s.*FAIL/m);

  // The failing check's sweep finished: it is now the store's last sweep, so a check of the same
  // settings against mlflow: compares it with itself and passes.
  assert.equal((await runCheck({ file: 'sweep.yaml', baseline: 'mlflow:check-store', set: ['train.lr=0.01'] }, cwd)).code, 0);

  const reader = new MlflowFileStoreReader(join(cwd, 'runs'));
  const experiment = reader.getExperimentByName('check-store')!;
  const checks = reader.searchRuns([experiment.experiment_id]).filter((r) => r.data.tags['run_sweep.role'] === 'check');
  assert.deepEqual(checks.map((r) => r.data.tags['run_sweep.check_verdict']).sort(), ['fail', 'pass', 'pass']);
  const failed = checks.find((r) => r.data.tags['run_sweep.check_verdict'] === 'fail')!;
  const artifact = JSON.parse(readFileSync(join(cwd, 'runs', experiment.experiment_id, failed.info.run_id, 'artifacts', 'check.json'), 'utf8')) as { baseline: string; verdicts: Record<string, unknown>[] };
  assert.equal(artifact.baseline, 'mlflow:check-store');
  assert.deepEqual(Object.keys(artifact.verdicts[0]!).slice(0, 8), ['configId', 'label', 'metric', 'baseline', 'now', 'change', 'allowed', 'verdict']);
  assert.ok(artifact.verdicts.some((v) => v.verdict === 'fail' && v.metric === 'val_perplexity'));
  assert.ok(checks.every((r) => r.info.status === 'FINISHED'));
});

test('--update-baseline refuses an mlflow: baseline', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const result = await runCheck({ file: 'sweep.yaml', baseline: 'mlflow:check-store', updateBaseline: true }, cwd);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^run-sweep: --update-baseline writes a file; mlflow:check-store is the tracking store itself/);
});

test('mlflow: baselines read a tracking server too: the sweep, then the check from the server alone', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const cwd = workspace({ 'sweep.yaml': SWEEP });
    const sweep = await runCli(['sweep.yaml', '--tracking-uri', server.uri], cwd);
    assert.equal(sweep.code, 0, sweep.stderr);
    // Nothing local to fall back on: the baseline must come from the server.
    rmSync(join(cwd, 'runs'), { recursive: true });
    const pass = await runCheck({ file: 'sweep.yaml', baseline: 'mlflow:check-store', trackingUri: server.uri }, cwd);
    assert.equal(pass.code, 0, pass.stdout + pass.stderr);
    assert.match(pass.stdout, /^check against mlflow:check-store \(sweep run [0-9a-f]+\)/m);
    assert.match(pass.stdout, /^cell=rnn \[[0-9a-f]{10}\]\s+val_perplexity\s+[\d.]+ \(n=2\)\s+[\d.]+ \(n=2\)\s+\+0\.00%.*pass/m);
  } finally {
    await server.stop();
  }
});
