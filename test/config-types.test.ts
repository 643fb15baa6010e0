// The drift guard between schemas/experiment.schema.json and src/config/types.ts.
//
// Why a checked table rather than types generated from the schema: generated types would need a
// generator dependency, would turn every defaulted key optional (the schema cannot require keys it
// defaults), and would replace the hand-named, commented types the other stages import. Instead,
// SPEC below is one table checked from both sides: `satisfies ConfigSpec` makes tsc reject it unless
// it has exactly the keys of ExperimentConfig, exactly the JSON types each TS type admits, and
// exactly the members of each string union; the tests then prove the schema says the same, key for
// key and enum member for member. Change either file alone and the build or this test fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentSchema, resolvedSchema, type JsonSchema } from '../src/config/schema.js';
import { inSchemaOrder, validateExperiment } from '../src/config/validate.js';
import type { ExperimentConfig } from '../src/config/types.js';

type JsonTypeOf<T> = T extends null
  ? 'null'
  : T extends boolean
    ? 'boolean'
    : T extends number
      ? 'number'
      : T extends string
        ? 'string'
        : T extends readonly unknown[]
          ? 'array'
          : 'object';
/** The string literals of a union ('char' | 'word'), never when it holds plain `string`. */
type Words<T> = T extends string ? (string extends T ? never : T) : never;
/** Records keyed by unions, so a missing or an extra member is a compile error. */
type LeafSpec<T> = [Words<T>] extends [never]
  ? { types: Record<JsonTypeOf<T>, true> }
  : { types: Record<JsonTypeOf<T>, true>; words: Record<Words<T>, true> };
type SectionSpec<S> = { [K in keyof S]-?: LeafSpec<S[K]> };
type ConfigSpec = {
  [K in keyof ExperimentConfig]-?: ExperimentConfig[K] extends string ? LeafSpec<ExperimentConfig[K]> : SectionSpec<ExperimentConfig[K]>;
};


const SPEC = {
  name: { types: { string: true } },
  description: { types: { string: true } },
  data: {
    corpus: { types: { string: true } },
    level: { types: { string: true }, words: { char: true, word: true } },
    max_tokens: { types: { number: true, null: true } },
    validation_fraction: { types: { number: true } },
    min_freq: { types: { number: true } },
    lowercase: { types: { boolean: true } },
    normalize: { types: { string: true }, words: { none: true, letters: true } },
  },
  model: {
    cell: { types: { string: true }, words: { rnn: true, gru: true, lstm: true } },
    hidden_size: { types: { number: true } },
    num_layers: { types: { number: true } },
    nonlinearity: { types: { string: true }, words: { tanh: true, relu: true } },
    bidirectional: { types: { boolean: true } },
    dropout: { types: { number: true } },
    embedding: { types: { string: true, number: true }, words: { one_hot: true } },
    init: { types: { string: true }, words: { uniform: true, normal: true, xavier: true, orthogonal: true } },
    forget_bias: { types: { number: true } },
  },
  train: {
    epochs: { types: { number: true } },
    batch_size: { types: { number: true } },
    num_steps: { types: { number: true } },
    sampling: { types: { string: true }, words: { sequential: true, random: true } },
    optimizer: { types: { string: true }, words: { sgd: true, adam: true } },
    lr: { types: { number: true } },
    momentum: { types: { number: true } },
    lr_schedule: { types: { string: true }, words: { constant: true, step: true, cosine: true } },
    lr_step_epochs: { types: { number: true } },
    lr_gamma: { types: { number: true } },
    lr_min: { types: { number: true } },
    clip_norm: { types: { number: true } },
    early_stopping: { types: { number: true } },
    seed: { types: { number: true } },
  },
  sample: {
    prefixes: { types: { array: true } },
    length: { types: { number: true } },
    every_epochs: { types: { number: true } },
    temperature: { types: { number: true } },
    top_k: { types: { number: true } },
  },
  sweep: {
    grid: { types: { object: true } },
    include: { types: { array: true } },
    exclude: { types: { array: true } },
    seeds: { types: { array: true, null: true } },
    workers: { types: { number: true, null: true } },
    trial_timeout: { types: { number: true, string: true, null: true } },
    max_memory_mb: { types: { number: true, null: true } },
    retries: { types: { number: true } },
  },
  tracking: {
    experiment: { types: { string: true, null: true } },
    uri: { types: { string: true, null: true } },
    upload_timeout: { types: { number: true, string: true } },
    require_server: { types: { boolean: true } },
  },
  engine: {
    backend: { types: { string: true }, words: { auto: true, wasm: true, cpu: true, tensorflow: true } },
    path: { types: { string: true }, words: { fast: true, plain: true } },
    blas: { types: { string: true } },
  },
  check: { metrics: { types: { object: true } } },
} satisfies ConfigSpec; // literals inline: only a fresh object literal gets tsc's check for extra keys

interface Leaf {
  types: Record<string, true>;
  words?: Record<string, true>;
}

/** The JSON types a schema admits, integer counted as number (TypeScript cannot tell them apart). */
function schemaTypes(schema: JsonSchema): string[] {
  const declared = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const fromValues = [...(schema.enum ?? []), ...('const' in schema ? [schema.const] : [])].map((value) =>
    value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value,
  );
  const fromBranches = (schema.oneOf ?? []).flatMap(schemaTypes);
  return [...new Set([...declared, ...fromValues, ...fromBranches].map((type) => (type === 'integer' ? 'number' : type)))].sort();
}

function schemaWords(schema: JsonSchema): string[] {
  const values = [...(schema.enum ?? []), ...(schema.oneOf ?? []).map((branch) => branch.const)];
  return values.filter((value): value is string => typeof value === 'string').sort();
}

// resolvedSchema: the schema less its directives (`extends`), which the loader reads and removes.
function sections(): [string, JsonSchema, Record<string, Leaf>][] {
  return Object.entries(resolvedSchema.properties ?? {})
    .filter(([, schema]) => schema.properties !== undefined)
    .map(([key, schema]) => [key, schema, (SPEC as Record<string, unknown>)[key] as Record<string, Leaf>]);
}

test('the schema has exactly the keys of ExperimentConfig, section by section', () => {
  assert.deepEqual(Object.keys(resolvedSchema.properties ?? {}), Object.keys(SPEC));
  assert.deepEqual(Object.keys(experimentSchema.properties ?? {}), ['extends', ...Object.keys(SPEC)], 'the full schema adds only the directive');
  for (const [key, schema, spec] of sections()) {
    assert.ok(spec !== undefined && !('types' in spec), `${key} is a section in both`);
    assert.deepEqual(Object.keys(schema.properties ?? {}), Object.keys(spec), `keys of ${key}`);
  }
});

test('every leaf admits the same JSON types and the same words in the schema as in TypeScript', () => {
  const leaves: [string, JsonSchema, Leaf][] = [
    ['name', experimentSchema.properties?.name ?? {}, SPEC.name],
    ['description', experimentSchema.properties?.description ?? {}, SPEC.description],
    ...sections().flatMap(([section, schema, spec]) =>
      Object.entries(schema.properties ?? {}).map(([key, leaf]): [string, JsonSchema, Leaf] => [`${section}.${key}`, leaf, spec[key] as Leaf]),
    ),
  ];
  assert.equal(leaves.length, 53);
  for (const [dotted, schema, spec] of leaves) {
    assert.deepEqual(schemaTypes(schema), Object.keys(spec.types).sort(), `JSON types of ${dotted}`);
    assert.deepEqual(schemaWords(schema), Object.keys(spec.words ?? {}).sort(), `words of ${dotted}`);
  }
});

test('every property is described, every key but name has a default, and no mapping takes unknown keys', () => {
  const visit = (schema: JsonSchema, at: string): void => {
    if (at !== '') {
      assert.ok(schema.description !== undefined && schema.description.length > 0, `${at} has a description`);
      assert.equal('default' in schema, at !== 'name', `${at} ${at === 'name' ? 'has no' : 'has a'} default`);
    }
    if (schema.properties !== undefined) {
      assert.equal(schema.additionalProperties, false, `${at || 'the root'} refuses unknown keys`);
      for (const [key, child] of Object.entries(schema.properties)) visit(child, at === '' ? key : `${at}.${key}`);
    }
  };
  visit(experimentSchema, '');
  assert.deepEqual(experimentSchema.required, ['name']);
});

test("the schema's defaults alone fill every key of ExperimentConfig, and are valid", () => {
  const data: Record<string, unknown> = { name: 'defaults' };
  assert.deepEqual(validateExperiment(data, process.cwd()), []);
  const resolved = inSchemaOrder(data);
  assert.deepEqual(Object.keys(resolved), Object.keys(SPEC));
  for (const [key, , spec] of sections()) {
    assert.deepEqual(Object.keys(resolved[key] as object), Object.keys(spec), `defaults of ${key}`);
  }
});
