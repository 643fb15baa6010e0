// A corpus path must name a readable file, found next to the experiment file, before anything trains.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from './finding.js';

/** Corpus names that are not file paths. */
export const BUILTIN_CORPORA: readonly string[] = ['moby-dick', 'timemachine'];

/** Nothing for a built-in corpus or a readable file (relative to `dir`); else why not, at `at`. */
export function corpusFindings(corpus: string, dir: string, at: string[]): Finding[] {
  if (BUILTIN_CORPORA.includes(corpus)) return [];
  const file = path.resolve(dir, corpus);
  let message: string;
  try {
    if (!statSync(file).isFile()) {
      message = `corpus is not a file: ${file}`;
    } else {
      accessSync(file, constants.R_OK);
      return [];
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    message = code === 'ENOENT' || code === 'ENOTDIR' ? `corpus file not found: ${file}` : `corpus file is not readable: ${file}`;
  }
  return [{ path: at, at: 'value', message }];
}
