// The one error table. Every failure a user can cause is a RunSweepError of one kind; the kind
// decides the exit code, and the message is one line (a config error may list several issues,
// one per line). The CLI imports this file alone to turn errors into exit codes. Anything else
// that reaches the CLI is a bug in run-sweep: one line and how to report it.

/** What went wrong, from the user's side. Each kind maps to exactly one exit code. */
export type ErrorKind =
  /** bad argv */
  | 'usage'
  /** a bad experiment file or --set, or a problem known before training (corpus too short, ...) */
  | 'config'
  /** a corpus that cannot be had */
  | 'corpus'
  /** the local store cannot be read or written (not a directory, read-only, full, damaged) */
  | 'store'
  /** a tracking URI or setting that cannot work, or a server that refused the credentials */
  | 'tracking'
  /** the server accepted the credentials but rejected data during the sweep */
  | 'server-rejected';

export const EXIT = {
  /** every trial finished (or was reused) and every run is recorded */
  ok: 0,
  /** a trial failed, or the tracking server rejected data mid-sweep */
  failed: 1,
  /** bad usage, config, corpus, store or tracking setup: nothing was trained */
  usage: 2,
  /** run-sweep itself has a bug */
  internal: 70,
  /** SIGINT (Ctrl-C) */
  interrupted: 130,
  /** SIGTERM or SIGHUP */
  terminated: 143,
} as const;

export const EXIT_CODE_OF: Record<ErrorKind, number> = {
  usage: EXIT.usage,
  config: EXIT.usage,
  corpus: EXIT.usage,
  store: EXIT.usage,
  tracking: EXIT.usage,
  'server-rejected': EXIT.failed,
};

export class RunSweepError extends Error {
  override name = 'RunSweepError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }

  get exitCode(): number {
    return EXIT_CODE_OF[this.kind];
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a path component is a file, not a directory',
  EISDIR: 'is a directory, not a file',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** The filesystem failures a user can cause or fix (disk full, permissions, a file where a directory should be). */
export function isUserFsError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in ERRNO_WORDS;
}

/** A filesystem error as one line naming the path: `cannot write runs/123/meta.yaml: no space left on the device (ENOSPC)`. */
export function fsError(err: NodeJS.ErrnoException, verb: string, fallbackPath?: string): RunSweepError {
  const where = err.path ?? fallbackPath ?? 'the store';
  const words = ERRNO_WORDS[err.code ?? ''] ?? err.message;
  return new RunSweepError('store', `cannot ${verb} ${where}: ${words} (${err.code})`);
}

/** Runs `work`; a user-caused filesystem error becomes a store RunSweepError naming the path. */
export function withFsErrors<T>(verb: string, work: () => T, fallbackPath?: string): T {
  try {
    return work();
  } catch (err) {
    if (isUserFsError(err)) throw fsError(err, verb, fallbackPath);
    throw err;
  }
}

/** The one line printed for a bug; the stack only with RUN_SWEEP_DEBUG=1. */
export function describeInternalError(err: unknown, env: NodeJS.ProcessEnv): string {
  const e = err instanceof Error ? err : new Error(String(err));
  if (env.RUN_SWEEP_DEBUG === '1') return `run-sweep: internal error: ${e.stack ?? e.message}`;
  return (
    `run-sweep: internal error: ${e.message.split('\n')[0]}\n` +
    'This is a bug in run-sweep. Run again with RUN_SWEEP_DEBUG=1 for the stack trace, and report it with that output.'
  );
}
