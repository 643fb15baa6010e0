// argv → a command and its options. Nothing here touches files or trains anything.
import { parseArgs } from 'node:util';
import { RunSweepError } from '../errors.js';

export const USAGE = `usage:
  run-sweep <experiment.yaml> [--workers N] [--set path=value]... [--only path=value]... [--dry-run] [--rerun]
            [--tracking-uri URI] [--quiet | --json]
  run-sweep validate <experiment.yaml>...
  run-sweep sync [--from DIR] [--to URI]
  run-sweep schema [experiment | events]
  run-sweep --help | --version

options:
  --workers N         trials trained at once (default: sweep.workers, else the machine's parallelism)
  --set path=value    override a config value, e.g. --set train.epochs=2 (repeatable)
  --only path=value   run only the grid points with this value, e.g. --only model.cell=gru (repeatable)
  --dry-run           print the trials and exit without training
  --rerun             train trials again even where a finished run exists
  --tracking-uri URI  a directory, file: URI or http(s):// MLflow server
                      (default: tracking.uri, then $MLFLOW_TRACKING_URI, then ./runs)
  --quiet             print only the summary (and warnings)
  --json              newline-delimited JSON events on stdout (schemas/events.schema.json), text on stderr
  --from DIR          sync: the local store to upload (default ./runs)
  --to URI            sync: the MLflow server (default $MLFLOW_TRACKING_URI)

exit codes: 0 all trials finished, 1 a trial failed or the server rejected data, 2 bad usage, config,
corpus, store or tracking setup (nothing trained), 70 internal error, 130 SIGINT, 143 SIGTERM or SIGHUP`;

export class UsageError extends RunSweepError {
  constructor(message: string) {
    super('usage', message);
  }
}

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'validate'; files: string[] }
  | { kind: 'sync'; from: string; to: string | null }
  | { kind: 'schema'; which: 'experiment' | 'events' }
  | {
      kind: 'run';
      file: string;
      workers: number | null;
      set: string[];
      only: string[];
      output: 'auto' | 'quiet' | 'json';
      dryRun: boolean;
      rerun: boolean;
      trackingUri: string | null;
    };

export function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        workers: { type: 'string' },
        set: { type: 'string', multiple: true },
        only: { type: 'string', multiple: true },
        quiet: { type: 'boolean', short: 'q' },
        json: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        rerun: { type: 'boolean' },
        'tracking-uri': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const [first, ...rest] = positionals;
  if (first === undefined) throw new UsageError('no experiment file given');
  if (first === 'validate') {
    if (rest.length === 0) throw new UsageError('validate needs at least one experiment file');
    return { kind: 'validate', files: rest };
  }
  if (first === 'sync') {
    if (rest.length > 0) throw new UsageError(`sync takes no file arguments (got ${rest.join(' ')})`);
    return { kind: 'sync', from: values.from ?? 'runs', to: values.to ?? null };
  }
  if (first === 'schema') {
    const which = rest[0] ?? 'experiment';
    if (rest.length > 1 || (which !== 'experiment' && which !== 'events')) throw new UsageError(`schema takes 'experiment' (the default) or 'events' (got ${rest.join(' ')})`);
    return { kind: 'schema', which };
  }
  if (rest.length > 0) throw new UsageError(`one experiment file at a time (got ${positionals.join(', ')})`);
  if (values.quiet && values.json) throw new UsageError('--quiet and --json cannot be used together');
  return {
    kind: 'run',
    file: first,
    workers: values.workers === undefined ? null : positiveInteger('--workers', values.workers),
    set: values.set ?? [],
    only: values.only ?? [],
    output: values.json ? 'json' : values.quiet ? 'quiet' : 'auto',
    dryRun: values['dry-run'] ?? false,
    rerun: values.rerun ?? false,
    trackingUri: values['tracking-uri'] ?? null,
  };
}

function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer (got '${text}')`);
  return n;
}
