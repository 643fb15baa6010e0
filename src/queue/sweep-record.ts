// One queued sweep's own state in Redis, beside BullMQ's jobs: its parent run, the jobs not yet
// settled, and who is watching. It answers one question for every process that settles a job (a
// worker finishing or giving up on a trial, a watcher, `cancel` removing queued jobs): am I the one
// who closes the sweep's parent run? Exactly one is:
//
// - while a submit is watching, the watcher closes it when it has seen every job settle (its own
//   tracking writes both its local copy and the server);
// - otherwise (--detach, a watcher stopped with Ctrl-C or killed) whoever settles the last job
//   closes it, in the store the jobs record to.
//
// A job counts as settled once it will not run again: finished, failed with no attempt left or
// never to be retried, cancelled. Keys live 30 days; the tracking store stays the ledger of results.
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ExperimentConfig } from '../config/types.js';
import { EXIT } from '../errors.js';
import type { Trial } from '../plan/expand.js';
import type { TrialStatus } from '../scheduler/events.js';
import { SweepRecorder, sweepRunStatus } from '../track/sweep-recorder.js';
import type { RunRef, Tracker } from '../track/tracker.js';

/** How a job settled, for the parent's status: any failure → FAILED, else any cancel → KILLED. */
export type Settled = 'finished' | 'failed' | 'killed';

export interface SweepRecord {
  experiment: string;
  /**
   * The parent run in the store the jobs record to: the shared directory's run, or the server's
   * (its id there). Trial runs nest under it; the closer writes to it.
   */
  parent: RunRef;
  /** the jobs' tracking URI: an absolute store directory or a server URI without credentials */
  trackingUri: string;
  /** the experiment file (the parent's source tags, the corpus identity of its configurations) */
  file: string;
  config: ExperimentConfig;
  /** every trial of the submit (the parent's best trial and configurations are chosen among them) */
  trials: Trial[];
  submittedAt: number;
}

export interface SweepState {
  record: SweepRecord;
  /** jobs not yet settled */
  unsettled: number;
  counts: Record<Settled, number>;
  /** someone has claimed the closing (it may still be writing) */
  closing: boolean;
  /** who claimed it, e.g. `worker host:pid`, `submit host:pid`, `cancel host:pid` */
  closedBy: string | null;
  /** watching submits alive now */
  watchers: number;
}

/** How long a sweep's keys (and its shipped corpora) stay in Redis after their last use: 30 days. */
export const KEPT_SECONDS = 30 * 24 * 3600;
/** A watcher's mark lasts this long unless renewed (it renews every third of it). */
export const WATCHER_TTL_MS = 15_000;

function keys(queueName: string, experiment: string): { hash: string; unsettled: string; watchers: string } {
  const tag = createHash('sha1').update(experiment).digest('hex').slice(0, 12);
  const base = `bull:${queueName}:run-sweep:sweep:${tag}`;
  return { hash: base, unsettled: `${base}:unsettled`, watchers: `${base}:watchers` };
}

/** A new sweep record (any older one of the experiment is replaced) with these jobs unsettled. */
export async function startSweep(client: Redis, queueName: string, record: SweepRecord, jobIds: string[]): Promise<void> {
  const k = keys(queueName, record.experiment);
  const tx = client.multi().del(k.hash, k.unsettled).hset(k.hash, { record: JSON.stringify(record), finished: 0, failed: 0, killed: 0 });
  if (jobIds.length > 0) tx.sadd(k.unsettled, ...jobIds);
  await tx.expire(k.hash, KEPT_SECONDS).expire(k.unsettled, KEPT_SECONDS).exec();
}

/** More jobs of a sweep already on record (a submit again, adding trials the first lacked). */
export async function addJobs(client: Redis, queueName: string, experiment: string, jobIds: string[]): Promise<void> {
  if (jobIds.length === 0) return;
  const k = keys(queueName, experiment);
  await client.multi().sadd(k.unsettled, ...jobIds).expire(k.unsettled, KEPT_SECONDS).exec();
}

export async function readSweep(client: Redis, queueName: string, experiment: string): Promise<SweepState | null> {
  const k = keys(queueName, experiment);
  const [fields, unsettled, watchers] = await Promise.all([client.hgetall(k.hash), client.scard(k.unsettled), client.zcount(k.watchers, Date.now(), '+inf')]);
  if (!fields['record']) return null;
  return {
    record: JSON.parse(fields['record']) as SweepRecord,
    unsettled,
    counts: { finished: Number(fields['finished'] ?? 0), failed: Number(fields['failed'] ?? 0), killed: Number(fields['killed'] ?? 0) },
    closing: fields['closing'] !== undefined,
    closedBy: fields['closing'] ?? null,
    watchers,
  };
}

// KEYS: hash, unsettled, watchers. ARGV: outcome, respect watchers (1/0), closer's name, job ids…
// Removes the ids from the unsettled set, counts the ones it removed, and claims the closing when
// the set is empty, nobody has claimed it, and (for a worker) no watcher is alive.
const SETTLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local removed = 0
for i = 4, #ARGV do removed = removed + redis.call('SREM', KEYS[2], ARGV[i]) end
if removed > 0 then redis.call('HINCRBY', KEYS[1], ARGV[1], removed) end
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
if ARGV[2] == '1' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) > 0 then return 0 end
end
return redis.call('HSETNX', KEYS[1], 'closing', ARGV[3])
`;

/**
 * Marks jobs settled. True when the caller must now close the sweep's parent run: every job has
 * settled, nobody claimed the closing before, and, unless `asWatcher`, no watcher is alive (a
 * watcher closes its own sweep). Jobs not on record (settled already, another sweep's) count nothing.
 */
export async function settleJobs(client: Redis, queueName: string, experiment: string, jobIds: string[], outcome: Settled, closer: string, asWatcher = false): Promise<boolean> {
  const k = keys(queueName, experiment);
  const claimed = await client.eval(SETTLE, 3, k.hash, k.unsettled, k.watchers, outcome, asWatcher ? '0' : '1', closer, ...jobIds);
  return claimed === 1;
}

/** Marks this process as watching the sweep until the returned function is called. */
export function markWatching(client: Redis, queueName: string, experiment: string): () => Promise<void> {
  const k = keys(queueName, experiment);
  const me = randomUUID();
  const renew = (): Promise<unknown> =>
    client.multi().zadd(k.watchers, Date.now() + WATCHER_TTL_MS, me).expire(k.watchers, KEPT_SECONDS).exec().catch(() => undefined);
  void renew();
  const timer = setInterval(() => void renew(), WATCHER_TTL_MS / 3);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await client.zrem(k.watchers, me).catch(() => undefined);
  };
}

/** How a trial's last attempt settles its job: finished (or reused), failed, or anything else killed. */
export function settledAs(status: TrialStatus): Settled {
  return status === 'finished' || status === 'reused' ? 'finished' : status === 'failed' ? 'failed' : 'killed';
}

/** The parent's end: a failure makes it FAILED (exit 1), else a cancel KILLED (130), else FINISHED. */
export function sweepExitCode(counts: Record<Settled, number>): number {
  return counts.failed > 0 ? EXIT.failed : counts.killed > 0 ? EXIT.interrupted : EXIT.ok;
}

/**
 * Closes the sweep's parent run in `tracker`, the store the jobs record to (Tracking.shared): the
 * best trial and configurations among the trials it holds as finished, then the status the
 * settled jobs' counts give, which it returns.
 */
export async function closeSweepParent(state: SweepState, tracker: Tracker, version: string, time = Date.now()): Promise<'FINISHED' | 'FAILED' | 'KILLED'> {
  const { record, counts } = state;
  const recorder = new SweepRecorder({
    tracker, experiment: record.experiment, config: record.config, file: record.file, trials: record.trials, version, parent: record.parent,
  });
  await recorder.open();
  const exitCode = sweepExitCode(counts);
  await recorder.closeGivenParent({ type: 'sweep-end', time, exitCode, trackingProblems: [], counts: { ...counts, reused: 0 } });
  return sweepRunStatus(exitCode);
}
