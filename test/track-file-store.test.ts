import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { FileStoreTracker, ParamChangedError, StoreError } from '../src/track/file-store.js';
import { InvalidKeyError } from '../src/track/keys.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';
import { canonFromFileStore } from './support/read-store.js';
import { EXPERIMENT, T0, canon, runSweepScript } from './support/sweep-script.js';

function tmpStore(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'track-fs-')), 'runs');
}

function listAll(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

test('a sweep written to the file store reads back intact through MLflow\'s reader', async () => {
  const root = tmpStore();
  const { expected, experimentId, trials } = await runSweepScript(new FileStoreTracker(root));
  assert.deepEqual(canon(canonFromFileStore(root, EXPERIMENT)), canon(expected));

  const reader = new MlflowFileStoreReader(root);
  assert.deepEqual(reader.searchExperiments().map((e) => e.name).sort(), ['Default', EXPERIMENT]);
  const exp = reader.getExperimentByName(EXPERIMENT)!;
  assert.match(exp.experiment_id, /^[1-9]\d{17,18}$/);
  assert.equal(exp.artifact_location, pathToFileURL(path.join(root, experimentId)).href);
  const run = reader.getRun(trials[0]!.runId);
  assert.match(run.info.run_id, /^[0-9a-f]{32}$/);
  assert.equal(run.info.artifact_uri, pathToFileURL(path.join(root, experimentId, run.info.run_id, 'artifacts')).href);
  // keys with '/' are subdirectories; values have no trailing newline
  assert.equal(fs.readFileSync(path.join(root, experimentId, run.info.run_id, 'params', 'data', 'corpus'), 'utf8'), 'moby-dick');
  // no temp file survives anywhere
  assert.deepEqual(listAll(root).filter((p) => p.includes('.tmp-')), []);
});

test('meta.yaml files carry exactly the keys and types MLflow writes', async () => {
  const root = tmpStore();
  const t = new FileStoreTracker(root);
  const expId = await t.experiment('e');
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: {} });
  const runMeta = (): string => fs.readFileSync(path.join(root, expId, ref.runId, 'meta.yaml'), 'utf8');
  assert.match(runMeta(), /^end_time: null$/m);
  assert.match(runMeta(), /^status: 1$/m);
  assert.match(runMeta(), new RegExp(`^experiment_id: '${expId}'$`, 'm'));
  await t.endRun(ref, 'FINISHED', T0 + 5);
  const keys = runMeta().split('\n').filter(Boolean).map((l) => l.split(':')[0]);
  assert.deepEqual(keys, ['artifact_uri', 'end_time', 'entry_point_name', 'experiment_id', 'lifecycle_stage', 'run_id',
    'run_name', 'run_uuid', 'source_name', 'source_type', 'source_version', 'start_time', 'status', 'tags', 'user_id']);
  assert.match(runMeta(), /^status: 3$/m);
  assert.match(runMeta(), new RegExp(`^end_time: ${T0 + 5}$`, 'm'));
  assert.match(runMeta(), new RegExp(`^run_uuid: ${ref.runId}$`, 'm'));
  const expMeta = fs.readFileSync(path.join(root, expId, 'meta.yaml'), 'utf8');
  assert.deepEqual(expMeta.split('\n').filter(Boolean).map((l) => l.split(':')[0]),
    ['artifact_location', 'creation_time', 'experiment_id', 'last_update_time', 'lifecycle_stage', 'name']);
  assert.match(fs.readFileSync(path.join(root, '0', 'meta.yaml'), 'utf8'), /^experiment_id: '0'$/m);
  assert.ok(fs.existsSync(path.join(root, '.trash')));
});

test('metric lines are "<ms> <float> <step>" with nan and inf, appended line by line', async () => {
  const root = tmpStore();
  const t = new FileStoreTracker(root);
  const expId = await t.experiment('e');
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: {} });
  await t.logMetrics(ref, [{ key: 'm', value: 2, step: 1, timestamp: T0 }, { key: 'm', value: NaN, step: 2, timestamp: T0 + 1 }]);
  await t.logMetrics(ref, [{ key: 'm', value: -Infinity, step: 3, timestamp: T0 + 2 }, { key: 'm', value: 0.1, step: 4, timestamp: T0 + 3 }]);
  assert.equal(fs.readFileSync(path.join(root, expId, ref.runId, 'metrics', 'm'), 'utf8'),
    `${T0} 2.0 1\n${T0 + 1} nan 2\n${T0 + 2} -inf 3\n${T0 + 3} 0.1 4\n`);
  await assert.rejects(t.logMetrics(ref, [{ key: 'm', value: 1, step: 1.5, timestamp: T0 }]), /step must be an integer/);
});

test('the same experiment name maps to the same id; a file: URI and a path name the same store', async () => {
  const root = tmpStore();
  const a = await new FileStoreTracker(root).experiment('x');
  const b = await new FileStoreTracker(pathToFileURL(root).href).experiment('x');
  assert.equal(a, b);
  const c = await new FileStoreTracker(path.relative(process.cwd(), root)).experiment('y');
  assert.notEqual(a, c);
  assert.equal(new MlflowFileStoreReader(root).searchExperiments().length, 3);
});

test('nothing is written before the first call: a bad config leaves no store behind', () => {
  const root = tmpStore();
  new FileStoreTracker(root);
  assert.equal(fs.existsSync(root), false);
});

test('invalid keys, over-long values and artifact paths are refused with clear errors, before any write', async () => {
  const root = tmpStore();
  const t = new FileStoreTracker(root);
  const expId = await t.experiment('e');
  for (const key of ['../escape', '/abs', 'a//b', 'a/', 'bad:char', '', 'a/./b', '..hidden']) {
    await assert.rejects(t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: { [key]: 'v' } }), InvalidKeyError, key);
  }
  assert.deepEqual(fs.readdirSync(path.join(root, expId)), ['meta.yaml']);
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: { 'ok key/with-dots.v1': 'v' } });
  await assert.rejects(t.logParams(ref, { long: 'x'.repeat(6001) }), /6001 characters; MLflow's limit is 6000/);
  await assert.rejects(t.setTags(ref, { long: 'x'.repeat(5001) }), /limit is 5000/);
  await assert.rejects(t.logMetrics(ref, [{ key: 'a\tb', value: 1, step: 0, timestamp: T0 }]), InvalidKeyError);
  await assert.rejects(t.logArtifact(ref, '../x.txt', 'x'), InvalidKeyError);
  await assert.rejects(t.logArtifact(ref, '/etc/x', 'x'), InvalidKeyError);
});

test('a param never changes value; logging the same value again is harmless', async () => {
  const root = tmpStore();
  const t = new FileStoreTracker(root);
  const expId = await t.experiment('e');
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: { lr: '1.0' } });
  await t.logParams(ref, { lr: '1.0' });
  await assert.rejects(t.logParams(ref, { lr: '0.5' }), ParamChangedError);
  assert.equal(new MlflowFileStoreReader(root).getRun(ref.runId).data.params.lr, '1.0');
});

test('finishedTrials finds FINISHED runs by trial id with their last metric values', async () => {
  const root = tmpStore();
  const t = new FileStoreTracker(root);
  const { experimentId, trials } = await runSweepScript(t);
  const found = await t.finishedTrials(experimentId, ['t0abc', 't1abc', 't2abc', 'nope']);
  assert.deepEqual([...found.keys()].sort(), ['t0abc', 't1abc']); // t2 failed
  assert.deepEqual(found.get('t1abc')!.run, trials[1]);
  assert.deepEqual(found.get('t1abc')!.metrics, { train_perplexity: 20 / 3 + 1, val_perplexity: 22 / 3 + 1.125, 'val/loss': Math.log(22 / 3 + 1) });
});

test('reapAbandoned marks KILLED only runs whose process on this host is gone, ended at their last event', async () => {
  const root = tmpStore();
  const t = new FileStoreTracker(root, process.cwd(), { now: () => T0 + 777, onWarning: () => {} });
  const expId = await t.experiment('e');
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
  const mine = await t.createRun(expId, { runName: 'live', startTime: T0, tags: {}, params: {} });
  const dead = await t.createRun(expId, { runName: 'dead', startTime: T0, tags: { 'run_sweep.owner': `${os.hostname()}:${deadPid}` }, params: {} });
  const remote = await t.createRun(expId, { runName: 'other-host', startTime: T0, tags: { 'run_sweep.owner': `elsewhere:${deadPid}` }, params: {} });
  const lastEvent = T0 + 500;
  for (const f of fs.readdirSync(path.join(root, expId, dead.runId), { recursive: true, encoding: 'utf8' })) {
    fs.utimesSync(path.join(root, expId, dead.runId, f), new Date(lastEvent), new Date(lastEvent));
  }
  assert.deepEqual(await t.reapAbandoned(expId), [dead]);
  const reader = new MlflowFileStoreReader(root);
  assert.equal(reader.getRun(dead.runId).info.status, 'KILLED');
  assert.equal(reader.getRun(dead.runId).info.end_time, lastEvent);
  assert.equal(reader.getRun(mine.runId).info.status, 'RUNNING');
  assert.equal(reader.getRun(remote.runId).info.status, 'RUNNING'); // its heartbeat (mtime: now) is fresh
  assert.deepEqual(await t.reapAbandoned(expId), []);
});

test('a damaged run or experiment is skipped with a warning naming the file; the rest of the store works', async () => {
  const root = tmpStore();
  const warnings: string[] = [];
  const t = new FileStoreTracker(root, process.cwd(), { onWarning: (m) => warnings.push(m) });
  const expId = await t.experiment('e');
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: {} });
  const runMeta = path.join(root, expId, ref.runId, 'meta.yaml');
  const good = fs.readFileSync(runMeta, 'utf8');
  fs.writeFileSync(runMeta, 'status: [unclosed');
  assert.deepEqual(await t.finishedTrials(expId, ['a']), new Map());
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.includes(runMeta) && /not valid YAML/.test(warnings[0]!), warnings[0]);
  fs.writeFileSync(runMeta, good.replace(`experiment_id: '${expId}'`, "experiment_id: '42'"));
  assert.deepEqual(await t.reapAbandoned(expId), []);
  assert.ok(warnings.some((w) => w.includes(runMeta) && /does not match its experiment directory/.test(w)), warnings.join('\n'));
  fs.writeFileSync(runMeta, good);
  const expMeta = path.join(root, expId, 'meta.yaml');
  fs.writeFileSync(expMeta, fs.readFileSync(expMeta, 'utf8').replace(`experiment_id: '${expId}'`, "experiment_id: '7'"));
  const other = await t.experiment('other');
  assert.notEqual(other, expId);
  assert.ok(warnings.some((w) => w.includes(expMeta)), warnings.join('\n'));
  // the experiment a sweep works in must itself be readable
  await assert.rejects(t.finishedTrials(expId, ['a']), (err: unknown) => err instanceof StoreError && err.file === expMeta);
});
