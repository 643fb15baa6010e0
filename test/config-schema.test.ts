// The schema documents itself for editors: every property titled, described, defaulted and exemplified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { DURATION_PATTERN } from '../src/config/duration.js';
import { experimentSchema, schemaAt, type JsonSchema } from '../src/config/schema.js';

/** Every property anywhere in the schema: sections, leaves, and the keys of a grid range. */
function properties(schema: JsonSchema, at = ''): { at: string; schema: JsonSchema; required: boolean }[] {
  const found: { at: string; schema: JsonSchema; required: boolean }[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const dotted = at === '' ? key : `${at}.${key}`;
    found.push({ at: dotted, schema: child, required: schema.required?.includes(key) ?? false }, ...properties(child, dotted));
  }
  for (const branch of schema.oneOf ?? []) found.push(...properties(branch, at));
  if (typeof schema.additionalProperties === 'object') found.push(...properties(schema.additionalProperties, `${at}.*`));
  if (schema.items !== undefined) found.push(...properties(schema.items, `${at}[]`));
  return found;
}

test('every schema property has a title, a description, examples, and a default unless it is required', () => {
  const all = properties(experimentSchema);
  assert.ok(all.length >= 64, `found ${all.length} properties`);
  assert.ok(all.some((p) => p.at === 'sweep.grid.*.step'), 'the walk reaches the keys of a grid range');
  const lacking: string[] = [];
  for (const { at, schema, required } of all) {
    if (typeof schema.title !== 'string' || schema.title === '') lacking.push(`${at}: title`);
    if (typeof schema.description !== 'string' || schema.description === '') lacking.push(`${at}: description`);
    if (!Array.isArray(schema.examples) || schema.examples.length === 0) lacking.push(`${at}: examples`);
    // A required key has no default to give: `name`, a range's start, stop and step.
    if (!required && !('default' in schema)) lacking.push(`${at}: default`);
  }
  assert.deepEqual(lacking, []);
});

test('every example and every default is a value its property accepts', () => {
  const ajv = new Ajv({ strict: false, allowUnionTypes: true });
  for (const { at, schema } of properties(experimentSchema)) {
    const { default: fallback, examples = [], ...rest } = schema;
    const valid = ajv.compile(rest);
    for (const example of examples) assert.ok(valid(example), `${at}: example ${JSON.stringify(example)}`);
    if ('default' in schema) assert.ok(valid(fallback), `${at}: default ${JSON.stringify(fallback)}`);
  }
});

test("the schema's duration pattern is the one parseDuration reads", () => {
  for (const key of [['sweep', 'trial_timeout'], ['tracking', 'upload_timeout']]) {
    const patterns = (schemaAt(key)?.oneOf ?? []).map((branch) => branch.pattern).filter((p) => p !== undefined);
    assert.deepEqual(patterns, [DURATION_PATTERN.source], key.join('.'));
  }
});
