// Every command's options, as src/cli/args.ts parses them from argv and each command here takes
// them: one discriminated union, so that the CLI's dispatch and the commands agree by type.

export type OutputMode = 'auto' | 'quiet' | 'json';

/** What every sweep-running command (run, check, submit) takes. */
export interface RunOptions {
  file: string;
  workers: number | null;
  set: string[];
  only: string[];
  output: OutputMode;
  dryRun: boolean;
  rerun: boolean;
  trackingUri: string | null;
  perTrial: boolean;
}

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'validate'; files: string[] }
  | { kind: 'sync'; from: string; to: string | null }
  | { kind: 'schema'; which: 'experiment' | 'events' }
  | ({ kind: 'run' } & RunOptions)
  | ({
      kind: 'check';
      baseline: string;
      updateBaseline: boolean;
      allowMissing: boolean;
      allowNew: boolean;
      allowDataChange: boolean;
      junit: string | null;
      markdown: string | null;
    } & RunOptions)
  | { kind: 'report'; file: string | null; experiment: string | null; trackingUri: string | null; out: string }
  | ({ kind: 'submit'; queue: string; detach: boolean; lockMs: number | null } & RunOptions)
  | { kind: 'worker'; queue: string; workers: number | null; trackingUri: string | null; lockMs: number | null; quiet: boolean }
  | { kind: 'status'; queue: string; experiment: string | null; json: boolean }
  | { kind: 'cancel'; queue: string; experiment: string };
