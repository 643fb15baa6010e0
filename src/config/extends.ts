// Reading an experiment file and the files it `extends`, each with its source positions, in merge order.
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { leafSchema, leafValidator } from './ajv.js';
import { BUILTIN_CORPORA } from './corpus-check.js';
import { ConfigError, sortIssues, type ConfigIssue } from './errors.js';
import { badValue } from './messages.js';
import { isMapping } from './paths.js';
import { SourceMap } from './source.js';

/** One file's own settings: what it wrote, without its `extends`, and where it wrote it. */
export interface Layer {
  /** absolute path */
  file: string;
  source: SourceMap;
  /** its data, `extends` removed and relative corpus paths made relative to the experiment file */
  data: Record<string, unknown>;
}

export interface Chain {
  /** bases first, depth first, in the order each file lists them; the experiment file last */
  layers: Layer[];
  /** problems that still leave every file readable (duplicate keys): the caller reports them with the rest */
  issues: ConfigIssue[];
}

/**
 * Reads `file` and, recursively, the files it extends. Throws a ConfigError, with every problem of
 * every file, when one cannot be read or parsed, or the chain has a cycle: the merge would be
 * missing settings, and what validation said about it would mislead.
 */
export function readChain(file: string): Chain {
  const text = readText(file);
  if ('reason' in text) throw new ConfigError([{ file, line: 0, column: 0, path: '', message: `cannot read experiment file: ${text.reason}` }]);
  const reader = new ChainReader(path.dirname(file));
  const layers = reader.read(file, text.text, []);
  if (reader.broken) throw new ConfigError(sortIssues(reader.issues, [file, ...reader.files]));
  return { layers: layers ?? [], issues: reader.issues };
}

class ChainReader {
  readonly issues: ConfigIssue[] = [];
  /** every base file read, in the order first read */
  readonly files: string[] = [];
  broken = false;

  constructor(private readonly experimentDir: string) {}

  /** The layers of `file` and its bases, or undefined when `file` itself is unusable. `stack`: the files extending it, outermost first. */
  read(file: string, text: string, stack: readonly string[]): Layer[] | undefined {
    if (stack.length > 0 && !this.files.includes(file)) this.files.push(file);
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const source = new SourceMap(doc, lines);
    for (const error of doc.errors) this.issues.push(syntaxIssue(error, file, source));
    // Duplicate keys leave a usable document (the last one wins), so its other problems are worth reporting too.
    if (doc.errors.some((error) => error.code !== 'DUPLICATE_KEY')) return this.fail();

    const contents = doc.contents;
    if (!isMap(contents)) {
      const empty = contents === null || (isScalar(contents) && contents.source === '');
      const found = isSeq(contents) ? 'a list' : isScalar(contents) ? JSON.stringify(contents.value) : 'an alias';
      const position = empty ? { line: 1, column: 1 } : source.positionOf([], 'value');
      const wanted = stack.length === 0 ? 'a mapping with at least `name`' : 'a mapping of settings';
      const message = empty ? `file is empty: expected ${wanted}` : `expected ${wanted}, found ${found}`;
      return this.fail({ file, ...position, path: '', message });
    }
    const data = toData(doc, file);
    if ('issue' in data) return this.fail(data.issue);

    const layers: Layer[] = [];
    const own = data.data;
    const within = [...stack, file];
    for (const base of this.bases(own, source, file)) {
      const where = { file, ...source.positionOf(base.at, 'value'), path: base.path };
      const target = path.resolve(path.dirname(file), base.ref);
      // Compared by real path: through a symlink, a file that extends itself would otherwise recurse until the path is too long.
      const seen = within.map(realPath).indexOf(realPath(target));
      if (seen >= 0) {
        const cycle = [...within.slice(seen), target].map((step) => path.relative(path.dirname(file), step) || path.basename(step));
        this.fail({ ...where, message: `extends cycle: ${cycle.join(' → ')}` });
        continue;
      }
      const baseText = readText(target);
      if ('reason' in baseText) {
        this.fail({ ...where, message: `cannot read base file ${target}: ${baseText.reason}` });
        continue;
      }
      layers.push(...(this.read(target, baseText.text, within) ?? []));
    }
    delete own.extends;
    if (path.dirname(file) !== this.experimentDir) rebaseCorpora(own, path.dirname(file), this.experimentDir);
    layers.push({ file, source, data: own });
    return layers;
  }

  /** The files `extends` names, each with where it is written. */
  private bases(data: Record<string, unknown>, source: SourceMap, file: string): { ref: string; at: string[]; path: string }[] {
    const value = data.extends;
    if (value === undefined) return [];
    if (!leafValidator('extends')(value)) {
      this.fail({ file, ...source.positionOf(['extends'], 'value'), path: 'extends', message: badValue(leafSchema('extends'), value) });
      return [];
    }
    if (typeof value === 'string') return [{ ref: value, at: ['extends'], path: 'extends' }];
    return (value as string[]).map((ref, index) => ({ ref, at: ['extends', String(index)], path: `extends[${index}]` }));
  }

  private fail(issue?: ConfigIssue): undefined {
    if (issue !== undefined) this.issues.push(issue);
    this.broken = true;
    return undefined;
  }
}

/**
 * A corpus path is relative to the file that wrote it, as a reader of that file expects; the
 * resolved config has them relative to the experiment file, which is where they are resolved.
 */
function rebaseCorpora(data: Record<string, unknown>, fromDir: string, toDir: string): void {
  const rebase = (corpus: unknown): unknown =>
    typeof corpus !== 'string' || corpus === '' || BUILTIN_CORPORA.includes(corpus) || path.isAbsolute(corpus)
      ? corpus
      : path.relative(toDir, path.resolve(fromDir, corpus));
  const section = data.data;
  if (isMapping(section) && Object.hasOwn(section, 'corpus')) section.corpus = rebase(section.corpus);
  const sweep = data.sweep;
  if (!isMapping(sweep)) return;
  if (isMapping(sweep.grid) && Array.isArray(sweep.grid['data.corpus'])) sweep.grid['data.corpus'] = sweep.grid['data.corpus'].map(rebase);
  for (const points of [sweep.include, sweep.exclude]) {
    if (!Array.isArray(points)) continue;
    for (const entry of points) if (isMapping(entry) && Object.hasOwn(entry, 'data.corpus')) entry['data.corpus'] = rebase(entry['data.corpus']);
  }
}

function realPath(file: string): string {
  try {
    return realpathSync.native(file);
  } catch {
    return file;
  }
}

function readText(file: string): { text: string } | { reason: string } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a directory', EACCES: 'permission denied' };
    return { reason: reasons[code ?? ''] ?? (error as Error).message };
  }
}

// toJS throws only on alias abuse (a "billion laughs" file); that is still the file's fault, not ours.
function toData(doc: Document.Parsed, file: string): { data: Record<string, unknown> } | { issue: ConfigIssue } {
  try {
    return { data: doc.toJS() as Record<string, unknown> };
  } catch (error) {
    return { issue: { file, line: 1, column: 1, path: '', message: `cannot read YAML: ${(error as Error).message}` } };
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
