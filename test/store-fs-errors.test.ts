// Filesystem failures a user can cause (a file where the store should be, a full disk, a read-only
// or foreign-owned store) are one line naming the path — a store RunSweepError, exit 2 — and leave
// no temp file and no half-written run behind. The disk-full and read-only cases use real tmpfs
// mounts where the test may mount one (root); a simulated full disk runs everywhere.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { RunSweepError } from '../src/errors.js';
import { FileStoreTracker, StoreError } from '../src/track/file-store.js';
import { StoreFsError } from '../src/track/store-files.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';
import { T0 } from './support/sweep-script.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'store-fserr-'));
}

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

function temps(dir: string): string[] {
  return allFiles(dir).filter((f) => path.basename(f).startsWith('.tmp-'));
}

/** A store RunSweepError of one line that names `where` and says `why`. */
function oneLine(where: string | RegExp, why: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof StoreError, `not a StoreError: ${String(err)}`);
    assert.ok(err instanceof RunSweepError && err.kind === 'store' && err.exitCode === 2);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    if (typeof where === 'string') assert.ok(err.message.includes(where), `names ${where}: ${err.message}`);
    else assert.match(err.message, where);
    assert.match(err.message, why);
    return true;
  };
}

/** Mounts a tmpfs of sizeKb at a new directory, unmounted after the test; null (test skipped) where mounting is not allowed. */
function mountTmpfs(t: TestContext, sizeKb: number): string | null {
  const dir = tmpDir();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(r.stderr || r.error?.message || 'not root').trim()}); the simulated tests cover this case`);
    return null;
  }
  t.after(() => {
    spawnSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function remountReadOnly(dir: string): void {
  const r = spawnSync('mount', ['-o', 'remount,ro', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Fills the filesystem at dir, writing a file until the disk is full. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

test('./runs being a regular file is one line naming it', async () => {
  const dir = tmpDir();
  const root = path.join(dir, 'runs');
  fs.writeFileSync(root, 'not a store');
  await assert.rejects(new FileStoreTracker(root).experiment('e'), oneLine(root, /is a file, not a directory/));
  const below = path.join(root, 'deeper');
  await assert.rejects(new FileStoreTracker(below).experiment('e'), oneLine(root, /not a directory \(ENOTDIR\)/));
  assert.equal(fs.readFileSync(root, 'utf8'), 'not a store');
  assert.deepEqual(allFiles(dir), ['runs']);
});

test('a full disk (simulated: writes fail halfway) is one line naming the file; no temp file, no torn line', async () => {
  const root = path.join(tmpDir(), 'runs');
  const t = new FileStoreTracker(root);
  const expId = await t.experiment('e');
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: {} });
  await t.logMetrics(ref, [{ key: 'loss', value: 1, step: 0, timestamp: T0 }]);
  const metric = path.join(root, expId, ref.runId, 'metrics', 'loss');
  const before = fs.readFileSync(metric, 'utf8');
  const enospc = (): NodeJS.ErrnoException =>
    Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  const real = { writeFileSync: fs.writeFileSync, writeSync: fs.writeSync };
  // Like a disk that fills up mid-write: half the bytes land, then ENOSPC (which names no path).
  fs.writeFileSync = ((file: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView) => {
    real.writeFileSync(file, typeof data === 'string' ? data.slice(0, data.length >> 1) : 'x');
    throw enospc();
  }) as typeof fs.writeFileSync;
  fs.writeSync = ((fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
    real.writeSync(fd, buffer, offset, Math.max(1, length >> 1), position);
    throw enospc();
  }) as unknown as typeof fs.writeSync;
  try {
    const artifact = path.join(root, expId, ref.runId, 'artifacts', 'model', 'model.json');
    await assert.rejects(t.logArtifact(ref, 'model/model.json', '{"weights": []}'),
      oneLine(`cannot write ${artifact}`, /: no space left on the device \(ENOSPC\)$/));
    await assert.rejects(t.logMetrics(ref, [{ key: 'loss', value: 0.5, step: 1, timestamp: T0 + 1 }]),
      oneLine(`cannot write ${metric}`, /\(ENOSPC\)$/));
    await assert.rejects(t.logMetrics(ref, [{ key: 'new_metric', value: 0.5, step: 1, timestamp: T0 + 1 }]), oneLine(root, /ENOSPC/));
    await assert.rejects(t.endRun(ref, 'FINISHED', T0 + 2), oneLine(path.join(root, expId, ref.runId, 'meta.yaml'), /ENOSPC/));
    await assert.rejects(t.createRun(expId, { runName: 'r2', startTime: T0, tags: {}, params: { a: '1' } }), oneLine(root, /ENOSPC/));
    await assert.rejects(t.experiment('new'), oneLine(root, /ENOSPC/));
  } finally {
    Object.assign(fs, real);
  }
  assert.equal(fs.readFileSync(metric, 'utf8'), before, 'the half-written line was undone');
  assert.deepEqual(temps(root), []);
  assert.deepEqual(fs.readdirSync(path.join(root, expId)).sort(), [ref.runId, 'meta.yaml'], 'no half-made run');
  assert.equal(fs.existsSync(path.join(root, expId, ref.runId, 'metrics', 'new_metric')), false);
  const reader = new MlflowFileStoreReader(root);
  assert.deepEqual(reader.searchExperiments().map((e) => e.name).sort(), ['Default', 'e']);
  assert.equal(reader.searchRuns([expId]).length, 1);
  await t.endRun(ref, 'FINISHED', T0 + 2); // space again: the run closes
});

test('a full disk (a real 64 KiB tmpfs) is one line naming the path, with no temp file and whole metric lines', async (t) => {
  const mnt = mountTmpfs(t, 64);
  if (mnt === null) return;
  const root = path.join(mnt, 'runs');
  const store = new FileStoreTracker(root);
  const expId = await store.experiment('e');
  const ref = await store.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: { p: '1' } });
  await store.logMetrics(ref, [{ key: 'loss', value: 1, step: 0, timestamp: T0 }]);
  const runDir = path.join(root, expId, ref.runId);
  const weights = path.join(runDir, 'artifacts', 'model', 'weights.bin');
  await assert.rejects(store.logArtifact(ref, 'model/weights.bin', new Uint8Array(256 * 1024)),
    oneLine(`cannot write ${weights}`, /no space left on the device \(ENOSPC\)$/));
  assert.deepEqual(temps(root), []);

  const filler = fill(mnt);
  const metric = path.join(runDir, 'metrics', 'loss');
  const before = fs.readFileSync(metric, 'utf8');
  const many = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: 1 / (i + 2), step: i + 1, timestamp: T0 + i }));
  await assert.rejects(store.logMetrics(ref, many), oneLine(`cannot write ${metric}`, /ENOSPC/));
  assert.equal(fs.readFileSync(metric, 'utf8'), before, 'a line batch is written whole or not at all');
  await assert.rejects(store.createRun(expId, { runName: 'r2', startTime: T0, tags: {}, params: {} }), oneLine(root, /ENOSPC/));
  await assert.rejects(store.experiment('other'), oneLine(root, /ENOSPC/));
  await assert.rejects(store.endRun(ref, 'FINISHED', T0 + 5), oneLine(path.join(runDir, 'meta.yaml'), /ENOSPC/));
  assert.deepEqual(temps(root), []);
  assert.deepEqual(fs.readdirSync(path.join(root, expId)).sort(), [ref.runId, 'meta.yaml']);
  assert.deepEqual(fs.readdirSync(root).filter((f) => f.startsWith('.') && f !== '.trash'), [], 'no lock left');

  fs.rmSync(filler);
  await store.endRun(ref, 'FINISHED', T0 + 5);
  const reader = new MlflowFileStoreReader(root);
  assert.deepEqual(reader.searchExperiments().map((e) => e.name).sort(), ['Default', 'e']);
  assert.equal(reader.getRun(ref.runId).info.status, 'FINISHED');
  assert.equal(reader.getRun(ref.runId).info.end_time, T0 + 5);
});

test('a read-only store (a tmpfs remounted ro) is one line naming the path; reading still works', async (t) => {
  const mnt = mountTmpfs(t, 1024);
  if (mnt === null) return;
  const root = path.join(mnt, 'runs');
  const store = new FileStoreTracker(root);
  const expId = await store.experiment('e');
  const ref = await store.createRun(expId, { runName: 'r', startTime: T0, tags: { 'run_sweep.trial_id': 'abc' }, params: {} });
  await store.logMetrics(ref, [{ key: 'loss', value: 1, step: 0, timestamp: T0 }]);
  const done = await store.createRun(expId, { runName: 'done', startTime: T0, tags: { 'run_sweep.trial_id': 'def' }, params: {} });
  await store.logMetrics(done, [{ key: 'loss', value: 3, step: 0, timestamp: T0 }]);
  await store.endRun(done, 'FINISHED', T0 + 1);
  const torn = path.join(root, expId, done.runId, 'metrics', 'loss');
  fs.appendFileSync(torn, `${T0} 2.`);
  remountReadOnly(mnt);
  const ro = /read-only file system \(EROFS\)$/;
  await assert.rejects(store.createRun(expId, { runName: 'r2', startTime: T0, tags: {}, params: {} }), oneLine(path.join(root, expId), ro));
  await assert.rejects(store.logMetrics(ref, [{ key: 'loss', value: 2, step: 1, timestamp: T0 }]), oneLine(path.join(root, expId, ref.runId, 'metrics', 'loss'), ro));
  await assert.rejects(store.endRun(ref, 'FINISHED', T0), oneLine(path.join(root, expId, ref.runId, 'meta.yaml'), ro));
  await assert.rejects(store.experiment('other'), oneLine(root, ro));
  await assert.rejects(store.claimTrial(expId, 'abc'), oneLine(path.join(root, expId), ro));
  await assert.rejects(new FileStoreTracker(path.join(mnt, 'fresh')).experiment('e'), oneLine(path.join(mnt, 'fresh'), ro));
  const warnings: string[] = [];
  const reader = new FileStoreTracker(root, process.cwd(), { onWarning: (m) => warnings.push(m) });
  assert.equal(await reader.experiment('e'), expId);
  const found = await reader.finishedTrials(expId, ['abc', 'def']);
  assert.deepEqual([...found.keys()], ['def']);
  assert.deepEqual(found.get('def')!.metrics, { loss: 3 }, 'a torn line that cannot be repaired is still dropped');
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.includes(torn) && /could not repair the file \(cannot write .*\(EROFS\)\)$/.test(warnings[0]!), warnings[0]);
});

test('a store owned by another user (EACCES, as uid 65534) is one line naming the path; nothing is written', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to run a child as another user');
    return;
  }
  const dir = tmpDir();
  fs.chmodSync(dir, 0o755);
  const root = path.join(dir, 'runs');
  const owner = new FileStoreTracker(root);
  const expId = await owner.experiment('e');
  const before = allFiles(dir);
  const script = `
    const { FileStoreTracker } = await import(${JSON.stringify(new URL('../src/track/file-store.js', import.meta.url).href)});
    const t = new FileStoreTracker(${JSON.stringify(root)});
    const report = async (what, call) => {
      try { console.log(JSON.stringify({ what, ok: await call() })); }
      catch (err) { console.log(JSON.stringify({ what, name: err.name, kind: err.kind, message: err.message })); }
    };
    await report('find', () => t.experiment('e'));
    await report('create-run', () => t.createRun(${JSON.stringify(expId)}, { runName: 'r', startTime: 1, tags: {}, params: {} }));
    await report('create-experiment', () => t.experiment('new'));
    await report('claim', () => t.claimTrial(${JSON.stringify(expId)}, 'abc'));
    await report('new-store', () => new FileStoreTracker(${JSON.stringify(path.join(dir, 'other'))}).experiment('e'));`;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
  const results = Object.fromEntries(out.trim().split('\n').map((l) => JSON.parse(l) as { what: string }).map((r) => [r.what, r])) as
    Record<string, { ok?: unknown; name?: string; kind?: string; message?: string }>;
  assert.equal(results.find!.ok, expId, 'a store one may only read is still read');
  for (const [what, where] of [['create-run', path.join(root, expId)], ['create-experiment', root], ['claim', path.join(root, expId)], ['new-store', dir]] as const) {
    const r = results[what]!;
    assert.equal(r.kind, 'store', `${what}: ${JSON.stringify(r)}`);
    assert.match(r.name!, /^Store(Fs)?Error$/);
    assert.ok(r.message!.includes(where) && /permission denied \(EACCES\)$/.test(r.message!) && !r.message!.includes('\n'), `${what}: ${r.message}`);
  }
  assert.deepEqual(allFiles(dir), before, 'nothing written, no temp file');
});

test('StoreFsError keeps the errno name without passing for a raw Node error', () => {
  const err = new StoreFsError(Object.assign(new Error('x'), { code: 'EROFS', syscall: 'open' }), '/s/runs/1/meta.yaml');
  assert.equal(err.message, 'cannot open /s/runs/1/meta.yaml: read-only file system (EROFS)');
  assert.equal(err.fsCode, 'EROFS');
  assert.equal((err as unknown as { code?: string }).code, undefined);
});
