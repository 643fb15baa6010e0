import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../../src/config/load.js';
import type { ExperimentConfig } from '../../src/config/types.js';

/** Loads YAML text through the real loader, from a file in a fresh temporary directory. */
export function loadExperimentText(yaml: string): ExperimentConfig {
  const file = join(mkdtempSync(join(tmpdir(), 'experiment-')), 'experiment.yaml');
  writeFileSync(file, yaml);
  return loadExperiment(file).config;
}
