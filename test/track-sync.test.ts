import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTracker } from '../src/track/open.js';
import { FileStoreTracker } from '../src/track/file-store.js';
import { MirroredTracker, type UploadProblem } from '../src/track/mirror.js';
import { syncStore } from '../src/track/sync.js';
import type { Tracker } from '../src/track/tracker.js';
import { FakeMlflowServer, canonFromFake } from './support/fake-mlflow.js';
import { canonFromFileStore } from './support/read-store.js';
import { EXPERIMENT, T0, canon, runSweepScript } from './support/sweep-script.js';

const FAST = { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 2000, env: {} };

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'track-sync-'));
}

const counts = (r: { uploaded: number; updated: number; unchanged: number }): { uploaded: number; updated: number; unchanged: number } =>
  ({ uploaded: r.uploaded, updated: r.updated, unchanged: r.unchanged });

test('server down for the whole sweep: local store complete, one report; sync uploads all; sync again adds nothing', async () => {
  const cwd = tmpDir();
  const down = await new FakeMlflowServer().start();
  await down.stop();
  const failures: UploadProblem[] = [];
  const tracker = openTracker(down.uri, cwd, { ...FAST, onRemoteFailure: (e) => failures.push(e) });
  assert.ok(tracker instanceof MirroredTracker);
  const { expected } = await runSweepScript(tracker);
  const report = await tracker.drain(5000);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.problem, 'unreachable');
  assert.match(String(failures[0]), /ECONNREFUSED/);
  assert.equal(tracker.remoteHealthy, false);
  assert.deepEqual({ ...report, unreachable: typeof report.unreachable }, {
    runsOnServer: 0, runsPending: 4, rejected: [], unreachable: 'string', location: down.uri,
  });
  const local = path.join(cwd, 'runs');
  assert.deepEqual(canon(canonFromFileStore(local, EXPERIMENT)), canon(expected));

  const s = await new FakeMlflowServer().start();
  try {
    const lines: string[] = [];
    assert.deepEqual(counts(await syncStore(local, s.uri, { ...FAST, onRun: (l) => lines.push(l) })), { uploaded: 4, updated: 0, unchanged: 0 });
    assert.equal(lines.filter((l) => l.startsWith('uploaded ')).length, 4);
    assert.deepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
    const before = s.requests.length;
    assert.deepEqual(counts(await syncStore(local, s.uri, FAST)), { uploaded: 0, updated: 0, unchanged: 4 });
    assert.deepEqual(s.writesSince(before), []);
    assert.equal(s.runs.size, 4);
  } finally {
    await s.stop();
  }
});

test('server failing mid-sweep: the mirror stops calling it, and sync tells uploaded, updated and unchanged runs apart', async () => {
  const cwd = tmpDir();
  const s = await new FakeMlflowServer().start();
  try {
    const failures: UploadProblem[] = [];
    const mirror = openTracker(s.uri, cwd, { ...FAST, onRemoteFailure: (e) => failures.push(e) }) as MirroredTracker;
    let created = 0;
    // once the first trial is complete on the server, it starts failing (503 on every retry)
    const tracker: Tracker = new Proxy(mirror, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'createRun' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: unknown[]) => {
          if (++created === 3) {
            assert.equal((await mirror.drain(5000)).runsOnServer, 1, 'the first trial is complete on the server');
            s.failNext(1000);
          }
          return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    const { expected } = await runSweepScript(tracker);
    const report = await mirror.drain(5000);
    s.heal();
    assert.equal(failures.length, 1);
    assert.deepEqual([report.runsOnServer, report.runsPending], [1, 3]);
    assert.deepEqual(canon(canonFromFileStore(path.join(cwd, 'runs'), EXPERIMENT)), canon(expected));
    assert.notDeepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
    const lines: string[] = [];
    const result = await syncStore(path.join(cwd, 'runs'), s.uri, { ...FAST, onRun: (l) => lines.push(l) });
    // the parent was on the server, RUNNING: completed; the first trial was whole; the others are new
    assert.deepEqual(counts(result), { uploaded: 2, updated: 1, unchanged: 1 });
    assert.deepEqual(lines.map((l) => l.split(' ')[0]).sort(), ['updated', 'uploaded', 'uploaded']);
    assert.match(lines.find((l) => l.startsWith('updated'))!, /^updated cell-comparison\/cell-comparison 2025-10-09T08:53:20 \([0-9a-f]{32}\): 1 metric point\(s\), status FINISHED$/);
    assert.deepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
    assert.equal(s.runs.size, 4, 'no run duplicated');
    assert.deepEqual(counts(await syncStore(path.join(cwd, 'runs'), s.uri, FAST)), { uploaded: 0, updated: 0, unchanged: 4 });
  } finally {
    await s.stop();
  }
});

test('a healthy mirror writes the same sweep to both sinks, linking server runs to local ones', async () => {
  const cwd = tmpDir();
  const s = await new FakeMlflowServer().start();
  try {
    const tracker = openTracker(s.uri, cwd, { ...FAST, onRemoteFailure: (e) => assert.fail(String(e)) }) as MirroredTracker;
    const { expected, experimentId } = await runSweepScript(tracker);
    assert.deepEqual(await tracker.drain(5000), { runsOnServer: 4, runsPending: 0, rejected: [], unreachable: null, location: s.uri });
    assert.deepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
    assert.deepEqual(canon(canonFromFileStore(path.join(cwd, 'runs'), EXPERIMENT)), canon(expected));
    const localIds = fs.readdirSync(path.join(cwd, 'runs', experimentId)).filter((d) => d.length === 32).sort();
    assert.deepEqual([...s.runs.values()].map((r) => r.tags.get('run_sweep.local_run_id')).sort(), localIds);
    assert.deepEqual(counts(await syncStore(path.join(cwd, 'runs'), s.uri, FAST)), { uploaded: 0, updated: 0, unchanged: 4 });
  } finally {
    await s.stop();
  }
});

test('a RUNNING run synced twice: the second sync sends nothing; what changed locally is sent alone', async () => {
  const cwd = tmpDir();
  const local = new FileStoreTracker(path.join(cwd, 'runs'), cwd);
  const exp = await local.experiment(EXPERIMENT);
  const run = await local.createRun(exp, { runName: 'live', startTime: T0, tags: { 'run_sweep.trial_id': 't' }, params: { a: '1' } });
  await local.logMetrics(run, [{ key: 'm', value: 1, step: 1, timestamp: T0 + 1 }]);
  await local.logArtifact(run, 'config.yaml', 'a: 1\n');
  await local.logArtifact(run, 'samples/epoch_001.txt', 'the whale');
  await local.logArtifact(run, 'model/weights.bin', new Uint8Array(64));
  const s = await new FakeMlflowServer().start();
  try {
    const lines: string[] = [];
    const sync = (): ReturnType<typeof syncStore> => syncStore(path.join(cwd, 'runs'), s.uri, { ...FAST, onRun: (l) => lines.push(l) });
    assert.deepEqual(counts(await sync()), { uploaded: 1, updated: 0, unchanged: 0 });
    const [server] = s.runs.values();
    assert.equal(server!.info.status, 'RUNNING');
    assert.equal(server!.artifacts.size, 3);

    let before = s.requests.length;
    assert.deepEqual(counts(await sync()), { uploaded: 0, updated: 0, unchanged: 1 });
    assert.deepEqual(s.writesSince(before), [], 'nothing re-sent: no log-batch, no artifact upload, no update');
    assert.equal(lines.length, 1, 'an unchanged run gets no line');

    // training goes on: an epoch's metrics and a sample file that grew
    await local.logMetrics(run, [{ key: 'm', value: 2, step: 2, timestamp: T0 + 2 }]);
    await local.logArtifact(run, 'samples/epoch_001.txt', 'the whale and the sea');
    before = s.requests.length;
    assert.deepEqual(counts(await sync()), { uploaded: 0, updated: 1, unchanged: 0 });
    assert.deepEqual(s.writesSince(before).map((r) => `${r.method} ${r.path.replace(/^.*\/artifacts\//, '…/')}`), [
      'POST /api/2.0/mlflow/runs/log-batch', 'PUT …/samples/epoch_001.txt',
    ]);
    assert.match(lines.at(-1)!, /^updated cell-comparison\/live \([0-9a-f]{32}\): 1 metric point\(s\), 1 artifact\(s\)$/);
    assert.equal(server!.artifacts.get('samples/epoch_001.txt')!.toString(), 'the whale and the sea');

    await local.endRun(run, 'FINISHED', T0 + 10);
    assert.deepEqual(counts(await sync()), { uploaded: 0, updated: 1, unchanged: 0 });
    assert.equal(server!.info.status, 'FINISHED');
    before = s.requests.length;
    assert.deepEqual(counts(await sync()), { uploaded: 0, updated: 0, unchanged: 1 });
    assert.deepEqual(s.writesSince(before), []);
  } finally {
    await s.stop();
  }
});

test('openTracker maps URIs to sinks, and its errors carry no password', () => {
  const cwd = tmpDir();
  const def = openTracker(null, cwd);
  assert.ok(def instanceof FileStoreTracker);
  assert.equal(def.location, path.join(cwd, 'runs'));
  assert.equal(openTracker('elsewhere', cwd).location, path.join(cwd, 'elsewhere'));
  assert.equal(openTracker(`file://${cwd}/x`, cwd).location, path.join(cwd, 'x'));
  const mirror = openTracker('https://ann:pa55wd@mlflow.example.com', cwd, { env: {} });
  assert.ok(mirror instanceof MirroredTracker);
  assert.equal(mirror.location, `https://***@mlflow.example.com (local copy in ${path.join(cwd, 'runs')})`);
  assert.throws(() => openTracker('databricks://profile', cwd), /http\(s\)/);
  for (const uri of ['databricks://ann:pa55wd@x', 'ftp://ann:pa55wd@host/runs', 'http://ann:pa55wd@exa mple', 'http://ann:pa55%zz@host']) {
    assert.throws(() => openTracker(uri, cwd, { env: {} }), (err: Error) =>
      (err as { kind?: string }).kind === 'tracking' && !err.message.includes('pa55') && err.message.includes('***'));
  }
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false);
});

test('a queued sweep\'s run on the server: runs of another machine nest under it by its server id; sync neither loses them nor undoes its end', async () => {
  const s = await new FakeMlflowServer().start();
  try {
    // The submitter makes the sweep's run; the server's copy is what workers are told of.
    const submitter = openTracker(s.uri, tmpDir(), FAST) as MirroredTracker;
    const subExp = await submitter.experiment('queued');
    const parent = await submitter.createRun(subExp, { runName: 'sweep', startTime: T0, tags: { 'run_sweep.role': 'sweep' }, params: {} });
    await submitter.drain(5000);
    const serverParent = submitter.serverRun(parent.runId)!;
    assert.ok(serverParent, 'the sweep run reached the server');

    // A worker elsewhere adopts it and records a trial under it.
    const workerDir = tmpDir();
    const worker = openTracker(s.uri, workerDir, FAST) as MirroredTracker;
    const workExp = await worker.experiment('queued');
    const alias = worker.adoptServerRun(workExp, serverParent);
    const trial = await worker.createRun(workExp, { runName: 'trial', startTime: T0 + 1, tags: { 'run_sweep.trial_id': 't1' }, params: {}, parent: alias });
    await worker.endRun(trial, 'FINISHED', T0 + 2);
    assert.equal((await worker.drain(5000)).runsPending, 0);
    const serverTrial = [...s.runs.values()].find((r) => r.tags.get('run_sweep.trial_id') === 't1')!;
    assert.equal(serverTrial.tags.get('mlflow.parentRunId'), serverParent.runId, 'nested under the sweep run on the server');

    // The last worker closes it on the server; the submitter's local copy never saw that, and is reaped KILLED.
    await worker.remote.endRun(serverParent, 'FINISHED', T0 + 3);
    await submitter.local.endRun(parent, 'KILLED', T0 + 1);
    await syncStore(path.join(workerDir, 'runs'), s.uri, FAST); // its trial names a parent only the server knows: no error
    await syncStore(submitter.local.root, s.uri, FAST);
    assert.equal(s.runs.get(serverParent.runId)!.info.status, 'FINISHED', 'sync does not turn a FINISHED server run KILLED');
  } finally {
    await s.stop();
  }
});
