// A damaged store never blocks a sweep: torn metric lines are dropped and repaired so MLflow reads
// the file again, damaged runs and experiments are skipped with a warning naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FileStoreTracker, StoreError } from '../src/track/file-store.js';
import { listExperiments, listRuns, readMetricHistories } from '../src/track/store-reader.js';
import type { RunRef } from '../src/track/tracker.js';
import { MlflowFileStoreReader, MlflowReadError } from './support/mlflow-reader.js';
import { T0 } from './support/sweep-script.js';

function tmpStore(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'store-damage-')), 'runs');
}

interface Setup {
  root: string;
  t: FileStoreTracker;
  expId: string;
  warnings: string[];
  finished: (trialId: string) => Promise<RunRef>;
}

async function setup(): Promise<Setup> {
  const root = tmpStore();
  const warnings: string[] = [];
  const t = new FileStoreTracker(root, process.cwd(), { onWarning: (m) => warnings.push(m) });
  const expId = await t.experiment('e');
  const finished = async (trialId: string): Promise<RunRef> => {
    const ref = await t.createRun(expId, { runName: trialId, startTime: T0, tags: { 'run_sweep.trial_id': trialId }, params: {} });
    await t.logMetrics(ref, [{ key: 'val_perplexity', value: 5, step: 1, timestamp: T0 }, { key: 'val_perplexity', value: 4, step: 2, timestamp: T0 + 1 }]);
    await t.endRun(ref, 'FINISHED', T0 + 2);
    return ref;
  };
  return { root, t, expId, warnings, finished };
}

function metricFile(root: string, ref: RunRef, key = 'val_perplexity'): string {
  return path.join(root, ref.experimentId, ref.runId, 'metrics', key);
}

const GOOD = `${T0} 5.0 1\n${T0 + 1} 4.0 2\n`;
// [what, tail, whether MLflow refuses the file as it is]. MLflow takes "<ms> <value>" for a point at
// step 0 and a last line without newline as whole: a value cut short is read wrong, and the next
// append would run into it, so every unterminated tail is dropped.
const tornTails: Array<[string, string, boolean]> = [
  ['a line cut short (no newline)', `${T0 + 2} 3.2`, false],
  ['a whole line without its newline', `${T0 + 2} 3.0 3`, false],
  ['a line cut in its timestamp', `${T0}`.slice(0, 7), true],
  ['a malformed last line', `${T0 + 2} 3.0 3 9\n`, true],
  ['a blank last line', '\n', true],
];

for (const [what, tail, mlflowRefuses] of tornTails) {
  test(`a torn last metric line (${what}) is dropped with a warning naming the file, and the file repaired for MLflow`, async () => {
    const { root, t, expId, warnings, finished } = await setup();
    const ref = await finished('a');
    const other = await finished('b');
    const file = metricFile(root, ref);
    fs.writeFileSync(file, GOOD + tail);
    if (mlflowRefuses) assert.throws(() => new MlflowFileStoreReader(root).searchRuns([expId]), MlflowReadError, 'MLflow cannot read the torn file');
    assert.throws(() => readMetricHistories(path.join(root, expId, ref.runId)), StoreError, 'strict without a callback');

    const found = await t.finishedTrials(expId, ['a', 'b']);
    assert.deepEqual(found.get('a')?.metrics, { val_perplexity: 4 });
    assert.deepEqual(found.get('b')?.metrics, { val_perplexity: 4 });
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes(file) && /torn last line/.test(warnings[0]!) && /repaired/.test(warnings[0]!), warnings[0]);
    assert.equal(fs.readFileSync(file, 'utf8'), GOOD);
    const runs = new MlflowFileStoreReader(root).searchRuns([expId]);
    assert.deepEqual(runs.map((r) => r.data.metrics.val_perplexity), [4, 4]);
    assert.ok(other);
    assert.deepEqual(fs.readdirSync(path.join(root, expId, ref.runId)).filter((f) => f.startsWith('.tmp-')), []);
  });
}

test('a metric file holding only a torn line is removed, so MLflow reads the run', async () => {
  const { root, t, expId, warnings, finished } = await setup();
  const ref = await finished('a');
  const file = metricFile(root, ref, 'tokens_per_second');
  fs.writeFileSync(file, `${T0} 12`);
  const found = await t.finishedTrials(expId, ['a']);
  assert.deepEqual(found.get('a')?.metrics, { val_perplexity: 4 });
  assert.equal(fs.existsSync(file), false);
  assert.ok(warnings.some((w) => w.includes(file)));
  assert.equal(new MlflowFileStoreReader(root).searchRuns([expId]).length, 1);
});

test('reaping a dead sweep\'s run repairs the torn line it left', async () => {
  const { root, t, expId, warnings } = await setup();
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: { 'run_sweep.owner': `${os.hostname()}:${deadPid}` }, params: {} });
  await t.logMetrics(ref, [{ key: 'val_perplexity', value: 5, step: 1, timestamp: T0 }, { key: 'val_perplexity', value: 4, step: 2, timestamp: T0 + 1 }]);
  const file = metricFile(root, ref);
  fs.appendFileSync(file, `${T0 + 2} 3.`);
  assert.deepEqual(await t.reapAbandoned(expId), [ref]);
  assert.equal(fs.readFileSync(file, 'utf8'), GOOD);
  assert.ok(warnings.some((w) => w.includes(file)));
  assert.equal(new MlflowFileStoreReader(root).getRun(ref.runId).info.status, 'KILLED');
});

test('appending after a torn tail cuts the tail first, so lines never run together', async () => {
  const { root, t, expId, warnings } = await setup();
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: {} });
  await t.logMetrics(ref, [{ key: 'val_perplexity', value: 5, step: 1, timestamp: T0 }, { key: 'val_perplexity', value: 4, step: 2, timestamp: T0 + 1 }]);
  const file = metricFile(root, ref);
  fs.appendFileSync(file, `${T0 + 2} 3.`);
  await t.logMetrics(ref, [{ key: 'val_perplexity', value: 3, step: 3, timestamp: T0 + 3 }]);
  assert.equal(fs.readFileSync(file, 'utf8'), `${GOOD}${T0 + 3} 3.0 3\n`);
  assert.ok(warnings.some((w) => w.includes(file) && /torn/.test(w)));
  assert.deepEqual(new MlflowFileStoreReader(root).getMetricHistory(ref.runId, 'val_perplexity').map((m) => m.step), [1, 2, 3]);
});

test('a malformed line before the last is damage: that run is skipped with a warning, the others are used', async () => {
  const { root, t, expId, warnings, finished } = await setup();
  const bad = await finished('a');
  await finished('b');
  const file = metricFile(root, bad);
  const damaged = `${T0} 5.0 1\ngarbage\n${T0 + 1} 4.0 2\n`;
  fs.writeFileSync(file, damaged);
  const found = await t.finishedTrials(expId, ['a', 'b']);
  assert.deepEqual([...found.keys()], ['b']);
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.includes(file) && /skipping a damaged run/.test(warnings[0]!), warnings[0]);
  assert.equal(fs.readFileSync(file, 'utf8'), damaged, 'damage is reported, not "repaired" away');
  assert.throws(() => readMetricHistories(path.join(root, expId, bad.runId), { onWarning: () => {}, repair: true }), StoreError);
  await t.finishedTrials(expId, ['a', 'b']);
  assert.equal(warnings.length, 1, 'each problem is reported once per tracker');
});

test('garbage in one experiment\'s meta.yaml: the other experiments still work, with a warning naming the file', async () => {
  const root = tmpStore();
  const warnings: string[] = [];
  const t = new FileStoreTracker(root, process.cwd(), { onWarning: (m) => warnings.push(m) });
  const broken = await t.experiment('broken');
  const kept = await t.experiment('kept');
  const brokenMeta = path.join(root, broken, 'meta.yaml');
  fs.writeFileSync(brokenMeta, '\u0000\u0001: [garbage');
  assert.equal(await t.experiment('kept'), kept);
  const fresh = await t.experiment('fresh');
  const ref = await t.createRun(fresh, { runName: 'r', startTime: T0, tags: {}, params: {} });
  await t.endRun(ref, 'FINISHED', T0 + 1);
  assert.deepEqual(await t.reapAbandoned(kept), []);
  assert.ok(warnings.length >= 1 && warnings.every((w) => w.includes(brokenMeta)), warnings.join('\n'));
  // without a warning callback the readers stay strict (for callers that must not skip anything)
  assert.throws(() => listExperiments(root), (err: unknown) => err instanceof StoreError && err.file === brokenMeta);
  const names = listExperiments(root, { onWarning: () => {} }).map((e) => e.name).sort();
  assert.deepEqual(names, ['Default', 'fresh', 'kept']);
});

test('a run whose meta.yaml is damaged is skipped by every call, the others read on', async () => {
  const { root, t, expId, warnings, finished } = await setup();
  const bad = await finished('a');
  await finished('b');
  const meta = path.join(root, expId, bad.runId, 'meta.yaml');
  fs.writeFileSync(meta, 'run_uuid: [');
  assert.deepEqual([...(await t.finishedTrials(expId, ['a', 'b'])).keys()], ['b']);
  assert.deepEqual(await t.reapAbandoned(expId), []);
  assert.ok(warnings.length >= 1 && warnings.every((w) => w.includes(meta)), warnings.join('\n'));
  const exp = listExperiments(root).find((e) => e.id === expId)!;
  assert.throws(() => listRuns(exp), StoreError);
  assert.equal(listRuns(exp, { onWarning: () => {} }).length, 1);
});
