// How a bad value is described to people: what the schema allows, what was found, what was meant.
import { isMapping } from './paths.js';
import { describeSchema, type JsonSchema } from './schema.js';
import { didYouMean } from './suggest.js';

/** "expected <what the schema allows>, got <value>", with a suggestion for a near-miss word. */
export function badValue(schema: JsonSchema, value: unknown): string {
  const words = [...(schema.enum ?? []), ...(schema.oneOf ?? []).map((branch) => branch.const)].filter(
    (word): word is string => typeof word === 'string',
  );
  const hint = typeof value === 'string' ? didYouMean(value, words) : '';
  return `expected ${describeSchema(schema)}, got ${showValue(value)}${hint}`;
}

/** A value as a message shows it: strings quoted, short lists and mappings as JSON, long ones summarized. */
export function showValue(value: unknown): string {
  if (Array.isArray(value) || isMapping(value)) {
    const json = JSON.stringify(value);
    if (json.length <= 40) return json;
    return Array.isArray(value) ? `a list of ${value.length} items` : 'a mapping';
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
