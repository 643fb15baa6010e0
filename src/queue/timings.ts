// How long BullMQ waits before it calls a worker dead, and how trials are retried.
//
// A trial trains on a piscina thread; the worker's event loop only awaits it, so BullMQ renews the
// job's lock on time however long the trial runs (its renewal every lockDuration / 2 is never
// starved). The lock only lapses when the worker is gone: killed, its machine lost, or cut off
// from Redis. The timings below are therefore about how fast a dead worker's trial moves on, not
// about the length of trials:
//
//   lockDuration    60 s   the lock a worker holds on its job, renewed every 30 s
//   stalledInterval 60 s   how often workers look for jobs whose lock lapsed; such a job goes back
//                          to the wait list and another worker trains it (≤ 2 min after the death)
//   maxStalledCount 3      a trial whose workers died 3 times fails ("stalled more than allowable
//                          limit") rather than killing workers forever (a trial that OOM-kills them)
//   backoff         30 s exponential, for infrastructure failures only (sweep.retries of them)
//
// RUN_SWEEP_QUEUE_LOCK_MS (or the --lock-ms option) sets lockDuration and stalledInterval to one
// value, and the backoff to a tenth of it: tests use 2000 to see a killed worker's job move on in
// seconds. Below 1000 ms a busy machine could be taken for a dead one.
import { RunSweepError } from '../errors.js';

export const LOCK_ENV = 'RUN_SWEEP_QUEUE_LOCK_MS';
export const DEFAULT_LOCK_MS = 60_000;
export const MIN_LOCK_MS = 1000;
export const MAX_STALLED_COUNT = 3;

export interface QueueTimings {
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
  /** the first retry's delay; doubled for each further one */
  backoffMs: number;
}

/** The timings from --lock-ms, else RUN_SWEEP_QUEUE_LOCK_MS, else the defaults. */
export function queueTimings(lockMs: number | null | undefined, env: NodeJS.ProcessEnv): QueueTimings {
  let ms = lockMs ?? null;
  const raw = env[LOCK_ENV];
  if (ms === null && raw !== undefined && raw !== '') {
    ms = Number(raw);
    if (!Number.isInteger(ms)) throw new RunSweepError('usage', `${LOCK_ENV}='${raw}': expected milliseconds, an integer ≥ ${MIN_LOCK_MS}`);
  }
  if (ms !== null && ms < MIN_LOCK_MS) throw new RunSweepError('usage', `the queue lock must be at least ${MIN_LOCK_MS} ms (got ${ms})`);
  const lock = ms ?? DEFAULT_LOCK_MS;
  return { lockDuration: lock, stalledInterval: lock, maxStalledCount: MAX_STALLED_COUNT, backoffMs: ms === null ? 30_000 : Math.max(100, Math.round(lock / 10)) };
}
