import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandTrials } from '../src/plan/expand.js';
import { formatSummary, formatTrialPlan } from '../src/report/summary.js';
import type { TrialReport } from '../src/scheduler/events.js';
import { bestReport } from '../src/scheduler/ranking.js';
import { loadExperimentText } from './support/experiment.js';

const trials = expandTrials(
  loadExperimentText('name: r\nsweep: {grid: {model.cell: [rnn, gru], model.bidirectional: [false, true]}}\n'),
);

function report(index: number, valPerplexity: number, status: TrialReport['status'] = 'finished'): TrialReport {
  return {
    trial: trials[index],
    status,
    runId: `run${index}`,
    figures: { trainPerplexity: valPerplexity - 1, valPerplexity, tokensPerSecond: 1234.4 },
    degenerate: false,
    wallSeconds: 12.34,
    samples: [{ prefix: 'the ', text: `the sample of ${index}` }],
    ...(status === 'failed' ? { error: 'boom', reason: 'error' as const } : {}),
  };
}

test('the summary ranks by validation perplexity and marks bidirectional runs', () => {
  const text = formatSummary([report(0, 9), report(1, 3), report(2, 5), report(3, 20, 'failed')], { perTrial: true });
  const rows = text.split('\n').filter((l) => /^[0-9a-f]{10} /.test(l));
  assert.deepEqual(rows.map((r) => r.slice(0, 10)), [trials[1].id, trials[2].id, trials[0].id, trials[3].id]);
  assert.match(rows[0], /rnn\s+true\s+2\.00\s+3\.00\s+1234\s+12\.3s\s+finished \(bidirectional: sees the future, perplexity flatters\)$/);
  assert.match(rows[1], /gru\s+false\s+.*finished$/);
  assert.match(text, new RegExp(`trial ${trials[3].id} \\(cell=gru bidirectional=true\\) failed \\(error\\): boom`));
});

test('the best trial is the best one that cannot see the future', () => {
  assert.equal(bestReport([report(0, 9), report(1, 3), report(2, 5)])?.trial.id, trials[2].id);
  assert.match(formatSummary([report(0, 9), report(1, 3), report(2, 5)], { perTrial: true }), /best trial \w+ \(cell=gru bidirectional=false\), sample:\n {2}the sample of 2/);
  assert.equal(bestReport([report(1, 3), report(3, 2)])?.trial.id, trials[3].id, 'unless all of them can');
  assert.equal(bestReport([report(0, 9, 'failed')]), undefined);
});

test('without a validation split, trials rank by training perplexity', () => {
  const a = { ...report(0, NaN), figures: { trainPerplexity: 4, valPerplexity: NaN, tokensPerSecond: 1 } };
  const b = { ...report(2, NaN), figures: { trainPerplexity: 3, valPerplexity: NaN, tokensPerSecond: 1 } };
  assert.equal(bestReport([a, b])?.trial.id, trials[2].id);
});

test('the dry-run plan lists each trial id with the values it sets', () => {
  const lines = formatTrialPlan(trials).split('\n');
  assert.match(lines[0], /^trial\s+model\.cell\s+model\.bidirectional$/);
  assert.equal(lines.length, 2 + trials.length);
  assert.match(lines[5], new RegExp(`^${trials[3].id}\\s+gru\\s+true$`));
});
