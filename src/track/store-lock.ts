// Files that say "this is mine" in a shared store: the experiment-creation lock and trial claims.
// Each holds one line of JSON naming its owner (host:pid, as the run_sweep.owner tag), when it was
// taken and a random nonce, so that a process can tell its own file from one that replaced it.
// The rules for when such a file is stale are in liveness.ts.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { STORE_LOCK_STALE_MS, STORE_LOCK_WAIT_MS } from './liveness.js';
import { ownerState, ownerTag } from './run-tags.js';
import { StoreError, createExclusive, removeQuietly, storeFsError, tempName } from './store-files.js';

export interface Holder {
  /** host:pid */
  owner: string;
  /** ms since the epoch */
  since: number;
  nonce: string;
}

/** An owned file as found on disk. */
export interface SeenFile {
  file: string;
  /** null when the content cannot be read as a holder (a file being written without hard links) */
  holder: Holder | null;
  content: string;
  /** its heartbeat */
  mtimeMs: number;
}

function holderContent(now: number): string {
  const holder: Holder = { owner: ownerTag(), since: now, nonce: randomBytes(8).toString('hex') };
  return `${JSON.stringify(holder)}\n`;
}

function parseHolder(content: string): Holder | null {
  try {
    const h = JSON.parse(content) as Partial<Holder> | null;
    if (typeof h?.owner === 'string' && typeof h.since === 'number' && typeof h.nonce === 'string') return h as Holder;
  } catch {
    // not JSON: a file being written, or not ours
  }
  return null;
}

/** Takes file if nobody holds it: returns its content (the proof of ownership), or null. */
export function tryTake(file: string, now: number): string | null {
  const content = holderContent(now);
  return createExclusive(path.dirname(file), file, content) ? content : null;
}

/** The owned file as it is now, or null if there is none. */
export function readOwned(file: string): SeenFile | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw storeFsError(err, file, 'read');
  }
  try {
    const mtimeMs = fs.fstatSync(fd).mtimeMs;
    const content = fs.readFileSync(fd, 'utf8');
    return { file, holder: parseHolder(content), content, mtimeMs };
  } catch (err) {
    throw storeFsError(err, file, 'read');
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes file if it is still the one whose content is given (ours); otherwise leaves it. */
export function releaseOwned(file: string, content: string): void {
  const seen = readOwned(file);
  if (seen?.content === content) removeQuietly(file);
}

/**
 * Removes a file judged stale. Two processes may judge the same file stale at once: each moves
 * whatever is at the path aside (rename is atomic, so one of them gets it), and a process that
 * finds it moved a different file (a fresh one, taken after it looked) puts that one back.
 */
export function breakStale(seen: SeenFile): void {
  const aside = tempName(path.dirname(seen.file));
  try {
    fs.renameSync(seen.file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke it
    throw storeFsError(err, seen.file, 'remove');
  }
  try {
    if (fs.readFileSync(aside, 'utf8') !== seen.content) fs.linkSync(aside, seen.file);
  } catch (err) {
    // EEXIST: a third process took the name meanwhile; the owner we moved finds its file gone.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw storeFsError(err, seen.file, 'write');
  } finally {
    removeQuietly(aside);
  }
}

/**
 * Stale: the owner is on this host and gone, or (ageAlone, or an owner that cannot be checked) the
 * file's heartbeat is older than staleMs.
 */
export function isStale(seen: SeenFile, staleMs: number, now: number, ageAlone: boolean): boolean {
  const state = seen.holder ? ownerState(seen.holder.owner) : 'unknown';
  if (state === 'dead') return true;
  if (state === 'alive' && !ageAlone) return false;
  return now - seen.mtimeMs > staleMs;
}

export const STORE_LOCK = '.experiments.lock';

export interface StoreLockOptions {
  now?: () => number;
  waitMs?: number;
  staleMs?: number;
}

/**
 * Runs work holding the store's experiment-creation lock (a file at the store's top level, which
 * MLflow does not list: it lists directories). Waits for a live holder at most waitMs, polling;
 * breaks a stale lock (its owner gone from this host, or older than staleMs).
 */
export async function withStoreLock<T>(root: string, work: () => T | Promise<T>, opts: StoreLockOptions = {}): Promise<T> {
  const now = opts.now ?? Date.now;
  const waitMs = opts.waitMs ?? STORE_LOCK_WAIT_MS;
  const staleMs = opts.staleMs ?? STORE_LOCK_STALE_MS;
  const file = path.join(root, STORE_LOCK);
  const deadline = Date.now() + waitMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 250)) {
    const mine = tryTake(file, now());
    if (mine !== null) {
      try {
        return await work();
      } finally {
        releaseOwned(file, mine);
      }
    }
    const seen = readOwned(file);
    if (seen === null) continue; // released meanwhile: try again at once
    if (isStale(seen, staleMs, now(), true)) {
      breakStale(seen);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = seen.holder ? `${seen.holder.owner} since ${new Date(seen.holder.since).toISOString()}` : 'an unknown process';
      throw new StoreError(file,
        `held by ${who}; waited ${Math.round(waitMs / 1000)} s to create an experiment. ` +
        'If no run-sweep is creating an experiment in this store, delete the file');
    }
    await sleep(delay * (0.5 + Math.random()));
  }
}
