// The sweep's parent run carries the configurations' figures (seeds as replicates), and no run's
// params carry `check.*`, which says how a check judges a sweep, not what was trained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';
import { workspace } from './support/workspace.js';

test('the parent run gets the best configuration\'s mean, sample std and n, and its id; check.* is no param', async () => {
  const cwd = workspace({
    'sweep.yaml': `
name: grouped
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 2, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5, every_epochs: 2}
sweep: {grid: {model.cell: [rnn, gru]}, seeds: [0, 1], workers: 2}
engine: {backend: wasm}
check: {metrics: {val_perplexity: {max_increase: 0.05}}}
`,
  });
  const result = await runCli(['sweep.yaml'], cwd);
  assert.equal(result.code, 0, result.stderr);
  // the console: one row per configuration (n = 2, mean ± std), and the best configuration
  assert.match(result.stdout, /^configuration\s+model\.cell\s+n\s+val ppl\s+train ppl\s+tokens\/s\s+status$/m);
  for (const cell of ['rnn', 'gru']) assert.match(result.stdout, new RegExp(`^[0-9a-f]{10}\\s+${cell}\\s+2\\s+[\\d.]+ ± [\\d.]+\\s+[\\d.]+ ± [\\d.]+\\s+\\d+ ± \\d+\\s+2 finished$`, 'm'));
  const reader = new MlflowFileStoreReader(join(cwd, 'runs'));
  const runs = reader.searchRuns([reader.getExperimentByName('grouped')!.experiment_id]);
  const parent = runs.find((r) => r.data.tags['run_sweep.role'] === 'sweep')!;
  const trials = runs.filter((r) => r !== parent);
  const bestId = parent.data.tags['run_sweep.best_config_id'];
  assert.match(bestId ?? '', /^[0-9a-f]{10}$/);
  assert.match(parent.data.tags['run_sweep.best_config_label'] ?? '', /^cell=(rnn|gru)$/);
  const cell = parent.data.tags['run_sweep.best_config_label']!.slice('cell='.length);
  const vals = trials.filter((r) => r.data.params['model.cell'] === cell).map((r) => r.data.metrics.trial_val_perplexity!);
  assert.equal(vals.length, 2);
  const mean = (vals[0]! + vals[1]!) / 2;
  assert.ok(Math.abs(parent.data.metrics.best_config_val_perplexity_mean! - mean) < 1e-9 * mean);
  // n − 1 = 1: the std of two values is |a − b| / √2
  assert.ok(Math.abs(parent.data.metrics.best_config_val_perplexity_std! - Math.abs(vals[0]! - vals[1]!) / Math.SQRT2) < 1e-9 * mean);
  assert.equal(parent.data.metrics.best_config_seeds, 2);
  assert.equal(parent.data.metrics.configurations, 2);
  assert.match(result.stdout, new RegExp(`^best configuration ${bestId} \\(cell=${cell}\\): val ppl [\\d.]+ ± [\\d.]+ over 2 seed\\(s\\); sample from seed=0, trial [0-9a-f]{10}:\\n {2}the `, 'm'));
  for (const run of runs) assert.deepEqual(Object.keys(run.data.params).filter((k) => k.startsWith('check.')), [], 'no check.* param');
});
