import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';
import { getPath, isMapping, setPath } from './paths.js';
import { leafPaths } from './schema.js';
import { SourceMap } from './source.js';
import { didYouMean } from './suggest.js';
import type { ExperimentConfig } from './types.js';
import { inSchemaOrder, validateExperiment, type Finding } from './validate.js';

export interface LoadedExperiment {
  config: ExperimentConfig;
  /** absolute path of the YAML file */
  file: string;
  /** the YAML file's directory: relative corpus paths start here */
  dir: string;
}

export interface LoadOptions {
  /** `path=value` overrides (`--set`), applied before validation; the value is read as YAML */
  set?: readonly string[];
}

/**
 * Reads, validates and fills in the defaults of an experiment file. Throws a ConfigError listing
 * every problem found, each placed at its key or value in the file, or at its --set argument.
 */
export function loadExperiment(file: string, options: LoadOptions = {}): LoadedExperiment {
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  const text = readExperiment(absolute);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source = new SourceMap(doc, lines);
  const issues = doc.errors.map((error) => syntaxIssue(error, absolute, source));
  // Duplicate keys leave a usable document (the last one wins), so its other problems are worth reporting too.
  if (doc.errors.some((error) => error.code !== 'DUPLICATE_KEY')) throw new ConfigError(issues);

  const contents = doc.contents;
  if (!isMap(contents)) {
    const empty = contents === null || (isScalar(contents) && contents.source === '');
    const found = isSeq(contents) ? 'a list' : isScalar(contents) ? JSON.stringify(contents.value) : 'an alias';
    const position = empty ? { line: 1, column: 1 } : source.positionOf([], 'value');
    const message = empty ? 'file is empty: expected a mapping with at least `name`' : `expected a mapping with at least \`name\`, found ${found}`;
    throw new ConfigError([...issues, { file: absolute, ...position, path: '', message }]);
  }

  const data = toData(doc, absolute);
  const overrides = applyOverrides(data, options.set ?? [], issues);
  for (const finding of validateExperiment(data, dir)) {
    const override = overrides.find((candidate) => isPrefix(candidate.path, finding.path));
    const where =
      override !== undefined
        ? { file: `--set ${override.argument}`, line: 0, column: 0 }
        : { file: absolute, ...locate(source, finding) };
    issues.push({ ...where, path: displayPath(data, finding.path), message: finding.message });
  }
  if (issues.length > 0) throw new ConfigError(sortIssues(issues));
  return { config: inSchemaOrder(data) as unknown as ExperimentConfig, file: absolute, dir };
}

function readExperiment(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a directory', EACCES: 'permission denied' };
    const reason = reasons[code ?? ''] ?? (error as Error).message;
    throw new ConfigError([{ file, line: 0, column: 0, path: '', message: `cannot read experiment file: ${reason}` }]);
  }
}

// toJS throws only on alias abuse (a "billion laughs" file); that is still the file's fault, not ours.
function toData(doc: Document.Parsed, file: string): Record<string, unknown> {
  try {
    return doc.toJS() as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: `cannot read YAML: ${(error as Error).message}` }]);
  }
}

function syntaxIssue(error: YAMLError, file: string, source: SourceMap): ConfigIssue {
  const position = source.positionAt(error.pos[0]);
  if (error.code === 'DUPLICATE_KEY') {
    const keyPath = source.keyPathAt(error.pos[0]) ?? [];
    return { file, ...position, path: keyPath.join('.'), message: `duplicate key '${keyPath.at(-1) ?? ''}'` };
  }
  if (error.code === 'MULTIPLE_DOCS') {
    return { file, ...position, path: '', message: 'a second YAML document starts here; an experiment file holds one' };
  }
  return { file, ...position, path: '', message: `invalid YAML: ${error.message}` };
}

interface Override {
  path: string[];
  argument: string;
}

function applyOverrides(data: Record<string, unknown>, settings: readonly string[], issues: ConfigIssue[]): Override[] {
  const overrides: Override[] = [];
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
    const known = leafPaths();
    if (!known.includes(dotted)) {
      problem(dotted, `unknown key '${dotted}'${didYouMean(dotted, known)}`);
      continue;
    }
    const valueDoc = parseDocument(argument.slice(equals + 1), { prettyErrors: false });
    if (valueDoc.errors.length > 0) {
      problem(dotted, `value is not valid YAML: ${valueDoc.errors[0]?.message}`);
      continue;
    }
    // A section the file itself gets wrong (`train: 5`) is reported at the file; leave it be.
    const parent = dotted.split('.').slice(0, -1).join('.');
    const section = parent === '' ? data : getPath(data, parent);
    if (section !== undefined && !isMapping(section)) continue;
    setPath(data, dotted, valueDoc.toJS());
    overrides.push({ path: dotted.split('.'), argument });
  }
  return overrides;
}

function locate(source: SourceMap, finding: Finding): { line: number; column: number } {
  if (finding.at === 'parent') return source.positionOf(finding.path.slice(0, -1), 'value');
  return source.positionOf(finding.path, finding.at);
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

/** --set problems first (their order is stable: as found); then the file's, from top to bottom. */
function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => Number(a.line > 0) - Number(b.line > 0) || a.line - b.line || a.column - b.column);
}
