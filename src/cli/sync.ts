// `run-sweep sync`: upload the runs of a local store that a tracking server lacks.
import { syncStore } from '../track/sync.js';
import { UsageError, type Command } from './args.js';
import type { Io } from './io.js';

export async function syncCommand(command: Extract<Command, { kind: 'sync' }>, io: Io): Promise<number> {
  const to = command.to ?? (io.env.MLFLOW_TRACKING_URI || null);
  if (to === null || !/^https?:\/\//i.test(to)) {
    throw new UsageError(`sync needs an http(s):// MLflow server: pass --to URI or set MLFLOW_TRACKING_URI (got ${to ?? 'nothing'})`);
  }
  const { runsUploaded, runsSkipped } = await syncStore(command.from, to, { cwd: io.cwd, env: io.env, onRun: io.out });
  io.out(`synced ${command.from} to ${to}: ${runsUploaded} run(s) uploaded, ${runsSkipped} already there`);
  return 0;
}
