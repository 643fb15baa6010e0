// `run-sweep validate <file>...`: every error of every file, then one exit code.
import { ConfigError } from '../config/errors.js';
import { loadExperiment } from '../config/load.js';
import { expandTrials } from '../plan/expand.js';
import type { Io } from './io.js';

export function validateCommand(files: string[], io: Io): number {
  let failed = false;
  for (const file of files) {
    try {
      const { config } = loadExperiment(file);
      io.out(`${file}: ok (${expandTrials(config).length} trial(s))`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      io.err(err.message);
      failed = true;
    }
  }
  return failed ? 2 : 0;
}
