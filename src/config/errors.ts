import path from 'node:path';
import { RunSweepError } from '../errors.js';
import { redactUserinfo } from './redact.js';

/**
 * One problem with an experiment file. `line` and `column` are 1-based; 0 means the problem has no
 * place inside a file (the file cannot be read, or the value came from a `--set` or `--only`
 * argument, whose text is then `file`).
 */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** dotted path of the offending node, e.g. `model.cell` or `sweep.grid.model.cell[2]`; '' for the whole file */
  path: string;
  message: string;
}

/** A bad experiment file: every issue found, not just the first. `message` is the formatted list. */
export class ConfigError extends RunSweepError {
  override name = 'ConfigError';
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    // Redacted here, once, so that no check can echo a URI's password, whichever value it quotes.
    const safe = issues.map((issue) => ({ ...issue, file: redactUserinfo(issue.file), message: redactUserinfo(issue.message) }));
    super('config', formatIssues(safe));
    this.issues = safe;
  }
}

/** `file:line:column: path: message`, one issue per line; file relative to cwd when inside it. */
export function formatIssues(issues: readonly ConfigIssue[], cwd: string = process.cwd()): string {
  return issues.map((issue) => formatIssue(issue, cwd)).join('\n');
}

function formatIssue(issue: ConfigIssue, cwd: string): string {
  const where = issue.line > 0 ? `${displayFile(issue.file, cwd)}:${issue.line}:${issue.column}` : displayFile(issue.file, cwd);
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

function displayFile(file: string, cwd: string): string {
  if (!path.isAbsolute(file)) return file;
  const relative = path.relative(cwd, file);
  const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  return relative === '' || outside ? file : relative;
}

/**
 * Problems without a place (--set, --only, an unreadable file) first, in the order found; then by
 * file, in the order of `files` (the experiment file, then its bases), top to bottom.
 */
export function sortIssues(issues: readonly ConfigIssue[], files: readonly string[] = []): ConfigIssue[] {
  const rank = (issue: ConfigIssue): number => (files.includes(issue.file) ? files.indexOf(issue.file) : files.length);
  return [...issues].sort(
    (a, b) => Number(a.line > 0) - Number(b.line > 0) || (a.line > 0 ? rank(a) - rank(b) || a.line - b.line || a.column - b.column : 0),
  );
}
