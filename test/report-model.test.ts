// What the report computes from a store (no training, no browser): which run stands for a trial,
// configurations, mean ± sample std, curves and bands, samples, failures, the latest check, and
// that every string reaches the HTML escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectReport, parseSamples, stat } from '../src/report/html/model.js';
import { escapeHtml, renderReport, scriptJson } from '../src/report/html/render.js';
import { FileStoreRunReader } from '../src/track/run-reader.js';
import { FileStoreTracker } from '../src/track/file-store.js';
import { writeStore } from './support/report-store.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'run-sweep-report-'));

test('stat: the mean and the sample standard deviation (n − 1) of the finite values', () => {
  assert.deepEqual(stat([1, 2, 3]), { mean: 2, std: 1, n: 3 });
  assert.deepEqual(stat([4, NaN, Infinity, null, 6]), { mean: 5, std: Math.SQRT2, n: 2 });
  assert.deepEqual(stat([7]), { mean: 7, std: null, n: 1 });
  assert.deepEqual(stat([]), { mean: null, std: null, n: 0 });
});

test('parseSamples: one block per prefix, texts with newlines of their own, prefixes with quotes', () => {
  const file = 'prefix: "the "\nthe whale\nand sea\n\nprefix: "say \\"hi\\"\\n"\nsay "hi"\nok\n\n';
  assert.deepEqual(parseSamples(3, file), [
    { epoch: 3, prefix: 'the ', text: 'the whale\nand sea' },
    { epoch: 3, prefix: 'say "hi"\n', text: 'say "hi"\nok' },
  ]);
});

test('a trial is its latest finished run; configurations group seeds; failures keep their reasons', async () => {
  const dir = tmp();
  const id = await writeStore(dir, 'exp', [
    // rnn: seed 0 finished, then rerun and killed later: the finished run stands
    { cell: 'rnn', seed: 0, val: [9, 6, 4], start: 1_000, samples: { 1: 'prefix: "the "\nthe a\n\n', 3: 'prefix: "the "\nthe ab\n\n' } },
    { cell: 'rnn', seed: 0, status: 'KILLED', val: [50], start: 5_000 },
    // seed 1 finished twice: the later one stands
    { cell: 'rnn', seed: 1, val: [99, 99, 99], start: 1_000 },
    { cell: 'rnn', seed: 1, val: [10, 7, 6], start: 3_000 },
    // gru: one seed finished, one diverged
    { cell: 'gru', seed: 0, val: [12, 11, 10], start: 1_000 },
    { cell: 'gru', seed: 1, status: 'FAILED', failure: 'diverged', error: 'training diverged in epoch 1', start: 1_000 },
    // still running: a note, not a failure
    { cell: 'lstm', seed: 0, status: 'RUNNING', val: [30], start: 1_000 },
  ], { parent: true });
  const store = new FileStoreTracker(dir, dir, { onWarning: () => {} });
  const check = await store.createRun(id, { runName: 'check', startTime: 9_000, tags: { 'run_sweep.role': 'check', 'run_sweep.trial_id': 'not-a-trial' }, params: {} });
  await store.logArtifact(check, 'check.json', JSON.stringify({ baseline: 'b.json', verdicts: [{ configId: 'c', label: 'cell=rnn', metric: 'val_perplexity', baseline: 5, now: 5, change: 0, allowed: 0.03, verdict: 'pass' }] }));
  await store.endRun(check, 'FINISHED', 9_001);

  const data = await collectReport(new FileStoreRunReader(dir), id, { experiment: 'exp', source: dir, now: new Date(0) });
  assert.deepEqual(data.configs.map((c) => [c.label, c.n, c.unfinished]), [['cell=rnn', 2, 0], ['cell=gru', 1, 1], ['cell=lstm', 0, 1]]);
  assert.deepEqual(data.varying, ['model.cell']);
  assert.equal(data.shared['train.lr'], '1');
  assert.ok(!('train.seed' in data.shared) && !('vocab_size' in data.shared), 'only config params, never the seed');
  const rnn = data.configs[0]!;
  assert.deepEqual(rnn.val, { mean: 5, std: Math.SQRT2, n: 2 });
  assert.deepEqual(rnn.train, { mean: 6, std: Math.SQRT2, n: 2 });
  assert.deepEqual(rnn.tokensPerSecond, { mean: 1500, std: Math.sqrt(500_000), n: 2 });
  assert.deepEqual(rnn.epochs, [1, 2, 3]);
  assert.deepEqual(rnn.curves.val, { mean: [9.5, 6.5, 5], min: [9, 6, 4], max: [10, 7, 6] });
  assert.deepEqual(rnn.curves.train.mean, [10.5, 7.5, 6]);
  assert.deepEqual(data.configs[1]!.val, { mean: 10, std: null, n: 1 });
  assert.deepEqual(data.trials.filter((t) => t.configId === rnn.id).map((t) => [t.seed, t.samples]), [
    ['0', [{ epoch: 1, prefix: 'the ', text: 'the a' }, { epoch: 3, prefix: 'the ', text: 'the ab' }]],
    ['1', []],
  ]);
  assert.deepEqual(data.failures.map((f) => [f.configLabel, f.seed, f.status, f.reason, f.error]),
    [['cell=gru', '1', 'FAILED', 'diverged', 'training diverged in epoch 1']]);
  assert.equal(data.notes.length, 1);
  assert.match(data.notes[0]!, /lstm-0 \(cell=lstm, seed 0\) has no finished run; its latest run \w+ is RUNNING/);
  assert.equal(data.check?.verdicts.length, 1);
  assert.equal(data.check?.baseline, 'b.json');
});

test('every string from the store reaches the HTML escaped', async () => {
  const dir = tmp();
  const evil = '</script><img src=x onerror=alert(1)>"\'&';
  const store = new FileStoreTracker(dir, dir, { onWarning: () => {} });
  const id = await store.experiment(evil);
  for (const seed of [0, 1]) {
    const run = await store.createRun(id, {
      runName: evil, startTime: 1, tags: { 'run_sweep.trial_id': `t${seed}`, 'run_sweep.failure': evil },
      params: { 'model.cell': seed === 0 ? evil : 'rnn', 'train.seed': '0', 'data.corpus': evil },
    });
    await store.logArtifact(run, 'samples/epoch_001.txt', `prefix: ${JSON.stringify(evil)}\n${evil}\n\n`);
    await store.logArtifact(run, 'error.txt', evil);
    await store.logMetrics(run, [{ key: 'val_perplexity', value: 3, step: 1, timestamp: 1 }]);
    await store.endRun(run, seed === 0 ? 'FINISHED' : 'FAILED', 2);
  }
  const data = await collectReport(new FileStoreRunReader(dir), id, { experiment: evil, source: evil });
  const html = renderReport(data, { js: '/* uPlot */', css: '', version: '0' });
  assert.ok(html.includes(escapeHtml(evil)));
  // the only raw "</script>" are the page's own three; no "<img" at all
  assert.equal(html.match(/<\/script>/g)?.length, 3);
  assert.doesNotMatch(html, /<img/);
  assert.doesNotMatch(html, /onerror=alert\(1\)>"'&/);
  assert.equal(scriptJson('</script>'), '"\\u003c/script>"');
});
