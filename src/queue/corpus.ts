// A file corpus travels with its sweep: `submit` puts the file's bytes in Redis once (keyed by
// their SHA-1, the corpus's identity in trial ids), and a worker on a machine where the path the
// experiment names does not exist takes them from there into its cache. Named corpora (moby-dick,
// timemachine) are had on each machine as usual. Files over MAX_SHIPPED_BYTES are not shipped:
// Redis holds small things; such a corpus must be at the same path on every worker.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { BUILTIN_CORPORA } from '../config/validate.js';
import { cacheDir } from '../data/corpus.js';
import type { Trial } from '../plan/expand.js';
import { KEPT_SECONDS } from './sweep-record.js';

export const MAX_SHIPPED_BYTES = 64 * 1024 * 1024;

const corpusKey = (queueName: string, sha1: string): string => `bull:${queueName}:run-sweep:corpus:${sha1}`;

/** Whether a corpus setting names a file (not a bundled or downloaded corpus). */
export function isFileCorpus(corpus: string): boolean {
  return !BUILTIN_CORPORA.includes(corpus);
}

/**
 * Puts each file corpus of these trials in Redis (once per content) and returns the SHA-1 of each,
 * by the corpus setting as written; a file over MAX_SHIPPED_BYTES is left out, with a warning.
 */
export async function shipCorpora(client: Redis, queueName: string, trials: Trial[], baseDir: string, warn: (m: string) => void): Promise<Map<string, string>> {
  const shipped = new Map<string, string>();
  for (const corpus of new Set(trials.map((t) => t.config.data.corpus))) {
    if (!isFileCorpus(corpus) || shipped.has(corpus)) continue;
    const bytes = readFileSync(path.resolve(baseDir, corpus));
    if (bytes.length > MAX_SHIPPED_BYTES) {
      warn(`the corpus ${corpus} is ${Math.round(bytes.length / 2 ** 20)} MiB, too big to go through Redis: workers need it at ${path.resolve(baseDir, corpus)}`);
      continue;
    }
    const sha1 = createHash('sha1').update(bytes).digest('hex');
    // Already there (a submit again): kept another 30 days, its bytes not sent twice.
    if ((await client.expire(corpusKey(queueName, sha1), KEPT_SECONDS)) === 0) await client.set(corpusKey(queueName, sha1), bytes, 'EX', KEPT_SECONDS);
    shipped.set(corpus, sha1);
  }
  return shipped;
}

/**
 * A local file holding the corpus the job names: the path itself where it exists here, else this
 * machine's cached copy of the shipped bytes (fetched from Redis the first time). Null when the
 * corpus is not a file, or exists at its path. Throws when it is neither here nor in Redis.
 */
export async function localCorpus(client: Redis, queueName: string, corpus: string, baseDir: string, sha1: string | undefined, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (!isFileCorpus(corpus) || existsSync(path.resolve(baseDir, corpus))) return null;
  if (sha1 === undefined) throw new Error(`the corpus ${path.resolve(baseDir, corpus)} is not on this machine, and was not shipped with the sweep`);
  const file = path.join(cacheDir(env), 'corpora', sha1, path.basename(corpus));
  if (existsSync(file)) return file;
  const bytes = await client.getBuffer(corpusKey(queueName, sha1));
  if (bytes === null) throw new Error(`the corpus ${path.resolve(baseDir, corpus)} is not on this machine, and its copy is gone from Redis: submit the sweep again`);
  if (createHash('sha1').update(bytes).digest('hex') !== sha1) throw new Error(`the copy of ${corpus} in Redis is damaged (its SHA-1 differs)`);
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, bytes);
  renameSync(temp, file); // whole or not at all, for the other workers of this machine
  return file;
}
