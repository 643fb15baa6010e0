// How a sweep tells live work from dead work in a store that several sweeps share.
//
// <!-- liveness:start -->
// - **Heartbeat.** A sweep touches (sets the modification time of) the `meta.yaml` of every run
//   it has RUNNING, and every trial claim it holds, every 15 s (`HEARTBEAT_INTERVAL_MS`).
// - **Owner on this host.** A RUNNING run or a claim whose owner (`run_sweep.owner`, `host:pid`)
//   is on this host is stale as soon as that process is gone.
// - **Owner that cannot be checked** (another host, a container that is gone, no owner tag). A run
//   is stale when its heartbeat — the newest modification time of any file in the run, meta.yaml
//   included — is older than `RUN_SWEEP_STALE_AFTER` seconds (default 600, at least 30); a claim
//   when its file is.
// - **Reaping.** The next sweep of the experiment marks a stale RUNNING run KILLED with the time
//   of its last event as end time: the newest modification time among its `metrics/`, `params/`,
//   `tags/` and `artifacts/` files (its start time if there are none), never the time of reaping.
// - **Claims.** A trial being trained is claimed by a file `.claim-<trial id>` in the experiment's
//   directory; another sweep does not train it while the claim is live, and takes a stale one over.
// - **Creating an experiment** happens under the lock file `.experiments.lock` in the store. It is
//   held for milliseconds; it is broken when its owner is gone from this host or when it is older
//   than 30 s (`STORE_LOCK_STALE_MS`), and a sweep waits at most 45 s (`STORE_LOCK_WAIT_MS`).
// MLflow lists only directories as experiments and runs, so these files are invisible to it.
// <!-- liveness:end -->
import fs from 'node:fs';
import { RunSweepError } from '../errors.js';

/** How often a sweep touches its RUNNING runs' meta.yaml and its claims. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** The environment variable that sets, in seconds, when an unverifiable heartbeat is stale. */
export const STALE_AFTER_ENV = 'RUN_SWEEP_STALE_AFTER';
export const DEFAULT_STALE_AFTER_S = 600;
/** Below two heartbeats, a live sweep on another host could be taken for dead. */
export const MIN_STALE_AFTER_S = (2 * HEARTBEAT_INTERVAL_MS) / 1000;
/** The experiment-creation lock is broken when older than this (its holder needs milliseconds). */
export const STORE_LOCK_STALE_MS = 30_000;
/** How long a sweep waits for the experiment-creation lock before giving up with an error. */
export const STORE_LOCK_WAIT_MS = 45_000;

/** RUN_SWEEP_STALE_AFTER (seconds) in ms, or the default; a bad value is a config error. */
export function staleAfterMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[STALE_AFTER_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_STALE_AFTER_S * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < MIN_STALE_AFTER_S) {
    throw new RunSweepError('config',
      `${STALE_AFTER_ENV}='${raw}': expected a number of seconds, at least ${MIN_STALE_AFTER_S} (two heartbeats); the default is ${DEFAULT_STALE_AFTER_S}`);
  }
  return seconds * 1000;
}

/**
 * Touches a set of files every interval on an unref'd timer (it never keeps the process alive),
 * running only while the set is not empty. A file that cannot be touched is reported once and
 * dropped (a claim taken over, a run directory removed, a disk gone read-only).
 */
export class Heartbeat {
  private readonly files = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly onLost: (file: string, err: NodeJS.ErrnoException) => void,
  ) {}

  add(file: string): void {
    this.files.add(file);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.beat(), this.intervalMs);
      this.timer.unref();
    }
  }

  delete(file: string): void {
    this.files.delete(file);
    if (this.files.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  has(file: string): boolean {
    return this.files.has(file);
  }

  /** Touches every file now (the timer calls this). */
  beat(): void {
    const now = new Date();
    for (const file of this.files) {
      try {
        fs.utimesSync(file, now, now);
      } catch (err) {
        this.delete(file);
        this.onLost(file, err as NodeJS.ErrnoException);
      }
    }
  }
}
