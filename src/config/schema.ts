import schemaJson from '../../schemas/experiment.schema.json' with { type: 'json' };
import { DURATION_PATTERN } from './duration.js';

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object';

/** The part of JSON Schema that schemas/experiment.schema.json uses. */
export interface JsonSchema {
  title?: string;
  description?: string;
  default?: unknown;
  examples?: unknown[];
  type?: JsonType | JsonType[];
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  uniqueItems?: boolean;
}

export const experimentSchema = schemaJson as JsonSchema;

/**
 * Keys the loader acts on and removes before validation (`extends`): the schema lists them so that
 * editors accept and document them, but they are not part of the resolved config.
 */
export const DIRECTIVE_KEYS: readonly string[] = ['extends'];

/** The schema of a resolved config: the experiment schema without its directive keys. */
export const resolvedSchema: JsonSchema = {
  ...experimentSchema,
  properties: Object.fromEntries(Object.entries(experimentSchema.properties ?? {}).filter(([key]) => !DIRECTIVE_KEYS.includes(key))),
};

/** Top-level keys a grid may not vary: the experiment's identity and prose, the sweep itself, where runs go. */
const UNSWEPT = new Set(['extends', 'name', 'description', 'sweep', 'tracking', 'check']);

/** The schema of the value at `segments` (object keys and array indices), if the schema allows one there. */
export function schemaAt(segments: readonly string[], root: JsonSchema = experimentSchema): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  for (const segment of segments) {
    if (schema === undefined) return undefined;
    // A oneOf (a grid value: a list or a range) leads on through whichever branch has the segment.
    if (schema.oneOf !== undefined) schema = schema.oneOf.find((branch) => schemaAt([segment], branch) !== undefined) ?? schema;
    if (schema.properties !== undefined && Object.hasOwn(schema.properties, segment)) {
      schema = schema.properties[segment];
    } else if (typeof schema.additionalProperties === 'object') {
      schema = schema.additionalProperties;
    } else if (schema.items !== undefined && /^\d+$/.test(segment)) {
      schema = schema.items;
    } else {
      return undefined;
    }
  }
  return schema;
}

/** A property with its own `properties` is a section (data, model, ...); everything else is a leaf. */
function isSection(schema: JsonSchema): boolean {
  return schema.properties !== undefined;
}

/** Dotted paths of every leaf the schema knows, in schema order: name, description, data.corpus, ... */
export function leafPaths(schema: JsonSchema = experimentSchema, prefix = ''): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, child]) =>
    isSection(child) ? leafPaths(child, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

/** Leaf paths a sweep.grid key may name. */
export function sweepablePaths(): string[] {
  return leafPaths().filter((dotted) => !UNSWEPT.has(dotted.split('.')[0] ?? ''));
}

const PATTERN_WORDS: Record<string, string> = {
  '^[A-Za-z0-9_-]+$': "made of letters, digits, '-' and '_'",
  [DURATION_PATTERN.source]: 'with a unit, such as "500ms", "45s", "30m" or "2h"',
};

/** What a schema accepts, in words: "an integer ≥ 1", "one of rnn, gru, lstm", "'one_hot' or an integer ≥ 1". */
export function describeSchema(schema: JsonSchema): string {
  if (schema.enum !== undefined) return `one of ${schema.enum.map(String).join(', ')}`;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const words = schema.oneOf !== undefined ? schema.oneOf.map(describeSchema) : types.map((type) => describeType(type, schema));
  // "a list ..., each an integer ≥ 0, or null": the comma keeps "or null" off the items.
  return words.join(words.some((word) => word.includes(',')) ? ', or ' : ' or ');
}

function describeType(type: JsonType, schema: JsonSchema): string {
  switch (type) {
    case 'integer':
      return `an integer${describeRange(schema)}`;
    case 'number':
      return `a number${describeRange(schema)}`;
    case 'string': {
      const pattern = schema.pattern === undefined ? '' : ` ${PATTERN_WORDS[schema.pattern] ?? `matching /${schema.pattern}/`}`;
      return `a${schema.minLength !== undefined && schema.minLength > 0 ? ' non-empty' : ''} string${pattern}`;
    }
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array': {
      const nonEmpty = schema.minItems !== undefined && schema.minItems > 0 ? ' non-empty' : '';
      const distinct = schema.uniqueItems === true ? ' of distinct values' : '';
      const each = schema.items === undefined ? '' : `, each ${describeSchema(schema.items)}`;
      return `a${nonEmpty} list${distinct}${each}`;
    }
    case 'object':
      // A mapping with set keys (a grid range) is named by them: "a mapping {start, stop, step}".
      if (schema.required !== undefined && schema.required.length > 0) return `a mapping {${schema.required.join(', ')}}`;
      return schema.minProperties !== undefined && schema.minProperties > 0 ? 'a non-empty mapping' : 'a mapping';
  }
}

function describeRange(schema: JsonSchema): string {
  const low = bound(schema.minimum, schema.exclusiveMinimum);
  const high = bound(schema.maximum, schema.exclusiveMaximum);
  if (low !== undefined && high !== undefined) {
    return ` in ${low.open ? '(' : '['}${low.value}, ${high.value}${high.open ? ')' : ']'}`;
  }
  if (low !== undefined) return ` ${low.open ? '>' : '≥'} ${low.value}`;
  if (high !== undefined) return ` ${high.open ? '<' : '≤'} ${high.value}`;
  return '';
}

function bound(inclusive: number | undefined, exclusive: number | undefined): { value: number; open: boolean } | undefined {
  if (inclusive !== undefined) return { value: inclusive, open: false };
  if (exclusive !== undefined) return { value: exclusive, open: true };
  return undefined;
}
