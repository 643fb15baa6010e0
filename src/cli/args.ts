// argv → a command and its options. Nothing here touches files or trains anything.
import { parseArgs } from 'node:util';

export const USAGE = `usage:
  run-sweep <experiment.yaml> [--workers N] [--set path=value]... [--dry-run] [--rerun] [--tracking-uri URI]
  run-sweep validate <experiment.yaml>...
  run-sweep sync [--from DIR] [--to URI]
  run-sweep --help | --version

options:
  --workers N         trials trained at once (default: sweep.workers, else the machine's parallelism)
  --set path=value    override a config value, e.g. --set train.epochs=2 (repeatable)
  --dry-run           print the trials and exit without training
  --rerun             train trials again even where a finished run exists
  --tracking-uri URI  a directory, file: URI or http(s):// MLflow server
                      (default: tracking.uri, then $MLFLOW_TRACKING_URI, then ./runs)
  --from DIR          sync: the local store to upload (default ./runs)
  --to URI            sync: the MLflow server (default $MLFLOW_TRACKING_URI)`;

export class UsageError extends Error {}

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'validate'; files: string[] }
  | { kind: 'sync'; from: string; to: string | null }
  | {
      kind: 'run';
      file: string;
      workers: number | null;
      set: string[];
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
  if (rest.length > 0) throw new UsageError(`one experiment file at a time (got ${positionals.join(', ')})`);
  return {
    kind: 'run',
    file: first,
    workers: values.workers === undefined ? null : positiveInteger('--workers', values.workers),
    set: values.set ?? [],
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
