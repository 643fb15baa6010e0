import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILTIN_CORPORA } from '../config/validate.js';

/**
 * Names a corpus for trial ids: a named corpus by its name, a file by the SHA-1 of its content,
 * so ids survive moving the file or reaching it through another relative path, and change when
 * the text changes.
 */
export function corpusIdentity(baseDir: string): (corpus: string) => string {
  const cache = new Map<string, string>();
  return (corpus) => {
    if (BUILTIN_CORPORA.includes(corpus)) return corpus;
    let id = cache.get(corpus);
    if (id === undefined) {
      id = `sha1:${createHash('sha1').update(readFileSync(resolve(baseDir, corpus))).digest('hex')}`;
      cache.set(corpus, id);
    }
    return id;
  };
}
