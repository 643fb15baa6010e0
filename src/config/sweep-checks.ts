// What JSON Schema cannot say about sweep.grid, sweep.include and sweep.exclude: their keys name
// sweepable settings, their values are valid for those settings, ranges expand to something, and
// exclude entries name points the grid has. Valid ranges are replaced by their values, in place.
import { isDeepStrictEqual } from 'node:util';
import { leafSchema, leafValidator } from './ajv.js';
import { corpusFindings } from './corpus-check.js';
import type { Finding } from './finding.js';
import { badValue, showValue } from './messages.js';
import { getPath, isMapping } from './paths.js';
import { expandRange, takesIntegersOnly, takesNumbers, type LinearRange, type LogRange } from './range.js';
import { describeSchema, leafPaths, sweepablePaths } from './schema.js';
import { didYouMean } from './suggest.js';

export function sweepFindings(data: Record<string, unknown>, dir: string): Finding[] {
  const findings: Finding[] = [];
  const grid = gridFindings(data, dir, findings);
  includeFindings(data, dir, findings);
  excludeFindings(data, grid, findings);
  return findings;
}

/** Checks every grid key and value; returns each key's values (a range expanded) when they are all valid. */
function gridFindings(data: Record<string, unknown>, dir: string, findings: Finding[]): Map<string, unknown[]> | undefined {
  const grid = getPath(data, 'sweep.grid');
  if (!isMapping(grid)) return undefined;
  const valuesByKey = new Map<string, unknown[]>();
  for (const [key, written] of Object.entries(grid)) {
    const keyPath = ['sweep', 'grid', key];
    const before = findings.length;
    const problem = keyProblem(key, data, 'grid key');
    if (problem !== undefined) findings.push({ path: keyPath, at: 'key', message: problem });
    if (problem !== undefined && !sweepablePaths().includes(key)) continue;

    let values: unknown[];
    if (Array.isArray(written)) {
      values = written;
      values.forEach((value, index) => findings.push(...valueFindings(key, value, [...keyPath, String(index)], dir)));
    } else if (isMapping(written) && leafValidator('sweep.grid.*')(written)) {
      // A mapping the schema accepts as a grid value is a range ('*': every grid key's value has one schema).
      const expanded = rangeValues(key, written as unknown as LinearRange | LogRange);
      if ('problem' in expanded) {
        findings.push({ path: keyPath, at: 'value', message: expanded.problem });
        continue;
      }
      values = expanded.values;
      // The range wrote its values, so they are reported at the range, together.
      const bad = values.filter((value) => !leafValidator(key)(value));
      if (bad.length > 0) {
        const count = bad.length === 1 ? 'a value' : `${bad.length} values`;
        const shown = bad.slice(0, 3).map(showValue).join(', ') + (bad.length > 3 ? ', …' : '');
        findings.push({ path: keyPath, at: 'value', message: `the range gives ${count} ${key} does not take: expected ${describeSchema(leafSchema(key))}, got ${shown}` });
      }
      grid[key] = values;
    } else {
      continue; // the schema has said what a grid value may be
    }
    if (findings.length === before) valuesByKey.set(key, values);
  }
  return valuesByKey;
}

function rangeValues(key: string, range: LinearRange | LogRange): ReturnType<typeof expandRange> {
  const schema = leafSchema(key);
  if (!takesNumbers(schema)) {
    return { problem: `a range makes numbers, and ${key} takes ${describeSchema(schema)}: list its values instead` };
  }
  return expandRange(range, takesIntegersOnly(schema));
}

/** sweep.include: each entry a point, its keys sweepable settings and its values valid for them. */
function includeFindings(data: Record<string, unknown>, dir: string, findings: Finding[]): void {
  const include = getPath(data, 'sweep.include');
  if (!Array.isArray(include)) return;
  include.forEach((entry: unknown, index) => {
    if (!isMapping(entry)) return;
    for (const [key, value] of Object.entries(entry)) {
      const at = ['sweep', 'include', String(index), key];
      const problem = keyProblem(key, data, 'sweep.include key');
      if (problem !== undefined) findings.push({ path: at, at: 'key', message: problem });
      else findings.push(...valueFindings(key, value, at, dir));
    }
  });
}

/** sweep.exclude: each entry names grid keys, each with one of the grid's values for it. */
function excludeFindings(data: Record<string, unknown>, grid: Map<string, unknown[]> | undefined, findings: Finding[]): void {
  const exclude = getPath(data, 'sweep.exclude');
  const gridKeys = Object.keys(getPath(data, 'sweep.grid') ?? {});
  if (!Array.isArray(exclude) || grid === undefined) return;
  const before = findings.length;
  exclude.forEach((entry: unknown, index) => {
    if (!isMapping(entry)) return;
    for (const [key, value] of Object.entries(entry)) {
      const at = ['sweep', 'exclude', String(index), key];
      if (!gridKeys.includes(key)) {
        const known = gridKeys.length === 0 ? 'sweep.grid is empty' : `its keys are ${gridKeys.join(', ')}`;
        findings.push({ path: at, at: 'key', message: `'${key}' is not a key of sweep.grid (${known})${didYouMean(key, gridKeys)}` });
        continue;
      }
      const values = grid.get(key);
      if (values !== undefined && !values.some((candidate) => isDeepStrictEqual(candidate, value))) {
        const words = values.filter((candidate): candidate is string => typeof candidate === 'string');
        const hint = typeof value === 'string' ? didYouMean(value, words) : '';
        findings.push({ path: at, at: 'value', message: `${showValue(value)} is not one of sweep.grid's values for ${key}: ${listValues(values)}${hint}` });
      }
    }
  });
  const include = getPath(data, 'sweep.include');
  const addsPoints = Array.isArray(include) && include.length > 0;
  if (findings.length === before && exclude.length > 0 && !addsPoints && grid.size === gridKeys.length && everyPointExcluded(grid, exclude)) {
    findings.push({ path: ['sweep', 'exclude'], at: 'value', message: 'every grid point is excluded and sweep.include adds none: nothing would train' });
  }
}

/** Walks the grid's points until one survives; a grid excluded whole has none. */
function everyPointExcluded(grid: Map<string, unknown[]>, exclude: unknown[]): boolean {
  const axes = [...grid.entries()];
  const counters = axes.map(() => 0);
  for (;;) {
    const point = new Map(axes.map(([key, values], i) => [key, values[counters[i] ?? 0]]));
    const excluded = exclude.some(
      (entry) => isMapping(entry) && Object.entries(entry).every(([key, value]) => isDeepStrictEqual(point.get(key), value)),
    );
    if (!excluded) return false;
    let axis = axes.length - 1;
    while (axis >= 0 && (counters[axis] = (counters[axis] ?? 0) + 1) === axes[axis]?.[1].length) counters[axis--] = 0;
    if (axis < 0) return true;
  }
}

function listValues(values: unknown[]): string {
  const shown = values.slice(0, 10).map((value) => (typeof value === 'string' ? value : showValue(value)));
  return values.length > 10 ? `${shown.join(', ')}, … (${values.length} in all)` : shown.join(', ');
}

/** Why `key` cannot be set by a sweep, if it cannot. */
function keyProblem(key: string, data: Record<string, unknown>, noun: string): string | undefined {
  const sweepable = sweepablePaths();
  if (!sweepable.includes(key)) {
    return leafPaths().includes(key)
      ? `'${key}' cannot be swept: ${noun}s are paths under data, model, train, sample or engine`
      : `unknown ${noun} '${key}'${didYouMean(key, sweepable) || `; ${noun}s are dotted paths to a value, such as model.cell`}`;
  }
  if (key === 'train.seed' && getPath(data, 'sweep.seeds') != null) {
    return 'train.seed is already swept by sweep.seeds: use one or the other';
  }
  return undefined;
}

/** One value for `key`, valid for its schema, and a readable file when it is a corpus path. */
function valueFindings(key: string, value: unknown, at: string[], dir: string): Finding[] {
  if (!leafValidator(key)(value)) return [{ path: at, at: 'value', message: badValue(leafSchema(key), value) }];
  return key === 'data.corpus' ? corpusFindings(value as string, dir, at) : [];
}
