// Seeds as replicates in the console summary: configurations ranked by their mean, mean ± sample
// std and n, and the best configuration never stood in for by its luckiest seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configId, configLabel } from '../src/plan/config-id.js';
import { expandTrials } from '../src/plan/expand.js';
import { stat } from '../src/check/replicates.js';
import { formatSummary } from '../src/report/summary.js';
import type { TrialReport } from '../src/scheduler/events.js';
import { loadExperimentText } from './support/experiment.js';

// rnn seeds 0,1,2 then gru seeds 0,1,2
const trials = expandTrials(loadExperimentText('name: r\nsweep: {grid: {model.cell: [rnn, gru]}, seeds: [0, 1, 2]}\n'));

function report(index: number, valPerplexity: number, status: TrialReport['status'] = 'finished'): TrialReport {
  return {
    trial: trials[index]!,
    status,
    runId: `run${index}`,
    figures: { trainPerplexity: valPerplexity - 1, valPerplexity, tokensPerSecond: 1000 + index },
    degenerate: false,
    wallSeconds: 1,
    samples: [{ prefix: 'the ', text: `the sample of ${index}` }],
    ...(status === 'failed' ? { error: 'boom', reason: 'error' as const } : {}),
  };
}

test('a configuration id is the trial id without the seed, and its label the trial label without it', () => {
  const ids = trials.map((t) => configId(t.config));
  assert.equal(new Set(ids).size, 2);
  assert.deepEqual(ids.slice(0, 3), [ids[0], ids[0], ids[0]]);
  assert.notEqual(ids[0], ids[3]);
  assert.equal(configLabel(trials[4]!.label), 'cell=gru');
  assert.equal(configLabel('seed=3'), 'base');
  // the same config with a new seed: same configuration; anything else changed: another one
  const other = structuredClone(trials[0]!.config);
  other.train.seed = 99;
  assert.equal(configId(other), ids[0]);
  other.train.lr = 0.5;
  assert.notEqual(configId(other), ids[0]);
});

test('the sample standard deviation divides by n − 1, and one value has none', () => {
  const s = stat([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.mean, 5);
  assert.equal(s.std, Math.sqrt(32 / 7));
  assert.equal(s.n, 8);
  assert.ok(Number.isNaN(stat([3]).std));
  assert.equal(stat([NaN, 3]).n, 1, 'non-finite values are not seeds with a value');
});

test('configurations are ranked by mean validation perplexity with mean ± std and n; the best is the configuration, not its best seed', () => {
  // rnn has the single best seed (2.0) but the worse mean; gru is steadier and better on average.
  const text = formatSummary([report(0, 2), report(1, 12), report(2, 10), report(3, 5), report(4, 6), report(5, 7)]);
  const rows = text.split('\n').filter((l) => /^[0-9a-f]{10} /.test(l));
  assert.equal(rows.length, 2);
  assert.match(rows[0]!, /^[0-9a-f]{10}\s+gru\s+3\s+6\.00 ± 1\.00\s+5\.00 ± 1\.00\s+1004 ± 1\s+3 finished$/);
  assert.match(rows[1]!, /^[0-9a-f]{10}\s+rnn\s+3\s+8\.00 ± 5\.29\s+7\.00 ± 5\.29\s+1001 ± 1\s+3 finished$/);
  assert.match(text, /^configuration\s+model\.cell\s+n\s+val ppl\s+train ppl\s+tokens\/s\s+status$/m);
  assert.match(text, new RegExp(`^best configuration ${configId(trials[3]!.config)} \\(cell=gru\\): val ppl 6\\.00 ± 1\\.00 over 3 seed\\(s\\); sample from seed=0, trial ${trials[3]!.id}:\\n {2}the sample of 3$`, 'm'));
  assert.doesNotMatch(text, /best trial/);
});

test('a failed seed is left out of the figures and counted in the status; one seed shows no ±', () => {
  const text = formatSummary([report(0, 4), report(1, 6, 'failed'), report(3, 5)]);
  assert.match(text, /^[0-9a-f]{10}\s+rnn\s+1\s+4\.00\s+3\.00\s+1000\s+1 finished, 1 failed \(error\)$/m);
  assert.match(text, /^[0-9a-f]{10}\s+gru\s+1\s+5\.00\s+/m);
  assert.match(text, new RegExp(`^trial ${trials[1]!.id} \\(cell=rnn seed=1\\) failed \\(error\\): boom$`, 'm'));
});

test('--per-trial keeps one row per trial and the best trial', () => {
  const text = formatSummary([report(0, 2), report(1, 12), report(3, 5)], { perTrial: true });
  const rows = text.split('\n').filter((l) => /^[0-9a-f]{10} /.test(l));
  assert.deepEqual(rows.map((r) => r.slice(0, 10)), [trials[0]!.id, trials[3]!.id, trials[1]!.id]);
  assert.match(text, /^best trial [0-9a-f]{10} \(cell=rnn seed=0\), sample:/m);
});

test('a bidirectional configuration is marked and is best only when every one is', () => {
  const bi = expandTrials(loadExperimentText('name: r\nsweep: {grid: {model.bidirectional: [false, true]}, seeds: [0, 1]}\n'));
  const r = (i: number, v: number): TrialReport => ({ ...report(0, v), trial: bi[i]!, runId: `b${i}` });
  const text = formatSummary([r(0, 9), r(1, 9), r(2, 3), r(3, 3)]);
  assert.match(text, /^[0-9a-f]{10}\s+true\s+2\s+3\.00 ± 0\.00\s+.*2 finished \(bidirectional: sees the future, perplexity flatters\)$/m);
  assert.match(text, /^best configuration [0-9a-f]{10} \(bidirectional=false\): val ppl 9\.00 ± 0\.00 over 2 seed\(s\)/m);
});

test('the configuration id covers exactly what the trial id covers, but the seed', () => {
  // configId mirrors expand.ts's private trialId: every change that moves one must move the other.
  const id = (yaml: string): { trial: string; config: string } => {
    const t = expandTrials(loadExperimentText(`name: x\n${yaml}\n`))[0]!;
    return { trial: t.id, config: configId(t.config) };
  };
  const before = id('');
  const changes = [
    'train: {lr: 0.5}', 'model: {hidden_size: 64}', 'data: {level: word}', 'data: {max_tokens: 100}', 'sample: {length: 10}',
    'engine: {backend: cpu}', 'engine: {path: plain}', 'engine: {blas: off}', 'description: d', 'tracking: {experiment: e}',
    'check: {metrics: {val_perplexity: {max_increase: 0.5}}}',
  ];
  for (const change of changes) {
    let after;
    try {
      after = id(change);
    } catch (err) {
      if (change.includes('blas')) continue; // engine.blas comes with another change; without it the schema refuses it
      throw err;
    }
    assert.equal(after.config !== before.config, after.trial !== before.trial, `${change}: the trial id ${after.trial !== before.trial ? 'changes' : 'stays'}, so must the configuration id`);
  }
  assert.notEqual(id('train: {seed: 5}').trial, before.trial);
  assert.equal(id('train: {seed: 5}').config, before.config, 'the seed alone moves the trial id only');
});
