// `run-sweep schema [experiment | events]`: the JSON Schema of experiment files (for editors and
// other tools) or of the --json event stream.
import { readFileSync } from 'node:fs';
import { EXIT } from '../errors.js';
import type { Io } from './io.js';

export function schemaCommand(which: 'experiment' | 'events', io: Io): number {
  const file = new URL(`../../../schemas/${which === 'events' ? 'events' : 'experiment'}.schema.json`, import.meta.url);
  io.out(readFileSync(file, 'utf8').trimEnd());
  return EXIT.ok;
}
