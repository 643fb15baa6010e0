// Tags with a meaning to MLflow or to run-sweep's resume and sync logic.
import os from 'node:os';
import type { NewRun } from './tracker.js';

export const PARENT_RUN_TAG = 'mlflow.parentRunId';
export const RUN_NAME_TAG = 'mlflow.runName';
export const USER_TAG = 'mlflow.user';
export const TRIAL_ID_TAG = 'run_sweep.trial_id';
/** on a server run: the id of the local run it copies (set by the mirror and by sync) */
export const LOCAL_RUN_ID_TAG = 'run_sweep.local_run_id';
/** set on server runs only, so a retried runs/create can find the run its first try made */
export const CREATE_TOKEN_TAG = 'run_sweep.create_token';
/** host:pid of the process that created the run, so only runs of dead processes are reaped */
export const OWNER_TAG = 'run_sweep.owner';

export function ownerTag(): string {
  return `${os.hostname()}:${process.pid}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What can be known of an owner (host:pid, as ownerTag writes it): 'alive' or 'dead' when it is on
 * this host (this process counts as alive), 'unknown' when it is on another host or unreadable.
 */
export type OwnerState = 'alive' | 'dead' | 'unknown';

export function ownerState(owner: string | undefined): OwnerState {
  const m = owner?.match(/^(.*):(\d+)$/);
  if (!m || m[1] !== os.hostname()) return 'unknown';
  const pid = Number(m[2]);
  return pid === process.pid || processAlive(pid) ? 'alive' : 'dead';
}

/**
 * A RUNNING run is abandoned when the process that created it, on this host, is gone. Runs from
 * other hosts or without an owner may be live (a teammate's sweep on a shared server): the file
 * store reaps those only by their heartbeat (see liveness.ts).
 */
export function isAbandoned(owner: string | undefined): boolean {
  return ownerState(owner) === 'dead';
}

export function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The tags every sink records for a new run: the caller's, plus parent link, name, user and owner. */
export function runTags(run: NewRun, parentRunId?: string): Record<string, string> {
  const tags: Record<string, string> = { ...run.tags };
  if (tags[RUN_NAME_TAG] !== undefined && tags[RUN_NAME_TAG] !== run.runName) {
    throw new Error(`run name '${run.runName}' and tag ${RUN_NAME_TAG}='${tags[RUN_NAME_TAG]}' differ`);
  }
  tags[RUN_NAME_TAG] = run.runName;
  tags[USER_TAG] ??= userName();
  tags[OWNER_TAG] ??= ownerTag();
  if (parentRunId !== undefined) tags[PARENT_RUN_TAG] = parentRunId;
  return tags;
}
