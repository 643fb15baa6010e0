// Trial limits on real worker threads: a crash is retried (sweep.retries), running out of memory
// ends the trial with reason out_of_memory (and is retried too), a timeout is not retried and
// ends FAILED with reason timeout, divergence is never retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandTrials } from '../src/plan/expand.js';
import type { SweepEvent } from '../src/scheduler/events.js';
import type { Ledger } from '../src/scheduler/ledger.js';
import { runSweep, type SweepOptions } from '../src/scheduler/sweep.js';
import { loadExperimentText } from './support/experiment.js';
import { runCli } from './support/cli.js';
import { workspace } from './support/workspace.js';
import { trialRuns } from './support/store-runs.js';
import { nativeBlas } from './support/blas.js';

const TINY = `
name: limits
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 2, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
`;

/** A ledger that keeps events in memory: the scheduler alone, with no store. */
function memoryLedger(): Ledger & { events: SweepEvent[] } {
  const events: SweepEvent[] = [];
  return {
    events,
    reap: async () => 0,
    finished: async () => new Map(),
    claim: async () => ({ release: () => {} }),
    record: async (e) => void events.push(e),
  };
}

function options(yaml: string, extra: Partial<SweepOptions>): SweepOptions & { ledger: ReturnType<typeof memoryLedger> } {
  const trials = expandTrials(loadExperimentText(yaml));
  return {
    trials, baseDir: process.cwd(), sizing: new Map(), ledger: memoryLedger(), workers: 1, rerun: false,
    trialTimeoutMs: null, maxMemoryMb: null, retries: 1, signal: new AbortController().signal,
    experiment: 'limits', location: 'memory', onEvent: () => {}, ...extra,
  } as SweepOptions & { ledger: ReturnType<typeof memoryLedger> };
}

const ends = (events: SweepEvent[]) => events.filter((e): e is Extract<SweepEvent, { type: 'trial-end' }> => e.type === 'trial-end');

test('a worker that crashes is retried, and the retry finishes the trial', async () => {
  process.env.RUN_SWEEP_TEST_MARKERS = mkdtempSync(join(tmpdir(), 'markers-'));
  const o = options(TINY, { workerUrl: new URL('./support/workers/crash-once.js', import.meta.url), retries: 1 });
  const { reports } = await runSweep(o);
  const [first, second] = ends(o.ledger.events);
  assert.equal(first?.status, 'failed');
  assert.equal(first?.reason, 'error');
  assert.equal(first?.willRetry, true);
  assert.equal(second?.status, 'finished');
  assert.equal(second?.attempt, 2);
  assert.equal(reports[0]?.status, 'finished');
});

test('with retries 0 a crash is final', async () => {
  process.env.RUN_SWEEP_TEST_MARKERS = mkdtempSync(join(tmpdir(), 'markers-'));
  const o = options(TINY, { workerUrl: new URL('./support/workers/crash-once.js', import.meta.url), retries: 0 });
  const { reports } = await runSweep(o);
  assert.deepEqual(ends(o.ledger.events).map((e) => [e.status, e.willRetry]), [['failed', false]]);
  assert.equal(reports[0]?.status, 'failed');
});

test('a worker over its memory limit ends out_of_memory, and is retried as infrastructure', async () => {
  const o = options(TINY, { workerUrl: new URL('./support/workers/hog.js', import.meta.url), maxMemoryMb: 32, retries: 1 });
  const { reports } = await runSweep(o);
  assert.deepEqual(ends(o.ledger.events).map((e) => [e.status, e.reason, e.willRetry]), [
    ['failed', 'out_of_memory', true],
    ['failed', 'out_of_memory', false],
  ]);
  assert.equal(reports[0]?.reason, 'out_of_memory');
});

test('through the command: sweep.trial_timeout ends a trial FAILED with reason timeout, exit 1, never retried', async () => {
  const cwd = workspace({ 'sweep.yaml': `${TINY.replace('epochs: 2', 'epochs: 500')}sweep: {trial_timeout: 2s, retries: 2, workers: 1}\n` });
  const started = Date.now();
  const result = await runCli(['sweep.yaml'], cwd);
  assert.equal(result.code, 1, result.stderr);
  assert.ok(Date.now() - started < 30_000);
  assert.match(result.stdout, /failed \(timeout\)/);
  const runs = trialRuns(cwd, 'limits');
  assert.equal(runs.length, 1, 'a timeout is not retried');
  assert.equal(runs[0]?.info.status, 'FAILED');
  assert.equal(runs[0]?.data.tags['run_sweep.failure'], 'timeout');
});

test('through the command: a diverging trial fails with reason diverged and is never retried', async () => {
  const cwd = workspace({ 'sweep.yaml': `${TINY.replace('epochs: 2', 'epochs: 3, lr: 1.0e+30, clip_norm: 0')}sweep: {retries: 2}\n` });
  const result = await runCli(['sweep.yaml'], cwd);
  assert.equal(result.code, 1, result.stderr);
  const runs = trialRuns(cwd, 'limits');
  assert.equal(runs.length, 1);
  assert.equal(runs[0]?.data.tags['run_sweep.failure'], 'diverged');
  assert.match(result.stdout, /failed \(diverged\): training diverged/);
});

/** Runs test/support/stop-sweep.js: a one-trial sweep stopped while its worker is busy. */
function stopSweep(env: Record<string, string>, grace?: number): { code: number | null; stdout: string; stderr: string; markers: string } {
  const markers = mkdtempSync(join(tmpdir(), 'markers-'));
  const script = fileURLToPath(new URL('./support/stop-sweep.js', import.meta.url));
  const r = spawnSync(process.execPath, [script, markers, ...(grace ? [String(grace)] : [])], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, markers };
}

test('a stop asks the worker and lets it finish the native calls it is in the middle of (terminating the thread there crashed the process)', () => {
  assert.ok(nativeBlas().native || process.env.CI !== 'true', 'CI has koffi and OpenBLAS, so the stretch calls native code');
  const r = stopSweep({ RUN_SWEEP_TEST_IGNORE_STOP: '' });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(r.markers, 'left')), 'the worker was terminated in the middle of its work');
  assert.deepEqual(JSON.parse(r.stdout), ['killed']);
});

test('a worker that does not stop when asked is terminated after the grace period, and its trial ends killed', () => {
  const r = stopSweep({ RUN_SWEEP_TEST_IGNORE_STOP: '1' }, 300);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!existsSync(join(r.markers, 'left')));
  assert.deepEqual(JSON.parse(r.stdout), ['killed']);
});
