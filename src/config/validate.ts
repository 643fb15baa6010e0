import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { getPath, isMapping } from './paths.js';
import { describeSchema, experimentSchema, leafPaths, schemaAt, sweepablePaths, type JsonSchema } from './schema.js';
import { didYouMean } from './suggest.js';

/** Corpus names that are not file paths. */
export const BUILTIN_CORPORA: readonly string[] = ['moby-dick', 'timemachine'];

/** A problem found in the data, before it is given a place in the source. */
export interface Finding {
  /** object keys and array indices leading to the offending node */
  path: string[];
  /** point at the key, the value, or (for a missing key) the mapping that lacks it */
  at: 'key' | 'value' | 'parent';
  message: string;
}

// allowUnionTypes: nullable keys are written type: [integer, null], which strict mode otherwise refuses.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, verbose: true });
const validateSchema = ajv.compile(experimentSchema);
const leafValidators = new Map<string, ValidateFunction>();

/**
 * The same config with every mapping's keys in schema order (sweep.grid keeps the file's order), so two
 * files that say the same thing resolve to identical objects whatever order they were written in.
 */
export function inSchemaOrder(data: Record<string, unknown>, schema: JsonSchema = experimentSchema): Record<string, unknown> {
  const ordered: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const value = data[key];
    ordered[key] = child.properties !== undefined && isMapping(value) ? inSchemaOrder(value, child) : value;
  }
  return ordered;
}

/**
 * Validates `data` against the schema, filling in its defaults in place, then checks what JSON
 * Schema cannot say: grid keys and values, and that corpus files exist (relative to `dir`).
 */
export function validateExperiment(data: Record<string, unknown>, dir: string): Finding[] {
  const findings = validateSchema(data) ? [] : schemaFindings(validateSchema.errors ?? []);
  findings.push(...gridFindings(data, dir));
  const corpus = getPath(data, 'data.corpus');
  if (typeof corpus === 'string' && corpus !== '') findings.push(...corpusFindings(corpus, dir, ['data', 'corpus']));
  const patience = getPath(data, 'train.early_stopping');
  if (typeof patience === 'number' && patience > 0 && getPath(data, 'data.validation_fraction') === 0) {
    findings.push({
      path: ['train', 'early_stopping'],
      at: 'value',
      message: 'early stopping watches validation perplexity, and data.validation_fraction is 0: hold some data out, or set early_stopping to 0',
    });
  }
  return findings;
}

function schemaFindings(errors: readonly ErrorObject[]): Finding[] {
  const findings: Finding[] = [];
  // A bad value can fail several keywords (type and minimum, every oneOf branch): say it once.
  const badValues = new Set<string>();
  for (const error of errors) {
    const at = pointerSegments(error.instancePath);
    if (error.keyword === 'additionalProperties') {
      const key = String(error.params.additionalProperty);
      const known = Object.keys(schemaAt(at)?.properties ?? {});
      findings.push({ path: [...at, key], at: 'key', message: `unknown key '${key}'${didYouMean(key, known)}` });
    } else if (error.keyword === 'required') {
      const key = String(error.params.missingProperty);
      findings.push({ path: [...at, key], at: 'parent', message: `missing required key '${key}'` });
    } else if (error.keyword === 'uniqueItems') {
      const { i, j } = error.params as { i: number; j: number };
      const [first, again] = [Math.min(i, j), Math.max(i, j)];
      const value = showValue((error.data as unknown[])[again]);
      findings.push({ path: [...at, String(again)], at: 'value', message: `${value} repeats item ${first}: values here must be distinct` });
    } else if (!badValues.has(error.instancePath)) {
      badValues.add(error.instancePath);
      findings.push({ path: at, at: 'value', message: badValue(schemaAt(at) ?? {}, error.data) });
    }
  }
  return findings;
}

function gridFindings(data: Record<string, unknown>, dir: string): Finding[] {
  const grid = getPath(data, 'sweep.grid');
  if (!isMapping(grid)) return [];
  const sweepable = sweepablePaths();
  const findings: Finding[] = [];
  for (const [key, values] of Object.entries(grid)) {
    const keyPath = ['sweep', 'grid', key];
    if (!sweepable.includes(key)) {
      const message = leafPaths().includes(key)
        ? `'${key}' cannot be swept: grid keys are paths under data, model, train, sample or engine`
        : `unknown grid key '${key}'${didYouMean(key, sweepable) || '; grid keys are dotted paths to a value, such as model.cell'}`;
      findings.push({ path: keyPath, at: 'key', message });
      continue;
    }
    if (key === 'train.seed' && getPath(data, 'sweep.seeds') != null) {
      findings.push({ path: keyPath, at: 'key', message: 'train.seed is already swept by sweep.seeds: use one or the other' });
    }
    if (!Array.isArray(values)) continue; // the schema has reported it
    const valid = leafValidator(key);
    values.forEach((value: unknown, index) => {
      const itemPath = [...keyPath, String(index)];
      if (!valid(value)) {
        findings.push({ path: itemPath, at: 'value', message: badValue(leafSchema(key), value) });
      } else if (key === 'data.corpus') {
        findings.push(...corpusFindings(value as string, dir, itemPath));
      }
    });
  }
  return findings;
}

function leafSchema(dotted: string): JsonSchema {
  const schema = schemaAt(dotted.split('.'));
  if (schema === undefined) throw new Error(`no schema for ${dotted}`);
  return schema;
}

function leafValidator(dotted: string): ValidateFunction {
  let validate = leafValidators.get(dotted);
  if (validate === undefined) {
    // A default at a schema's root means nothing to ajv, and strict mode says so.
    const { default: _unused, ...schema } = leafSchema(dotted);
    validate = ajv.compile(schema);
    leafValidators.set(dotted, validate);
  }
  return validate;
}

function corpusFindings(corpus: string, dir: string, at: string[]): Finding[] {
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

/** "expected <what the schema allows>, got <value>", with a suggestion for a near-miss word. */
function badValue(schema: JsonSchema, value: unknown): string {
  const words = [...(schema.enum ?? []), ...(schema.oneOf ?? []).map((branch) => branch.const)].filter(
    (word): word is string => typeof word === 'string',
  );
  const hint = typeof value === 'string' ? didYouMean(value, words) : '';
  return `expected ${describeSchema(schema)}, got ${showValue(value)}${hint}`;
}

function showValue(value: unknown): string {
  if (Array.isArray(value) || isMapping(value)) {
    const json = JSON.stringify(value);
    if (json.length <= 40) return json;
    return Array.isArray(value) ? `a list of ${value.length} items` : 'a mapping';
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}
