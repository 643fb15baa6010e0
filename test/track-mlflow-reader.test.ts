// The MLflow reader port must reject what MLflow rejects, or the file-store tests prove nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileStoreTracker } from '../src/track/file-store.js';
import { MlflowFileStoreReader, MlflowReadError } from './support/mlflow-reader.js';

const T = 1_760_000_000_000;

async function oneRun(): Promise<{ root: string; expId: string; runId: string; runDir: string }> {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'track-reader-')), 'runs');
  const t = new FileStoreTracker(root);
  const expId = await t.experiment('e');
  const ref = await t.createRun(expId, { runName: 'r', startTime: T, tags: {}, params: { p: 'v' } });
  await t.logMetrics(ref, [{ key: 'm', value: 1.5, step: 0, timestamp: T }]);
  return { root, expId, runId: ref.runId, runDir: path.join(root, expId, ref.runId) };
}

function search(root: string, expId: string): ReturnType<MlflowFileStoreReader['searchRuns']> {
  return new MlflowFileStoreReader(root).searchRuns([expId]);
}

const badMetricFiles: Array<[string, string]> = [
  ['a blank line', `${T} 1.5 0\n\n${T} 2.5 1\n`],
  ['a tab separator', `${T}\t1.5\t0\n`],
  ['a comma separator', `${T},1.5,0\n`],
  ['a double space', `${T}  1.5 0\n`],
  ['a float step', `${T} 1.5 0.0\n`],
  ['a float timestamp', `${T}.5 1.5 0\n`],
  ['a value that is not a number', `${T} abc 0\n`],
  ['JavaScript Infinity', `${T} Infinity1 0\n`],
  ['four fields', `${T} 1.5 0 7\n`],
  ['an empty file', ''],
];

for (const [what, content] of badMetricFiles) {
  test(`a metric file with ${what} makes the experiment unreadable`, async () => {
    const { root, expId, runDir } = await oneRun();
    fs.writeFileSync(path.join(runDir, 'metrics', 'm'), content);
    assert.throws(() => search(root, expId), MlflowReadError);
  });
}

test('metric forms MLflow accepts: nan, inf, -inf, Infinity, exponents, two fields, no final newline', async () => {
  const { root, expId, runId, runDir } = await oneRun();
  fs.writeFileSync(path.join(runDir, 'metrics', 'm'), `${T} nan 0\n${T} inf 1\n${T} -inf 2\n${T} Infinity 3\n${T} 1e-05 4\n${T} 7`);
  const history = new MlflowFileStoreReader(root).getMetricHistory(runId, 'm').map((m) => [m.value, m.step]);
  assert.deepEqual(history, [[NaN, 0], [Infinity, 1], [-Infinity, 2], [Infinity, 3], [1e-5, 4], [7, 0]]);
  assert.equal(search(root, expId)[0]!.data.metrics.m, 1e-5); // latest = max (step, timestamp, value)
});

const badRunMetas: Array<[string, (meta: string, runId: string) => string]> = [
  ['missing run_uuid', (m) => m.replace(/^run_uuid: .*\n/m, '')],
  ['missing user_id', (m) => m.replace(/^user_id: .*\n/m, '')],
  ['missing start_time', (m) => m.replace(/^start_time: .*\n/m, '')],
  ['missing end_time', (m) => m.replace(/^end_time: .*\n/m, '')],
  ['missing experiment_id', (m) => m.replace(/^experiment_id: .*\n/m, '')],
  ['status as a string', (m) => m.replace(/^status: 1$/m, 'status: RUNNING')],
  ['status out of range', (m) => m.replace(/^status: 1$/m, 'status: 9')],
  ['user_id null', (m) => m.replace(/^user_id: .*$/m, 'user_id: null')],
  ['a run_id that is not its directory', (m, id) => m.replaceAll(id, 'f'.repeat(32))],
  ['unparseable YAML', () => 'run_id: [\n'],
  ['an empty file', () => ''],
];

for (const [what, corrupt] of badRunMetas) {
  test(`a run meta.yaml with ${what} is rejected`, async () => {
    const { root, expId, runId, runDir } = await oneRun();
    const file = path.join(runDir, 'meta.yaml');
    fs.writeFileSync(file, corrupt(fs.readFileSync(file, 'utf8'), runId));
    assert.throws(() => search(root, expId), MlflowReadError);
  });
}

test('a run meta.yaml whose experiment_id disagrees with its directory is dropped, and get_run fails', async () => {
  const { root, expId, runId, runDir } = await oneRun();
  const file = path.join(runDir, 'meta.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(`experiment_id: '${expId}'`, "experiment_id: '5'"));
  assert.deepEqual(search(root, expId), []);
  assert.throws(() => new MlflowFileStoreReader(root).getRun(runId), /invalid state/);
});

test('a run directory without meta.yaml is skipped, as MLflow does', async () => {
  const { root, expId, runDir } = await oneRun();
  fs.mkdirSync(path.join(path.dirname(runDir), 'a'.repeat(32)));
  assert.equal(search(root, expId).length, 1);
});

test('experiment meta: an unquoted integer id reads back; a mismatched id hides it; a bad directory name fails search', async () => {
  const { root, expId } = await oneRun();
  const file = path.join(root, expId, 'meta.yaml');
  const good = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, good.replace(`experiment_id: '${expId}'`, `experiment_id: ${expId}`));
  assert.ok(new MlflowFileStoreReader(root).getExperimentByName('e'));
  fs.writeFileSync(file, good.replace(`experiment_id: '${expId}'`, "experiment_id: '12'"));
  assert.equal(new MlflowFileStoreReader(root).getExperimentByName('e'), undefined);
  fs.writeFileSync(file, good.replace(/^name: .*\n/m, ''));
  assert.throws(() => new MlflowFileStoreReader(root).searchExperiments(), MlflowReadError);
  fs.writeFileSync(file, good);
  fs.mkdirSync(path.join(root, '.tmp-stray'));
  assert.throws(() => new MlflowFileStoreReader(root).searchExperiments(), /Invalid experiment ID/);
});

test('params and tags: raw values (a trailing newline is part of the value); bad names are rejected', async () => {
  const { root, expId, runDir } = await oneRun();
  fs.writeFileSync(path.join(runDir, 'params', 'p'), 'v\n');
  assert.equal(search(root, expId)[0]!.data.params.p, 'v\n');
  fs.writeFileSync(path.join(runDir, 'params', 'bad:name'), 'x');
  assert.throws(() => search(root, expId), /Invalid parameter name/);
  fs.rmSync(path.join(runDir, 'params', 'bad:name'));
  fs.mkdirSync(path.join(runDir, 'tags'), { recursive: true });
  fs.writeFileSync(path.join(runDir, 'tags', 'latin1'), Buffer.from([0xe9]));
  assert.throws(() => search(root, expId), /UnicodeDecodeError/);
});
