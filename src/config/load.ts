import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, sortIssues, type ConfigIssue } from './errors.js';
import { readChain, type Layer } from './extends.js';
import { mergeLayers, writerOf } from './merge.js';
import { showValue } from './messages.js';
import { getPath, isMapping, setPath } from './paths.js';
import { DIRECTIVE_KEYS, leafPaths } from './schema.js';
import { didYouMean } from './suggest.js';
import type { ExperimentConfig } from './types.js';
import { inSchemaOrder, validateExperiment, type Finding } from './validate.js';

export interface LoadedExperiment {
  config: ExperimentConfig;
  /** absolute path of the YAML file */
  file: string;
  /** the YAML file's directory: relative corpus paths start here */
  dir: string;
  /** absolute paths of the files it extends, directly or not, in merge order (the deepest base first) */
  bases: string[];
}

export interface LoadOptions {
  /**
   * `path=value` overrides (`--set`), applied after `extends` and before validation; the value is
   * read as YAML. `sweep.grid.<path>=[values]` replaces one grid key's values.
   */
  set?: readonly string[];
}

/**
 * Reads an experiment file and the files it extends, merges them, applies `--set`, validates the
 * result and fills in the defaults (grid ranges expanded to lists). Throws a ConfigError listing
 * every problem found, each placed at the key or value in the file that wrote it, or at its
 * --set argument.
 */
export function loadExperiment(file: string, options: LoadOptions = {}): LoadedExperiment {
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  const { layers, issues } = readChain(absolute);
  const data = mergeLayers(layers.map((layer) => layer.data));
  const overrides = applyOverrides(data, options.set ?? [], issues);
  const findings = validateExperiment(data, dir);
  const swept = sweptOverrides(data, overrides);
  issues.push(...swept);
  for (const finding of findings) {
    const override = overrides.find((candidate) => isPrefix(candidate.path, finding.path));
    // A --set the sweep overrides is wrong whatever its value: saying why its value is bad too would be noise.
    if (override !== undefined && swept.some((issue) => issue.file === `--set ${override.argument}`)) continue;
    const where = override !== undefined ? { file: `--set ${override.argument}`, line: 0, column: 0 } : locate(layers, finding);
    issues.push({ ...where, path: displayPath(data, finding.path), message: finding.message });
  }
  const files = [...new Set([absolute, ...layers.map((layer) => layer.file)])];
  if (issues.length > 0) throw new ConfigError(sortIssues(issues, files));
  return { config: inSchemaOrder(data) as unknown as ExperimentConfig, file: absolute, dir, bases: files.slice(1) };
}

interface Override {
  /** the keys it sets: ['model', 'cell'], or ['sweep', 'grid', 'model.cell'] for one grid key */
  path: string[];
  argument: string;
  /** the value, as parsed */
  value: unknown;
}

const GRID_PREFIX = 'sweep.grid.';

function applyOverrides(data: Record<string, unknown>, settings: readonly string[], issues: ConfigIssue[]): Override[] {
  const overrides: Override[] = [];
  const known = leafPaths().filter((dotted) => !DIRECTIVE_KEYS.includes(dotted));
  for (const argument of settings) {
    const problem = (dotted: string, message: string): void => {
      issues.push({ file: `--set ${argument}`, line: 0, column: 0, path: dotted, message });
    };
    const equals = argument.indexOf('=');
    const dotted = argument.slice(0, Math.max(equals, 0)).trim();
    if (equals <= 0 || dotted === '') {
      problem('', 'expected path=value, e.g. train.epochs=2');
      continue;
    }
    const gridKey = dotted.startsWith(GRID_PREFIX) ? dotted.slice(GRID_PREFIX.length) : undefined;
    if (DIRECTIVE_KEYS.includes(dotted)) {
      problem(dotted, `${dotted} is read from the file itself, before --set applies; it cannot be set`);
      continue;
    }
    if (gridKey === undefined && !known.includes(dotted)) {
      problem(dotted, `unknown key '${dotted}'${didYouMean(dotted, known)}`);
      continue;
    }
    const valueDoc = parseDocument(argument.slice(equals + 1), { prettyErrors: false });
    if (valueDoc.errors.length > 0) {
      problem(dotted, `value is not valid YAML: ${valueDoc.errors[0]?.message}`);
      continue;
    }
    const value: unknown = valueDoc.toJS();
    // A section the file itself gets wrong (`train: 5`) is reported at the file; leave it be.
    const keys = gridKey === undefined ? dotted.split('.') : ['sweep', 'grid', gridKey];
    if (!mappingsAlong(data, keys.slice(0, -1))) continue;
    if (gridKey === undefined) setPath(data, dotted, value);
    else setGridKey(data, gridKey, value);
    overrides.push({ path: keys, argument, value });
  }
  return overrides;
}

/** Whether every step before the last is a mapping or missing, so a value can be set there. */
function mappingsAlong(data: Record<string, unknown>, keys: readonly string[]): boolean {
  let node: unknown = data;
  for (const key of keys) {
    if (!isMapping(node)) return false;
    node = node[key];
    if (node === undefined) return true;
  }
  return isMapping(node);
}

// Grid keys hold dots (`model.cell`), so setPath's dotted walk cannot reach them.
function setGridKey(data: Record<string, unknown>, key: string, value: unknown): void {
  if (!isMapping(data.sweep)) data.sweep = {};
  const sweep = data.sweep as Record<string, unknown>;
  if (!isMapping(sweep.grid)) sweep.grid = {};
  (sweep.grid as Record<string, unknown>)[key] = value;
}

/**
 * A --set of a key the sweep varies would be overwritten in every trial: refuse it, and say how to
 * get what was probably meant.
 */
function sweptOverrides(data: Record<string, unknown>, overrides: readonly Override[]): ConfigIssue[] {
  const grid = getPath(data, 'sweep.grid');
  const issues: ConfigIssue[] = [];
  for (const { path: keys, argument, value } of overrides) {
    if (keys[0] === 'sweep') continue;
    const dotted = keys.join('.');
    const text = argument.slice(argument.indexOf('=') + 1).trim();
    const list = Array.isArray(value) ? text : `[${text}]`;
    const only = Array.isArray(value) ? value.map((item) => `--only ${dotted}=${typeof item === 'string' ? item : showValue(item)}`).join(' ') : `--only ${dotted}=${text}`;
    let message: string | undefined;
    if (isMapping(grid) && Object.hasOwn(grid, dotted)) {
      message = `swept by sweep.grid, so --set would be overridden in every trial; use ${only} to run part of the grid, or --set '${GRID_PREFIX}${dotted}=${list}' to sweep only ${Array.isArray(value) ? 'those values' : 'that value'}`;
    } else if (dotted === 'train.seed' && getPath(data, 'sweep.seeds') != null) {
      message = `swept by sweep.seeds, so --set would be overridden in every trial; use ${only} to run part of the sweep, or --set 'sweep.seeds=${list}'`;
    }
    if (message !== undefined) issues.push({ file: `--set ${argument}`, line: 0, column: 0, path: dotted, message });
  }
  return issues;
}

/** The file, line and column that wrote the value a finding is about; a default is placed in the experiment file. */
function locate(layers: readonly Layer[], finding: Finding): { file: string; line: number; column: number } {
  const segments = finding.at === 'parent' ? finding.path.slice(0, -1) : finding.path;
  const layer = layers[writerOf(layers.map((candidate) => candidate.data), segments) ?? layers.length - 1] as Layer;
  return { file: layer.file, ...layer.source.positionOf(segments, finding.at === 'parent' ? 'value' : finding.at) };
}

function isPrefix(prefix: readonly string[], segments: readonly string[]): boolean {
  return prefix.length <= segments.length && prefix.every((segment, index) => segments[index] === segment);
}

/** `sweep.grid.model.cell[2]`: keys joined by dots, list indices in brackets. */
function displayPath(data: unknown, segments: readonly string[]): string {
  let text = '';
  let node = data;
  for (const segment of segments) {
    text += Array.isArray(node) ? `[${segment}]` : text === '' ? segment : `.${segment}`;
    node = isMapping(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return text;
}
