// argv → a command and its options. Nothing here touches files or trains anything. Each command
// accepts its own options only: an option another command takes is a usage error, never ignored.
import { parseArgs } from 'node:util';
import { RunSweepError } from '../errors.js';

export const USAGE = `usage:
  run-sweep <experiment.yaml> [--workers N] [--set path=value]... [--only path=value]... [--dry-run] [--rerun]
            [--tracking-uri URI] [--quiet | --json] [--per-trial]
  run-sweep check <experiment.yaml> --baseline FILE|mlflow:EXPERIMENT [--update-baseline] [--allow-missing]
            [--allow-new] [--allow-data-change] [--junit FILE] [--markdown FILE] [run options]
  run-sweep report [<experiment.yaml> | --experiment NAME] [--tracking-uri URI] --out report.html
  run-sweep validate <experiment.yaml>...
  run-sweep sync [--from DIR] [--to URI]
  run-sweep submit <experiment.yaml> --queue redis://HOST:PORT[/DB] [--detach] [--lock-ms MS] [--set path=value]...
            [--only path=value]... [--dry-run] [--tracking-uri URI] [--quiet | --json]
  run-sweep worker --queue redis://HOST:PORT[/DB] [--workers N] [--tracking-uri URI] [--lock-ms MS] [--quiet]
  run-sweep status --queue redis://HOST:PORT[/DB] [<experiment>] [--json]
  run-sweep cancel <experiment> --queue redis://HOST:PORT[/DB]
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
  --per-trial         the summary's rows are trials, not configurations (seeds grouped)
  --baseline B        check: a baseline file, or mlflow:EXPERIMENT for the last finished sweep in the store
  --update-baseline   check: write the baseline from this sweep instead of comparing
  --allow-missing     check: configurations in the baseline but not in this sweep do not fail
  --allow-new         check: configurations in this sweep but not in the baseline do not fail
  --allow-data-change check: compare with a baseline made on another corpus
  --junit FILE        check: also write JUnit XML (one test case per configuration and metric)
  --markdown FILE     check: also write the verdict table as Markdown (for a pull-request comment)
  --experiment NAME   report: the MLflow experiment to report on, without an experiment file
  --out FILE          report: the HTML file to write
  --from DIR          sync: the local store to upload (default ./runs)
  --to URI            sync: the MLflow server (default $MLFLOW_TRACKING_URI)
  --queue URL         submit, worker, status, cancel: the Redis that holds the work in flight
  --detach            submit: return once the trials are queued
  --lock-ms MS        submit, worker: the job lock and stalled check (default $RUN_SWEEP_QUEUE_LOCK_MS, else 60000)

exit codes: 0 all trials finished (check: no regression), 1 a trial failed, the server rejected data
or (check) a regression, 2 bad usage, config, corpus, store, tracking setup or baseline (nothing
trained), 70 internal error, 130 SIGINT, 143 SIGTERM or SIGHUP`;

export class UsageError extends RunSweepError {
  constructor(message: string) {
    super('usage', message);
  }
}

// What argv parses into: every command's options, typed beside the commands (src/commands/command.ts).
import type { Command, RunOptions } from '../commands/command.js';
export type { Command, OutputMode, RunOptions } from '../commands/command.js';

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

const RUN_OPTIONS: Record<string, OptionSpec> = {
  workers: { type: 'string' },
  set: { type: 'string', multiple: true },
  only: { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  rerun: { type: 'boolean' },
  'tracking-uri': { type: 'string' },
  'per-trial': { type: 'boolean' },
};

/** Each command's options (beyond --help and --version, which every command takes). */
const OPTIONS: Record<string, Record<string, OptionSpec>> = {
  run: RUN_OPTIONS,
  check: {
    ...RUN_OPTIONS,
    baseline: { type: 'string' },
    'update-baseline': { type: 'boolean' },
    'allow-missing': { type: 'boolean' },
    'allow-new': { type: 'boolean' },
    'allow-data-change': { type: 'boolean' },
    junit: { type: 'string' },
    markdown: { type: 'string' },
  },
  report: { experiment: { type: 'string' }, 'tracking-uri': { type: 'string' }, out: { type: 'string' } },
  validate: {},
  sync: { from: { type: 'string' }, to: { type: 'string' } },
  schema: {},
  // Workers are the worker processes' business, and the tracking store decides what is finished.
  submit: { ...without(RUN_OPTIONS, 'workers', 'rerun', 'per-trial'), queue: { type: 'string' }, detach: { type: 'boolean' }, 'lock-ms': { type: 'string' } },
  worker: { queue: { type: 'string' }, workers: { type: 'string' }, 'tracking-uri': { type: 'string' }, 'lock-ms': { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
  status: { queue: { type: 'string' }, json: { type: 'boolean' } },
  cancel: { queue: { type: 'string' } },
};

function without(options: Record<string, OptionSpec>, ...names: string[]): Record<string, OptionSpec> {
  return Object.fromEntries(Object.entries(options).filter(([k]) => !names.includes(k)));
}

const SUBCOMMANDS = new Set(Object.keys(OPTIONS).filter((k) => k !== 'run'));

export function parseCommand(argv: string[]): Command {
  // The command is the first positional; a file named like a command can be run as ./check.
  const first = argv.find((a) => !a.startsWith('-'));
  const command = first !== undefined && SUBCOMMANDS.has(first) ? first : 'run';
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' }, ...OPTIONS[command] },
    });
  } catch (err) {
    const message = (err as Error).message;
    throw new UsageError(command === 'run' ? message : `${command}: ${message}`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const positionals = command === 'run' ? parsed.positionals : parsed.positionals.slice(1);
  const str = (name: string): string | null => (values[name] as string | undefined) ?? null;
  const flag = (name: string): boolean => (values[name] as boolean | undefined) ?? false;
  const required = (name: string): string => {
    const v = str(name);
    if (v === null || v === '') throw new UsageError(`${command} needs --${name}`);
    return v;
  };
  const one = (what: string): string => {
    if (positionals.length === 0) throw new UsageError(command === 'run' ? 'no experiment file given' : `${command} needs an ${what}`);
    if (positionals.length > 1) throw new UsageError(`${command === 'run' ? '' : `${command}: `}one ${what} at a time (got ${positionals.join(', ')})`);
    return positionals[0]!;
  };
  const lockMs = (): number | null => (values['lock-ms'] === undefined ? null : positiveInteger('--lock-ms', values['lock-ms'] as string));
  const run = (): RunOptions => {
    if (values.quiet && values.json) throw new UsageError('--quiet and --json cannot be used together');
    return {
      file: one('experiment file'),
      workers: values.workers === undefined ? null : positiveInteger('--workers', values.workers as string),
      set: (values.set as string[] | undefined) ?? [],
      only: (values.only as string[] | undefined) ?? [],
      output: values.json ? 'json' : values.quiet ? 'quiet' : 'auto',
      dryRun: flag('dry-run'),
      rerun: flag('rerun'),
      trackingUri: str('tracking-uri'),
      perTrial: flag('per-trial'),
    };
  };

  switch (command) {
    case 'validate':
      if (positionals.length === 0) throw new UsageError('validate needs at least one experiment file');
      return { kind: 'validate', files: positionals };
    case 'sync':
      if (positionals.length > 0) throw new UsageError(`sync takes no file arguments (got ${positionals.join(' ')})`);
      return { kind: 'sync', from: str('from') ?? 'runs', to: str('to') };
    case 'schema': {
      const which = positionals[0] ?? 'experiment';
      if (positionals.length > 1 || (which !== 'experiment' && which !== 'events')) {
        throw new UsageError(`schema takes 'experiment' (the default) or 'events' (got ${positionals.join(' ')})`);
      }
      return { kind: 'schema', which };
    }
    case 'check':
      return {
        kind: 'check',
        ...run(),
        baseline: required('baseline'),
        updateBaseline: flag('update-baseline'),
        allowMissing: flag('allow-missing'),
        allowNew: flag('allow-new'),
        allowDataChange: flag('allow-data-change'),
        junit: str('junit'),
        markdown: str('markdown'),
      };
    case 'report': {
      if (positionals.length > 1) throw new UsageError(`report: one experiment file at a time (got ${positionals.join(', ')})`);
      const file = positionals[0] ?? null;
      if (file === null && str('experiment') === null) throw new UsageError('report needs an experiment file or --experiment NAME');
      return { kind: 'report', file, experiment: str('experiment'), trackingUri: str('tracking-uri'), out: required('out') };
    }
    case 'submit':
      return { kind: 'submit', ...run(), queue: required('queue'), detach: flag('detach'), lockMs: lockMs() };
    case 'worker':
      if (positionals.length > 0) throw new UsageError(`worker takes no file arguments (got ${positionals.join(' ')})`);
      return {
        kind: 'worker',
        queue: required('queue'),
        workers: values.workers === undefined ? null : positiveInteger('--workers', values.workers as string),
        trackingUri: str('tracking-uri'),
        lockMs: lockMs(),
        quiet: flag('quiet'),
      };
    case 'status':
      if (positionals.length > 1) throw new UsageError(`status takes at most one experiment name (got ${positionals.join(' ')})`);
      return { kind: 'status', queue: required('queue'), experiment: positionals[0] ?? null, json: flag('json') };
    case 'cancel':
      return { kind: 'cancel', queue: required('queue'), experiment: one('experiment name') };
    default:
      return { kind: 'run', ...run() };
  }
}

function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer (got '${text}')`);
  return n;
}
