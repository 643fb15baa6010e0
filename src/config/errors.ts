import path from 'node:path';

/**
 * One problem with an experiment file. `line` and `column` are 1-based; 0 means the problem has no
 * place inside a file (the file cannot be read, or the value came from a `--set` argument, whose
 * text is then `file`).
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
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(formatIssues(issues));
    this.name = 'ConfigError';
    this.issues = issues;
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
