// MirroredTracker against servers that hang, die, fail or refuse: every call returns once the local
// store has it, the local store ends up complete, and drain()/abandon() are bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTracker, type OpenTrackerOptions } from '../src/track/open.js';
import { MirroredTracker, type UploadProblem } from '../src/track/mirror.js';
import type { Tracker } from '../src/track/tracker.js';
import { FakeMlflowServer, canonFromFake } from './support/fake-mlflow.js';
import { canonFromFileStore } from './support/read-store.js';
import { EXPERIMENT, canon, runSweepScript } from './support/sweep-script.js';

const FAST = { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 2000, env: {} };

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'remote-mirror-'));
}

/** the tracker, with each call's duration recorded */
function timed(t: Tracker, durations: Array<{ call: string; ms: number }>): Tracker {
  return new Proxy(t, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          durations.push({ call: String(prop), ms: performance.now() - started });
        }
      };
    },
  });
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function withServer(fn: (s: FakeMlflowServer) => Promise<void>): Promise<void> {
  const s = await new FakeMlflowServer().start();
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

function mirror(s: FakeMlflowServer, cwd: string, problems: UploadProblem[], opts: OpenTrackerOptions = FAST): MirroredTracker {
  const t = openTracker(s.uri, cwd, { ...opts, onRemoteFailure: (p) => problems.push(p) });
  assert.ok(t instanceof MirroredTracker);
  return t;
}

test('a hung server: every call returns at local speed, the local store is complete, drain(500) is bounded', () => withServer(async (s) => {
  s.setMode('hang');
  const cwd = tmpDir();
  const problems: UploadProblem[] = [];
  // production timeouts: 10 s per request, 3 tries — none of it may be felt by the caller
  const tracker = mirror(s, cwd, problems, { env: {} });
  const durations: Array<{ call: string; ms: number }> = [];
  const localDurations: Array<{ call: string; ms: number }> = [];
  // the local store's own calls, timed, to tell its time from the mirror's
  const local = tracker.local as unknown as Record<string, unknown>;
  for (const name of ['experiment', 'createRun', 'logMetrics', 'logParams', 'setTags', 'logArtifact', 'endRun']) {
    const original = (local[name] as (...a: unknown[]) => Promise<unknown>).bind(tracker.local);
    local[name] = async (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return await original(...args);
      } finally {
        localDurations.push({ call: name, ms: performance.now() - t0 });
      }
    };
  }
  const started = performance.now();
  const { expected } = await runSweepScript(timed(tracker, durations));
  const total = performance.now() - started;
  assert.deepEqual(durations.map((d) => d.call), localDurations.map((d) => d.call), 'every call wrote the local store');
  const overheads = durations.map((d, i) => ({ call: d.call, ms: d.ms - localDurations[i]!.ms }));
  const worst = overheads.reduce((a, b) => (b.ms > a.ms ? b : a));
  assert.ok(worst.ms < 50, `${worst.call} took ${worst.ms.toFixed(1)} ms beyond its local write`);
  assert.ok(total < 3000, `the whole sweep script took ${total.toFixed(0)} ms`);
  assert.deepEqual(canon(canonFromFileStore(path.join(cwd, 'runs'), EXPERIMENT)), canon(expected));

  const drainStarted = performance.now();
  const report = await tracker.drain(500);
  const drained = performance.now() - drainStarted;
  assert.ok(drained >= 480 && drained < 650, `drain(500) took ${drained.toFixed(0)} ms`);
  assert.deepEqual(report, { runsOnServer: 0, runsPending: 4, rejected: [], unreachable: null, location: s.uri });
  assert.deepEqual(problems, [], 'giving up at the deadline is not a server failure');
  assert.ok(s.requests.length > 0, 'the server was called (and hung)');
  // at its deadline drain stopped the queue: the hung requests were aborted (nothing keeps the
  // process alive), and nothing more is sent
  await until(() => s.hungConnections === 0, 'no request is left in flight', 1000);
  const after = s.requests.length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.requests.length, after);
}));

test('abandon() returns at once with requests in flight, and local writing goes on', () => withServer(async (s) => {
  s.setMode('hang');
  const cwd = tmpDir();
  const problems: UploadProblem[] = [];
  const tracker = mirror(s, cwd, problems, { env: {} });
  const exp = await tracker.experiment(EXPERIMENT);
  const run = await tracker.createRun(exp, { runName: 'r', startTime: 1, tags: {}, params: { a: '1' } });
  await until(() => s.hungConnections >= 1, 'a request hangs on the server');
  const started = performance.now();
  const report = tracker.abandon();
  assert.ok(performance.now() - started < 50, 'abandon() returns at once');
  await until(() => s.hungConnections === 0, 'the in-flight requests were aborted: their connections closed', 1000);
  assert.deepEqual([report.runsOnServer, report.runsPending], [0, 1]);
  assert.equal(tracker.remoteHealthy, false);
  // Ctrl-C's own writes (KILLED) still land locally, and are not queued
  await tracker.endRun(run, 'KILLED', 2);
  const meta = fs.readFileSync(path.join(cwd, 'runs', exp, run.runId, 'meta.yaml'), 'utf8');
  assert.match(meta, /status: 5/);
  const report2 = await tracker.drain(10_000);
  assert.deepEqual([report2.runsOnServer, report2.runsPending], [0, 1]);
  assert.deepEqual(problems, []);
}));

test('a server down from the start: one report, everything local, nothing retried after it', async () => {
  const s = await new FakeMlflowServer().start();
  await s.stop();
  const cwd = tmpDir();
  const problems: UploadProblem[] = [];
  const tracker = mirror(s, cwd, problems);
  const { expected } = await runSweepScript(tracker);
  const report = await tracker.drain(5000);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.problem, 'unreachable');
  assert.equal(problems[0]!.kind, 'tracking');
  assert.match(problems[0]!.message, /connection refused \(ECONNREFUSED\)/);
  assert.equal(report.unreachable, problems[0]!.message);
  assert.deepEqual([report.runsOnServer, report.runsPending], [0, 4]);
  assert.deepEqual(canon(canonFromFileStore(path.join(cwd, 'runs'), EXPERIMENT)), canon(expected));
});

for (const mode of ['bad-gateway', 'internal-error', 'rate-limited'] as const) {
  test(`the server turns to ${mode} mid-sweep: given up on once, the rest waits for sync`, () => withServer(async (s) => {
    const cwd = tmpDir();
    const problems: UploadProblem[] = [];
    const tracker = mirror(s, cwd, problems);
    let created = 0;
    const failing: Tracker = new Proxy(tracker, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'createRun' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: unknown[]) => {
          if (++created === 3) {
            await tracker.drain(5000);
            s.setMode(mode, { retryAfterSeconds: 0 });
          }
          return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    const { expected } = await runSweepScript(failing);
    const report = await tracker.drain(5000);
    assert.equal(problems.length, 1, problems.map(String).join('\n'));
    assert.equal(problems[0]!.problem, 'unreachable');
    assert.match(problems[0]!.message, /after 3 attempt\(s\): (502|500|429)/);
    assert.doesNotMatch(problems[0]!.message, /<|\n/, 'one line, no HTML');
    assert.deepEqual([report.runsOnServer, report.runsPending], [1, 3]);
    assert.deepEqual(canon(canonFromFileStore(path.join(cwd, 'runs'), EXPERIMENT)), canon(expected));
    // a request sent just before the give-up may reach the server's log a moment later; none after
    await new Promise((r) => setTimeout(r, 50));
    const requests = s.requests.length;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(s.requests.length, requests, 'nothing is sent after giving up');
  }));
}

test('a 400 rejection mid-sweep is reported per run as server-rejected; other runs still reach the server', () => withServer(async (s) => {
  s.rejectParam('vocab_size');
  const cwd = tmpDir();
  const problems: UploadProblem[] = [];
  const tracker = mirror(s, cwd, problems);
  const { expected } = await runSweepScript(tracker);
  const report = await tracker.drain(5000);
  assert.equal(report.unreachable, null);
  assert.equal(report.rejected.length, 3, report.rejected.join('\n'));
  for (const line of report.rejected) assert.match(line, /^run 'cell=\w+ seed=0' \([0-9a-f]{32}\): MLflow runs\/log-batch failed: 400 INVALID_PARAMETER_VALUE: Invalid value for param 'vocab_size'/);
  assert.deepEqual(problems.map((p) => [p.problem, p.kind]), Array(3).fill(['rejected', 'server-rejected']));
  assert.deepEqual([report.runsOnServer, report.runsPending], [1, 3], 'the parent made it');
  assert.equal(canonFromFake(s, EXPERIMENT).find((r) => r.parentName === null)!.status, 'FINISHED');
  assert.deepEqual(canon(canonFromFileStore(path.join(cwd, 'runs'), EXPERIMENT)), canon(expected));
}));

test('credentials refused mid-sweep (401): given up on once, message without the password', () => withServer(async (s) => {
  const cwd = tmpDir();
  const problems: UploadProblem[] = [];
  const tracker = mirror(s, cwd, problems, { ...FAST, env: { MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'hunter2-pw' } });
  const exp = await tracker.experiment(EXPERIMENT);
  await tracker.drain(5000);
  s.setMode('unauthorized');
  const run = await tracker.createRun(exp, { runName: 'r', startTime: 1, tags: {}, params: {} });
  await tracker.endRun(run, 'FINISHED', 2);
  const report = await tracker.drain(5000);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.problem, 'unreachable');
  assert.match(problems[0]!.message, /401 HTTP_401: You are not authenticated.*MLFLOW_TRACKING_USERNAME/);
  assert.doesNotMatch(problems[0]!.message, /hunter2/);
  assert.deepEqual([report.runsOnServer, report.runsPending], [0, 1]);
}));

test('the queue keeps each run in order, parents before children, and merges waiting writes', () => withServer(async (s) => {
  s.slowNext(1, 200); // experiments/get-by-name is slow: every call queues up behind it
  const cwd = tmpDir();
  const problems: UploadProblem[] = [];
  const tracker = mirror(s, cwd, problems);
  const { expected } = await runSweepScript(tracker, 5);
  const report = await tracker.drain(5000);
  assert.deepEqual(problems, []);
  assert.deepEqual([report.runsOnServer, report.runsPending], [4, 0]);
  assert.deepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
  const creates = s.requests.filter((r) => r.path.endsWith('/runs/create'));
  assert.equal(creates.length, 4);
  assert.equal((creates[0]!.body as { run_name: string }).run_name, `${EXPERIMENT} 2025-10-09T08:53:20`, 'the parent first');
  // 5 epochs' metrics and the status tag of each trial waited together: one log-batch each, not 6
  const batches = s.requests.filter((r) => r.path.endsWith('/runs/log-batch') && (r.body as { metrics?: unknown[] }).metrics?.length);
  assert.ok(batches.length <= 4, `${batches.length} log-batch requests with metrics`);
}));

test('trials finished only on the server are found with one search; a hung search is waited for once, bounded', () => withServer(async (s) => {
  // another machine's sweep finished t0abc and t1abc on the server
  const elsewhere = mirror(s, tmpDir(), []);
  await runSweepScript(elsewhere);
  await elsewhere.drain(5000);

  const tracker = mirror(s, tmpDir(), [], { ...FAST, lookupTimeoutMs: 300 });
  const exp = await tracker.experiment(EXPERIMENT);
  const found = await tracker.finishedTrials(exp, ['t0abc', 't1abc', 't2abc']);
  assert.deepEqual([...found.keys()].sort(), ['t0abc', 't1abc']);
  assert.equal(found.get('t0abc')!.metrics.val_perplexity, 22 / 3 + 0.125);
  const searches = s.requests.filter((r) => r.path.endsWith('/runs/search')).length;
  // the scheduler asks again for each trial before training it: answered from the one search
  assert.ok((await tracker.finishedTrials(exp, ['t1abc'])).has('t1abc'));
  assert.equal(s.requests.filter((r) => r.path.endsWith('/runs/search')).length, searches);

  // a server that hangs after the check: the first call waits lookupTimeoutMs, the later ones not at all
  s.setMode('hang');
  const stuck = mirror(s, tmpDir(), [], { ...FAST, lookupTimeoutMs: 300 });
  const stuckExp = await stuck.experiment(EXPERIMENT);
  let started = performance.now();
  assert.equal((await stuck.finishedTrials(stuckExp, ['t0abc', 't1abc'])).size, 0);
  const first = performance.now() - started;
  assert.ok(first >= 280 && first < 600, `first lookup ${first.toFixed(0)} ms`);
  started = performance.now();
  for (const id of ['t0abc', 't1abc']) assert.equal((await stuck.finishedTrials(stuckExp, [id])).size, 0);
  assert.ok(performance.now() - started < 50, 'later lookups do not wait');
  stuck.abandon();
}));
