// Honest figures: tokens/s means one thing everywhere, the parent run holds only what every trial
// shares, a reuse-only invocation adds no parent, a grid of any size is accepted, and a trial whose
// tokens are mostly <unk> is never called best.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './support/cli.js';
import { workspace } from './support/workspace.js';
import { parentRuns, storeRuns, trialRuns } from './support/store-runs.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';
import { join } from 'node:path';
import { parse } from 'yaml';
import { bestReport } from '../src/scheduler/ranking.js';
import type { TrialReport } from '../src/scheduler/events.js';
import { expandTrials } from '../src/plan/expand.js';
import { loadExperimentText } from './support/experiment.js';

const SWEEP = `
name: figures
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 2, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
sweep: {grid: {model.cell: [rnn, gru]}, workers: 2}
`;

/** tokens/s per trial id, as the summary table prints it. */
function summaryTokensPerSecond(stdout: string): Map<string, string> {
  const rows = stdout.split('\n').filter((l) => /^[0-9a-f]{10} /.test(l));
  return new Map(rows.map((l) => {
    const cells = l.trim().split(/\s{2,}/);
    return [cells[0]!, cells[4]!];
  }));
}

test('a reused trial shows the same tokens/s as when it was trained: the trial\'s total tokens over total seconds', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const first = await runCli(['sweep.yaml', '--per-trial'], cwd);
  assert.equal(first.code, 0, first.stderr);
  const again = await runCli(['sweep.yaml', '--per-trial'], cwd);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.match(/^\[[0-9a-f]{10} [^\]]*\] reused/gm)?.length ?? 0, 2, again.stdout);
  const trained = summaryTokensPerSecond(first.stdout);
  const reused = summaryTokensPerSecond(again.stdout);
  assert.equal(trained.size, 2);
  for (const run of trialRuns(cwd, 'figures')) {
    const id = run.data.tags['run_sweep.trial_id']!;
    const metric = Math.round(run.data.metrics.trial_tokens_per_second!);
    assert.equal(trained.get(id), String(metric));
    assert.equal(reused.get(id), String(metric));
  }
  assert.equal(parentRuns(cwd, 'figures').length, 1, 'the reuse-only invocation added no parent run');
});

test("the parent run's params hold only unswept values; the grid is in sweep.yaml", async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  assert.equal((await runCli(['sweep.yaml'], cwd)).code, 0);
  const [parent] = parentRuns(cwd, 'figures');
  assert.ok(parent);
  assert.equal(parent.data.params['model.cell'], undefined, 'a swept key is not a parent param');
  assert.equal(parent.data.params['model.hidden_size'], '8');
  assert.equal(parent.data.params['sweep.grid'], 'model.cell×2');
  const reader = new MlflowFileStoreReader(join(cwd, 'runs'));
  const sweep = parse(reader.readArtifact(parent.info.run_id, 'sweep.yaml').toString()) as { sweep: { grid: Record<string, unknown[]> }; trials: unknown[] };
  assert.deepEqual(sweep.sweep.grid['model.cell'], ['rnn', 'gru']);
  assert.equal(sweep.trials.length, 2);
});

test('a grid of 2000 values is accepted (it used to be refused as one 6000-character param)', async () => {
  const lrs = Array.from({ length: 2000 }, (_v, i) => (i + 1) / 1000);
  const cwd = workspace({ 'sweep.yaml': `${SWEEP.replace('{model.cell: [rnn, gru]}', `{train.lr: [${lrs.join(', ')}]}`)}` });
  const result = await runCli(['sweep.yaml', '--only', 'train.lr=1'], cwd);
  assert.equal(result.code, 0, result.stderr);
  const runs = storeRuns(cwd, 'figures');
  assert.equal(runs.length, 2, 'the parent and the one trial --only kept');
  const [parent] = parentRuns(cwd, 'figures');
  assert.ok(parent!.data.params['sweep.grid']!.length < 6000);
});

test('a degenerate trial (mostly <unk>) is never the best, however low its perplexity', () => {
  const trials = expandTrials(loadExperimentText('name: t\nsweep: {grid: {model.cell: [rnn, gru]}}\n'));
  const report = (i: number, ppl: number, degenerate: boolean): TrialReport => ({
    trial: trials[i]!, status: 'finished', runId: null, wallSeconds: 1, samples: [], degenerate,
    figures: { trainPerplexity: ppl, valPerplexity: ppl, tokensPerSecond: 1 },
  });
  assert.equal(bestReport([report(0, 1.0, true), report(1, 9.0, false)])?.trial.id, trials[1]!.id);
  assert.equal(bestReport([report(0, 1.0, true)]), undefined);
});
