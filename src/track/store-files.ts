// Low-level pieces of MLflow's file-store layout: status codes, meta.yaml and metric-line formats,
// and writes that never leave a half-written file where MLflow's reader would find it.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { RunSweepError, fsError, isUserFsError } from '../errors.js';
import type { RunStatus } from './tracker.js';

/** A store on disk that cannot be read or written; one line that names the file (exit 2). */
export class StoreError extends RunSweepError {
  override name = 'StoreError';
  constructor(readonly file: string, problem: string) {
    super('store', `${file}: ${problem}`);
  }
}

// The verb of the one-line message, by the system call that failed.
const VERB_OF_SYSCALL: Record<string, string> = {
  open: 'open', read: 'read', scandir: 'read', stat: 'read', lstat: 'read', write: 'write', ftruncate: 'write',
  rename: 'write', link: 'create', mkdir: 'create', unlink: 'remove', rmdir: 'remove', rm: 'remove', utime: 'touch',
};

/**
 * A filesystem failure the user can cause or fix (disk full, quota, permissions, read-only, a file
 * where a directory should be), as the error table's one line: `cannot write runs/1/m: no space
 * left on the device (ENOSPC)`. `fsCode` is the errno name (not `code`, so that nothing takes
 * this for a raw Node error and wraps it again).
 */
export class StoreFsError extends StoreError {
  override name = 'StoreFsError';
  readonly fsCode: string;
  constructor(err: NodeJS.ErrnoException, file: string = err.path ?? 'the store', verb?: string) {
    super(file, err.code ?? 'filesystem error');
    this.fsCode = err.code ?? '';
    const theVerb = verb ?? VERB_OF_SYSCALL[err.syscall ?? ''] ?? 'write to';
    this.message = fsError({ name: err.name, message: err.message, code: err.code, path: file }, theVerb).message;
  }
}

/** err as a StoreFsError naming file (default: the path in err) when a user can cause it; anything else unchanged. */
export function storeFsError(err: unknown, file?: string, verb?: string): unknown {
  if (err instanceof StoreError || !isUserFsError(err)) return err;
  return new StoreFsError(err, file ?? err.path, verb);
}

export const STATUS_CODE: Record<RunStatus | 'SCHEDULED', number> = {
  RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5,
};
const STATUS_NAME = new Map(Object.entries(STATUS_CODE).map(([k, v]) => [v, k]));

export function statusName(code: unknown, file: string): RunStatus | 'SCHEDULED' {
  const name = typeof code === 'number' ? STATUS_NAME.get(code) : undefined;
  if (name === undefined) throw new StoreError(file, `status must be an integer 1-5, found ${JSON.stringify(code)}`);
  return name as RunStatus | 'SCHEDULED';
}

export const META = 'meta.yaml';

// MLflow reads meta.yaml with PyYAML (YAML 1.1): writing as 1.1 quotes every string that 1.1 would
// read as something else ('123', 'on', '1e3'), so experiment ids stay strings.
export function dumpYaml(data: Record<string, unknown>): string {
  return stringify(data, { version: '1.1', sortMapEntries: true, singleQuote: true, lineWidth: 0 });
}

export function readYamlMapping(file: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = parse(fs.readFileSync(file, 'utf8'), { version: '1.1', intAsBigInt: true });
  } catch (err) {
    throw new StoreError(file, `not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new StoreError(file, 'expected a YAML mapping');
  }
  // An unquoted experiment id may exceed 2^53: keep it exact as a string; other integers are ms or codes.
  return Object.fromEntries(Object.entries(data).map(([k, v]) =>
    [k, typeof v === 'bigint' ? (k === 'experiment_id' ? String(v) : Number(v)) : v]));
}

/**
 * Writes content to a temp file in tmpDir, then renames it onto target, so a reader sees the old
 * file or the new one, never a part. tmpDir must be on the same filesystem and be a place MLflow's
 * reader ignores (a run or experiment directory's top level, which it scans only for directories).
 */
export function writeAtomic(tmpDir: string, target: string, content: string | Uint8Array): void {
  const tmp = tempName(tmpDir);
  try {
    // A full disk fails writeFileSync after it created the file: the temp file goes either way.
    fs.writeFileSync(tmp, content);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(tmp, target);
  } catch (err) {
    removeQuietly(tmp);
    throw storeFsError(err, target, 'write');
  }
}

export const TEMP_PREFIX = '.tmp-';

/** A fresh temp file name in dir (a name MLflow's reader and ours ignore: a file, not a directory). */
export function tempName(dir: string): string {
  return path.join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
}

/** Removes a file if it is there; a failure to clean up never hides the failure being reported. */
export function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // the caller is already reporting the error that matters
  }
}

/**
 * Creates file holding content, only if no file is there: returns false if one is. Readers never
 * see it empty or half-written: the content is written to a temp file first and hard-linked into
 * place (link fails if the name exists). Where the filesystem has no hard links, an exclusive
 * create ('wx') is used, and a reader may briefly see the file empty.
 */
export function createExclusive(tmpDir: string, file: string, content: string): boolean {
  const tmp = tempName(tmpDir);
  try {
    fs.writeFileSync(tmp, content);
    try {
      fs.linkSync(tmp, file);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    }
    try {
      fs.writeFileSync(file, content, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      removeQuietly(file);
      throw err;
    }
  } catch (err) {
    throw storeFsError(err, file, 'create');
  } finally {
    removeQuietly(tmp);
  }
}

/**
 * Appends whole lines to an existing file: a torn tail (bytes after the last newline, left by a
 * write that failed halfway in an earlier call) is cut off first, and a write that fails (disk
 * full) is undone, so the file always ends at a line boundary. Returns the torn tail it cut ('' if
 * none). One writer per file: only the process that owns a run appends to its metrics.
 */
export function appendWholeLines(file: string, text: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (err) {
    throw storeFsError(err, file, 'write');
  }
  let end = -1;
  try {
    const size = fs.fstatSync(fd).size;
    const boundary = lineBoundary(fd, size);
    let torn = '';
    if (boundary < size) {
      const tail = Buffer.alloc(size - boundary);
      fs.readSync(fd, tail, 0, tail.length, boundary);
      torn = tail.toString('utf8');
      fs.ftruncateSync(fd, boundary);
    }
    end = boundary;
    const data = Buffer.from(text, 'utf8');
    for (let off = 0; off < data.length;) off += fs.writeSync(fd, data, off, data.length - off, end + off);
    return torn;
  } catch (err) {
    if (end >= 0) {
      try {
        fs.ftruncateSync(fd, end);
      } catch {
        // the write's own error is the one to report
      }
    }
    throw storeFsError(err, file, 'write');
  } finally {
    fs.closeSync(fd);
    if (end === 0) removeEmpty(file);
  }
}

/** The offset just after the last newline in the first size bytes of fd (0 if there is none). */
function lineBoundary(fd: number, size: number): number {
  const chunk = Buffer.alloc(4096);
  for (let stop = size; stop > 0;) {
    const start = Math.max(0, stop - chunk.length);
    const n = fs.readSync(fd, chunk, 0, stop - start, start);
    const at = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    stop = start;
  }
  return 0;
}

/** MLflow refuses an empty metric file (and with it the whole experiment): no file is better. */
function removeEmpty(file: string): void {
  try {
    if (fs.statSync(file).size === 0) fs.rmSync(file);
  } catch {
    // nothing to clean up
  }
}

/** Python's repr of a float, which is what MLflow writes for a metric value. */
export function formatMetricValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${Object.is(v, -0) ? '-0' : v.toFixed(0)}.0`;
  return String(v);
}

export function formatMetricLine(timestamp: number, value: number, step: number): string {
  return `${timestamp} ${formatMetricValue(value)} ${step}\n`;
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf|infinity|nan)$/i;

/** One metric line as MLflow parses it; throws StoreError on anything MLflow rejects. */
export function parseMetricLine(line: string, file: string): { timestamp: number; value: number; step: number } {
  const parts = line.trim().split(' ');
  if (parts.length !== 2 && parts.length !== 3) {
    throw new StoreError(file, `malformed metric line ${JSON.stringify(line)}: expected 'timestamp value step'`);
  }
  const [ts, val, step = '0'] = parts as [string, string, string?];
  if (!INT.test(ts) || !FLOAT.test(val) || !INT.test(step)) {
    throw new StoreError(file, `malformed metric line ${JSON.stringify(line)}`);
  }
  const lower = val.toLowerCase().replace(/^\+/, '');
  const value = lower.endsWith('nan') ? NaN : lower.endsWith('inf') || lower.endsWith('infinity')
    ? (lower.startsWith('-') ? -Infinity : Infinity) : Number(val);
  return { timestamp: Number(ts), value, step: Number(step) };
}
