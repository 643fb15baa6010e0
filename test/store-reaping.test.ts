// Reaping RUNNING runs whose sweep is gone: when (owner dead here, or heartbeat stale) and with
// which end time (the run's last event, never the time of reaping).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { RunSweepError } from '../src/errors.js';
import { FileStoreTracker } from '../src/track/file-store.js';
import { DEFAULT_STALE_AFTER_S, STALE_AFTER_ENV, staleAfterMs } from '../src/track/liveness.js';
import type { RunRef } from '../src/track/tracker.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';
import { T0 } from './support/sweep-script.js';

const MIN = 60_000;

function tmpStore(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'store-reap-')), 'runs');
}

function runDir(root: string, ref: RunRef): string {
  return path.join(root, ref.experimentId, ref.runId);
}

/** Sets the mtime of every file in the run under sub ('' for all) to t. */
function stamp(dir: string, sub: string, t: number): void {
  const base = path.join(dir, sub);
  for (const f of fs.readdirSync(base, { recursive: true, encoding: 'utf8' })) {
    const p = path.join(base, f);
    if (fs.statSync(p).isFile()) fs.utimesSync(p, new Date(t), new Date(t));
  }
}

async function store(opts: ConstructorParameters<typeof FileStoreTracker>[2] = {}): Promise<{ root: string; t: FileStoreTracker; expId: string }> {
  const root = tmpStore();
  const t = new FileStoreTracker(root, process.cwd(), { onWarning: () => {}, ...opts });
  return { root, t, expId: await t.experiment('e') };
}

test('a dead sweep\'s run is reaped with the time of its last event, not the time of reaping', async () => {
  const { root, t, expId } = await store();
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: { 'run_sweep.owner': `${os.hostname()}:${deadPid}` }, params: { p: '1' } });
  await t.logMetrics(ref, [{ key: 'val/loss', value: 1, step: 0, timestamp: T0 + 10 }]);
  await t.logArtifact(ref, 'samples/epoch_001.txt', 'x');
  const dir = runDir(root, ref);
  const now = Date.now();
  stamp(dir, '', now - 50 * MIN); // tags, params
  stamp(dir, 'artifacts', now - 40 * MIN);
  stamp(dir, 'metrics', now - 30 * MIN); // the last event
  fs.utimesSync(path.join(dir, 'meta.yaml'), new Date(now - 5 * MIN), new Date(now - 5 * MIN)); // a later heartbeat
  assert.deepEqual(await t.reapAbandoned(expId), [ref]);
  const info = new MlflowFileStoreReader(root).getRun(ref.runId).info;
  assert.equal(info.status, 'KILLED');
  assert.equal(info.end_time, Math.trunc(fs.statSync(path.join(dir, 'metrics', 'val', 'loss')).mtimeMs));
  assert.ok(Math.abs(info.end_time! - (now - 30 * MIN)) < 1_000);
});

test('a run whose owner cannot be checked is reaped when its heartbeat is older than the limit, and only then', async () => {
  const { root, t, expId } = await store();
  const foreign = { 'run_sweep.owner': 'another-host:12345' };
  const old = await t.createRun(expId, { runName: 'old', startTime: T0, tags: foreign, params: {} });
  const fresh = await t.createRun(expId, { runName: 'fresh', startTime: T0, tags: foreign, params: {} });
  const ownerless = await t.createRun(expId, { runName: 'no owner', startTime: T0, tags: {}, params: {} });
  fs.rmSync(path.join(runDir(root, ownerless), 'tags', 'run_sweep.owner'));
  const now = Date.now();
  stamp(runDir(root, old), '', now - 11 * MIN);
  stamp(runDir(root, ownerless), '', now - 11 * MIN);
  stamp(runDir(root, fresh), '', now - 11 * MIN);
  fs.utimesSync(path.join(runDir(root, fresh), 'meta.yaml'), new Date(now - 1 * MIN), new Date(now - 1 * MIN)); // its heartbeat
  assert.deepEqual(new Set((await t.reapAbandoned(expId)).map((r) => r.runId)), new Set([old.runId, ownerless.runId]));
  const reader = new MlflowFileStoreReader(root);
  assert.equal(reader.getRun(old.runId).info.status, 'KILLED');
  assert.ok(Math.abs(reader.getRun(old.runId).info.end_time! - (now - 11 * MIN)) < 1_000);
  assert.equal(reader.getRun(ownerless.runId).info.status, 'KILLED');
  assert.equal(reader.getRun(fresh.runId).info.status, 'RUNNING');
});

test('RUN_SWEEP_STALE_AFTER sets the limit in seconds; a bad value is a config error', async () => {
  assert.equal(staleAfterMs({}), DEFAULT_STALE_AFTER_S * 1000);
  assert.equal(DEFAULT_STALE_AFTER_S, 600);
  assert.equal(staleAfterMs({ [STALE_AFTER_ENV]: '90' }), 90_000);
  for (const bad of ['abc', '-5', '10', 'Infinity']) {
    assert.throws(() => staleAfterMs({ [STALE_AFTER_ENV]: bad }), (err: unknown) =>
      err instanceof RunSweepError && err.kind === 'config' && err.message.includes(STALE_AFTER_ENV));
  }
  const { root, t, expId } = await store();
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: { 'run_sweep.owner': 'another-host:1' }, params: {} });
  stamp(runDir(root, ref), '', Date.now() - 2 * MIN);
  const saved = process.env[STALE_AFTER_ENV];
  try {
    delete process.env[STALE_AFTER_ENV];
    assert.deepEqual(await t.reapAbandoned(expId), [], '2 minutes is fresh by the default');
    process.env[STALE_AFTER_ENV] = '60';
    assert.deepEqual(await t.reapAbandoned(expId), [ref]);
  } finally {
    if (saved === undefined) delete process.env[STALE_AFTER_ENV];
    else process.env[STALE_AFTER_ENV] = saved;
  }
});

test('a live run of this host is never reaped, however old its files; a run with no event ends at its start', async () => {
  const { root, t, expId } = await store();
  const live = await t.createRun(expId, { runName: 'live', startTime: T0, tags: {}, params: {} });
  stamp(runDir(root, live), '', Date.now() - 60 * MIN);
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
  const empty = await t.createRun(expId, { runName: 'empty', startTime: T0, tags: { 'run_sweep.owner': `${os.hostname()}:${deadPid}` }, params: {} });
  for (const f of fs.readdirSync(path.join(runDir(root, empty), 'tags'))) {
    if (f !== 'run_sweep.owner') fs.rmSync(path.join(runDir(root, empty), 'tags', f), { recursive: true });
  }
  stamp(runDir(root, empty), '', T0 - 1_000); // its only file predates its start: end_time is never before start_time
  assert.deepEqual(await t.reapAbandoned(expId), [empty]);
  assert.equal(new MlflowFileStoreReader(root).getRun(empty.runId).info.end_time, T0);
  assert.equal(new MlflowFileStoreReader(root).getRun(live.runId).info.status, 'RUNNING');
});

test('endRun keeps the end time it is given, and nothing later stamps another', async () => {
  const { root, t, expId } = await store();
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: {} });
  await t.endRun(ref, 'KILLED', T0 + 42);
  await t.reapAbandoned(expId);
  await t.finishedTrials(expId, ['x']);
  assert.equal(new MlflowFileStoreReader(root).getRun(ref.runId).info.end_time, T0 + 42);
});
