// `run-sweep validate <file>...`: every error of every file, then one exit code. It checks what a
// run checks before training (schema, corpora, data shapes, model sizes), so "ok" means the sweep
// will start.
import { loadExperiment } from '../config/load.js';
import { EXIT, RunSweepError } from '../errors.js';
import { corpusIdentity } from '../plan/corpus-identity.js';
import { expandTrials } from '../plan/expand.js';
import { preflight } from '../plan/preflight.js';
import type { Io } from './io.js';

export async function validateCommand(files: string[], io: Io): Promise<number> {
  let failed = false;
  for (const file of files) {
    try {
      const { config, file: absolute, dir } = loadExperiment(file);
      const trials = expandTrials(config, { corpusIdentity: corpusIdentity(dir) });
      await preflight(trials, { file: absolute, baseDir: dir, maxMemoryMb: config.sweep.max_memory_mb });
      io.out(`${file}: ok (${trials.length} trial(s))`);
    } catch (err) {
      if (!(err instanceof RunSweepError) || err.kind === 'usage') throw err;
      io.err(err.kind === 'config' ? err.message : `${file}: ${err.message}`);
      failed = true;
    }
  }
  return failed ? EXIT.usage : EXIT.ok;
}
