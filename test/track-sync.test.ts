import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTracker } from '../src/track/open.js';
import { FileStoreTracker } from '../src/track/file-store.js';
import { MirroredTracker } from '../src/track/mirror.js';
import { syncStore } from '../src/track/sync.js';
import type { Tracker } from '../src/track/tracker.js';
import { FakeMlflowServer, canonFromFake } from './support/fake-mlflow.js';
import { canonFromFileStore } from './support/read-store.js';
import { EXPERIMENT, canon, runSweepScript } from './support/sweep-script.js';

const FAST = { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 2000, env: {} };

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'track-sync-'));
}

test('server down for the whole sweep: local store complete, one warning; sync uploads all; sync again adds nothing', async () => {
  const cwd = tmpDir();
  const down = await new FakeMlflowServer().start();
  await down.stop();
  const failures: unknown[] = [];
  const tracker = openTracker(down.uri, cwd, { ...FAST, onRemoteFailure: (e) => failures.push(e) });
  assert.ok(tracker instanceof MirroredTracker);
  const { expected } = await runSweepScript(tracker);
  assert.equal(failures.length, 1);
  assert.match(String(failures[0]), /ECONNREFUSED/);
  assert.equal((tracker as MirroredTracker).remoteHealthy, false);
  const local = path.join(cwd, 'runs');
  assert.deepEqual(canon(canonFromFileStore(local, EXPERIMENT)), canon(expected));

  const s = await new FakeMlflowServer().start();
  try {
    assert.deepEqual(await syncStore(local, s.uri, FAST), { runsUploaded: 4, runsSkipped: 0 });
    assert.deepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
    const before = s.requests.length;
    assert.deepEqual(await syncStore(local, s.uri, FAST), { runsUploaded: 0, runsSkipped: 4 });
    const writes = s.requests.slice(before).filter((r) => r.path !== '/api/2.0/mlflow/runs/search' && r.method !== 'GET');
    assert.deepEqual(writes, []);
    assert.equal(s.runs.size, 4);
  } finally {
    await s.stop();
  }
});

test('server failing mid-sweep: the mirror stops calling it, and sync completes the partly uploaded runs', async () => {
  const cwd = tmpDir();
  const s = await new FakeMlflowServer().start();
  try {
    const failures: unknown[] = [];
    const mirror = openTracker(s.uri, cwd, { ...FAST, onRemoteFailure: (e) => failures.push(e) }) as MirroredTracker;
    let created = 0;
    // the server starts failing (503 on every retry) right after the second trial run is created
    const tracker: Tracker = new Proxy(mirror, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'createRun' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: unknown[]) => {
          const ref = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (++created === 3) s.failNext(1000);
          return ref;
        };
      },
    });
    const { expected } = await runSweepScript(tracker);
    s.heal();
    assert.equal(failures.length, 1);
    assert.deepEqual(canon(canonFromFileStore(path.join(cwd, 'runs'), EXPERIMENT)), canon(expected));
    assert.notDeepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
    const result = await syncStore(path.join(cwd, 'runs'), s.uri, FAST);
    assert.equal(result.runsUploaded + result.runsSkipped, 4);
    assert.ok(result.runsSkipped >= 1, 'the first trial finished on the server before the failure');
    assert.deepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
    assert.equal(s.runs.size, 4, 'no run duplicated');
    assert.deepEqual(await syncStore(path.join(cwd, 'runs'), s.uri, FAST), { runsUploaded: 0, runsSkipped: 4 });
  } finally {
    await s.stop();
  }
});

test('a healthy mirror writes the same sweep to both sinks, linking server runs to local ones', async () => {
  const cwd = tmpDir();
  const s = await new FakeMlflowServer().start();
  try {
    const tracker = openTracker(s.uri, cwd, { ...FAST, onRemoteFailure: (e) => assert.fail(String(e)) });
    const { expected, experimentId } = await runSweepScript(tracker);
    assert.deepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
    assert.deepEqual(canon(canonFromFileStore(path.join(cwd, 'runs'), EXPERIMENT)), canon(expected));
    const localIds = fs.readdirSync(path.join(cwd, 'runs', experimentId)).filter((d) => d.length === 32).sort();
    assert.deepEqual([...s.runs.values()].map((r) => r.tags.get('run_sweep.local_run_id')).sort(), localIds);
    assert.deepEqual(await syncStore(path.join(cwd, 'runs'), s.uri, FAST), { runsUploaded: 0, runsSkipped: 4 });
  } finally {
    await s.stop();
  }
});

test('openTracker maps URIs to sinks', () => {
  const cwd = tmpDir();
  const def = openTracker(null, cwd);
  assert.ok(def instanceof FileStoreTracker);
  assert.equal(def.location, path.join(cwd, 'runs'));
  assert.equal(openTracker('elsewhere', cwd).location, path.join(cwd, 'elsewhere'));
  assert.equal(openTracker(`file://${cwd}/x`, cwd).location, path.join(cwd, 'x'));
  assert.ok(openTracker('https://mlflow.example.com', cwd, { env: {} }) instanceof MirroredTracker);
  assert.throws(() => openTracker('databricks://profile', cwd), /http\(s\)/);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false);
});
