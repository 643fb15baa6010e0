import { loadExperimentText } from './experiment.js';
import type { ModelConfig } from '../../src/config/types.js';

const defaults = loadExperimentText('name: defaults\n').model;

/** The schema's default model config with these changes: tests name only what they vary. */
export function modelConfig(overrides: Partial<ModelConfig>): ModelConfig {
  return { ...defaults, ...overrides };
}
