// Several sweeps sharing one store: one experiment per name, each trial claimed by one process,
// stale locks and claims broken, heartbeats kept. The racing tests use real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLAIM_PREFIX, FileStoreTracker, StoreError } from '../src/track/file-store.js';
import { STORE_LOCK } from '../src/track/store-lock.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';
import { T0 } from './support/sweep-script.js';

const FILE_STORE = new URL('../src/track/file-store.js', import.meta.url).href;

function tmpStore(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'store-conc-')), 'runs');
}

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

/**
 * Runs `body` (an async function body with `t`, a FileStoreTracker on root, and `args`) in n node
 * processes that all start it at the same instant; returns each one's stdout.
 */
async function race(n: number, root: string, body: string, args: unknown = null): Promise<string[]> {
  const goAt = Date.now() + 600; // every child has loaded its modules by then
  const script = `
    const { FileStoreTracker } = await import(${JSON.stringify(FILE_STORE)});
    const t = new FileStoreTracker(${JSON.stringify(root)}, process.cwd(), { onWarning: (m) => console.error(m) });
    const args = ${JSON.stringify(args)};
    while (Date.now() < ${goAt}) {}
    ${body}`;
  const children = Array.from({ length: n }, () => new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}: ${err}`))));
  }));
  return Promise.all(children);
}

test('four processes creating the same new experiment at once make one experiment (3 tries)', async () => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const root = tmpStore();
    const ids = await race(4, root, 'console.log(await t.experiment("shared"));');
    assert.equal(new Set(ids).size, 1, `attempt ${attempt}: ids ${ids.join(', ')}`);
    const names = new MlflowFileStoreReader(root).searchExperiments().map((e) => e.name).sort();
    assert.deepEqual(names, ['Default', 'shared'], `attempt ${attempt}`);
    assert.deepEqual(fs.readdirSync(root).filter((f) => f.startsWith('.') && f !== '.trash'), [], 'no lock or temp file left');
  }
});

test('two processes claiming the same trial at once: exactly one gets it', async () => {
  const root = tmpStore();
  const expId = await new FileStoreTracker(root).experiment('e');
  for (let attempt = 0; attempt < 4; attempt++) {
    const trial = `trial${attempt}`;
    // Each holds what it got for a moment, so the loser meets a live claim, then releases it.
    const outcomes = await race(2, root, `
      const claim = await t.claimTrial(args.expId, args.trial);
      console.log(claim ? 'claimed' : 'held');
      await new Promise((r) => setTimeout(r, 300));
      claim?.release();`, { expId, trial });
    assert.deepEqual(outcomes.sort(), ['claimed', 'held'], `attempt ${attempt}`);
    assert.equal(fs.existsSync(path.join(root, expId, `${CLAIM_PREFIX}${trial}`)), false, 'released');
  }
});

test('a claim is held until released; a second claim in the same store is refused meanwhile', async () => {
  const root = tmpStore();
  const a = new FileStoreTracker(root);
  const b = new FileStoreTracker(root);
  const expId = await a.experiment('e');
  assert.equal(b.trialClaimed(expId, 'abc'), false);
  const claim = await a.claimTrial(expId, 'abc');
  assert.ok(claim);
  assert.equal(await b.claimTrial(expId, 'abc'), null);
  assert.equal(b.trialClaimed(expId, 'abc'), true);
  claim.release();
  claim.release(); // idempotent
  assert.equal(b.trialClaimed(expId, 'abc'), false);
  const again = await b.claimTrial(expId, 'abc');
  assert.ok(again);
  again.release();
  await assert.rejects(a.claimTrial(expId, '../x'), TypeError);
});

test('a claim of a dead process on this host is taken over; a foreign claim only once its heartbeat is stale', async () => {
  const root = tmpStore();
  const t = new FileStoreTracker(root, process.cwd(), { staleAfterMs: 60_000 });
  const expId = await t.experiment('e');
  const file = path.join(root, expId, `${CLAIM_PREFIX}abc`);
  fs.writeFileSync(file, `${JSON.stringify({ owner: `${os.hostname()}:${deadPid()}`, since: T0, nonce: 'x' })}\n`);
  assert.equal(t.trialClaimed(expId, 'abc'), false);
  const claim = await t.claimTrial(expId, 'abc');
  assert.ok(claim, 'a dead owner\'s claim is taken over');
  assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`"owner":"${os.hostname()}:${process.pid}"`));
  claim.release();

  fs.writeFileSync(file, `${JSON.stringify({ owner: 'elsewhere:1', since: T0, nonce: 'y' })}\n`);
  assert.equal(await t.claimTrial(expId, 'abc'), null, 'a foreign claim with a fresh heartbeat is live');
  const old = new Date(Date.now() - 61_000);
  fs.utimesSync(file, old, old);
  const taken = await t.claimTrial(expId, 'abc');
  assert.ok(taken, 'a foreign claim silent for longer than the limit is taken over');
  taken.release();
});

test('the heartbeat touches held claims and RUNNING runs\' meta.yaml, and stops at release and endRun', async () => {
  const root = tmpStore();
  const t = new FileStoreTracker(root, process.cwd(), { heartbeatMs: 40 });
  const expId = await t.experiment('e');
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: {} });
  const claim = (await t.claimTrial(expId, 'abc'))!;
  const files = [path.join(root, expId, ref.runId, 'meta.yaml'), path.join(root, expId, `${CLAIM_PREFIX}abc`)];
  const old = new Date(Date.now() - 3_600_000);
  const backdate = (): void => files.forEach((f) => fs.utimesSync(f, old, old));
  const ages = (): number[] => files.map((f) => Date.now() - fs.statSync(f).mtimeMs);
  backdate();
  await sleep(150);
  for (const age of ages()) assert.ok(age < 1_000, `touched: ${age} ms old`);
  await t.endRun(ref, 'FINISHED', T0 + 1);
  claim.release();
  fs.writeFileSync(files[1]!, 'x'); // a claim file again, not ours: must not be touched
  backdate();
  await sleep(150);
  for (const age of ages()) assert.ok(age > 3_000_000, 'no heartbeat after endRun and release');
});

test('the experiment lock and claims are files MLflow does not see; a stale lock is broken, a live one waited for', async () => {
  const root = tmpStore();
  const t = new FileStoreTracker(root, process.cwd(), { lockWaitMs: 300 });
  const expId = await t.experiment('e');
  const ref = await t.createRun(expId, { runName: 'r', startTime: T0, tags: {}, params: {} });
  const claim = (await t.claimTrial(expId, 'abc'))!;
  const lock = path.join(root, STORE_LOCK);
  fs.writeFileSync(lock, `${JSON.stringify({ owner: `${os.hostname()}:${deadPid()}`, since: T0, nonce: 'x' })}\n`);
  const reader = new MlflowFileStoreReader(root);
  assert.deepEqual(reader.searchExperiments().map((e) => e.name).sort(), ['Default', 'e']);
  assert.deepEqual(reader.searchRuns([expId]).map((r) => r.info.run_id), [ref.runId]);
  claim.release();

  assert.notEqual(await t.experiment('f'), expId, 'a dead owner\'s lock is broken');
  assert.equal(fs.existsSync(lock), false);

  fs.writeFileSync(lock, `${JSON.stringify({ owner: `${os.hostname()}:${process.pid}`, since: T0, nonce: 'y' })}\n`);
  const started = Date.now();
  await assert.rejects(t.experiment('g'), (err: unknown) =>
    err instanceof StoreError && err.kind === 'store' && err.file === lock && /held by .*waited/.test(err.message) && !err.message.includes('\n'));
  assert.ok(Date.now() - started < 5_000);
  assert.equal(await t.experiment('e'), expId, 'an existing experiment is found without the lock');

  const old = new Date(Date.now() - 31_000);
  fs.utimesSync(lock, old, old);
  assert.ok(await t.experiment('g'), 'a lock older than its limit is broken, even with a live owner');
});
