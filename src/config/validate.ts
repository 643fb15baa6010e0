import type { ErrorObject } from 'ajv';
import { validateConfig } from './ajv.js';
import { backendFindings } from './backend-check.js';
import { corpusFindings } from './corpus-check.js';
import { DURATION_FORMS, parseDuration } from './duration.js';
import type { Finding } from './finding.js';
import { badValue, showValue } from './messages.js';
import { getPath, isMapping } from './paths.js';
import { resolvedSchema, schemaAt, type JsonSchema } from './schema.js';
import { didYouMean } from './suggest.js';
import { sweepFindings } from './sweep-checks.js';
import { trackingUriProblem } from './tracking-uri.js';

export { BUILTIN_CORPORA } from './corpus-check.js';
export type { Finding } from './finding.js';

/**
 * The same config with every mapping's keys in schema order (sweep.grid keeps the file's order), so two
 * files that say the same thing resolve to identical objects whatever order they were written in.
 */
export function inSchemaOrder(data: Record<string, unknown>, schema: JsonSchema = resolvedSchema): Record<string, unknown> {
  const ordered: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const value = data[key];
    ordered[key] = child.properties !== undefined && isMapping(value) ? inSchemaOrder(value, child) : value;
  }
  return ordered;
}

/**
 * Validates `data` against the schema, filling in its defaults and expanding its grid ranges in
 * place, then checks what JSON Schema cannot say: grid, include and exclude keys and values, that
 * corpus files exist (relative to `dir`), the tracking URI's form, and what the settings need
 * installed. Reads no corpus and reaches no server.
 */
export function validateExperiment(data: Record<string, unknown>, dir: string): Finding[] {
  const findings = validateConfig(data) ? [] : schemaFindings(validateConfig.errors ?? []);
  findings.push(...sweepFindings(data, dir));
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
  findings.push(...timeoutFindings(data));
  const uri = getPath(data, 'tracking.uri');
  const uriProblem = typeof uri === 'string' && uri !== '' ? trackingUriProblem(uri) : undefined;
  if (uriProblem !== undefined) findings.push({ path: ['tracking', 'uri'], at: 'value', message: uriProblem });
  findings.push(...backendFindings(data));
  return findings;
}

/** A trial time limit of nothing ("0s") would fail every trial at once; the schema's pattern admits it. */
function timeoutFindings(data: Record<string, unknown>): Finding[] {
  const limit = getPath(data, 'sweep.trial_timeout');
  if (typeof limit !== 'string' && typeof limit !== 'number') return [];
  let ms: number;
  try {
    ms = parseDuration(limit);
  } catch {
    return []; // the schema has said what a duration looks like
  }
  if (ms > 0) return [];
  return [{ path: ['sweep', 'trial_timeout'], at: 'value', message: `expected a duration above 0 (${DURATION_FORMS}) or null, got ${showValue(limit)}` }];
}

function schemaFindings(allErrors: readonly ErrorObject[]): Finding[] {
  const errors = withinChosenBranches(allErrors);
  const findings: Finding[] = [];
  // A bad value can fail several keywords (type and minimum, every oneOf branch): say it once.
  const badValues = new Set<string>();
  for (const error of errors) {
    const at = pointerSegments(error.instancePath);
    if (error.keyword === 'additionalProperties') {
      const key = String(error.params.additionalProperty);
      // The full schema's keys at the top (so `extend:` suggests the directive), else the branch ajv checked.
      const known = Object.keys(schemaAt(at)?.properties ?? (error.parentSchema as JsonSchema | undefined)?.properties ?? {});
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

/**
 * ajv reports a failed oneOf with the errors of every branch. Keep only the branch the value was
 * evidently written for (the one admitting its type; among mappings, the one sharing most of its
 * keys), so `{start: 1, stop: 5, step: 0}` gets "step: expected a number > 0", not a list's
 * complaints. When no branch admits its type, the oneOf error alone says what the key takes.
 */
function withinChosenBranches(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  for (const oneOf of errors) {
    if (oneOf.keyword !== 'oneOf') continue;
    const chosen = chooseBranch(oneOf.schema as JsonSchema[], oneOf.data);
    const prefix = `${oneOf.schemaPath}/`;
    const below = errors.filter(
      (error) =>
        error.schemaPath.startsWith(prefix) && (error.instancePath === oneOf.instancePath || error.instancePath.startsWith(`${oneOf.instancePath}/`)),
    );
    const branchOf = (error: ErrorObject): number => Number(error.schemaPath.slice(prefix.length).split('/')[0]);
    const fromChosen = below.filter((error) => branchOf(error) === chosen);
    for (const error of below) if (branchOf(error) !== chosen) dropped.add(error);
    if (fromChosen.length > 0) dropped.add(oneOf);
  }
  return errors.filter((error) => !dropped.has(error));
}

function chooseBranch(branches: JsonSchema[], data: unknown): number | undefined {
  const type = data === null ? 'null' : Array.isArray(data) ? 'array' : typeof data === 'object' ? 'object' : typeof data;
  const admits = (branch: JsonSchema): boolean => {
    const declared = branch.type === undefined ? [] : Array.isArray(branch.type) ? branch.type : [branch.type];
    const fromValues = [...(branch.enum ?? []), ...('const' in branch ? [branch.const] : [])].map((value) =>
      value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value,
    );
    const types = [...declared, ...fromValues].map((t) => (t === 'integer' ? 'number' : t));
    return types.length === 0 || types.includes(type);
  };
  const candidates = branches.map((branch, index) => ({ branch, index })).filter(({ branch }) => admits(branch));
  if (candidates.length === 0) return undefined;
  if (!isMapping(data)) return candidates[0]?.index;
  const shared = (branch: JsonSchema): number => Object.keys(data).filter((key) => Object.hasOwn(branch.properties ?? {}, key)).length;
  return candidates.reduce((best, candidate) => (shared(candidate.branch) > shared(best.branch) ? candidate : best)).index;
}

function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}
