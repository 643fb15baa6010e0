// `run-sweep sync`: upload the runs of a local store that a tracking server lacks.
import { EXIT, RunSweepError } from '../errors.js';
import { redactUri } from '../track/secrets.js';
import { syncStore } from '../track/sync.js';
import type { Command } from './command.js';
import type { Io } from './io.js';

/** A foreground upload: a few quick tries per request, so a hung server is reported in seconds, not minutes. */
const SYNC_RETRY = { attempts: 3, baseDelayMs: 500, maxDelayMs: 4_000 };
const SYNC_TIMEOUT_MS = 15_000;

export async function syncCommand(command: Extract<Command, { kind: 'sync' }>, io: Io): Promise<number> {
  const to = command.to ?? (io.env.MLFLOW_TRACKING_URI || null);
  if (to === null || !/^https?:\/\//i.test(to)) {
    throw new RunSweepError('usage', `sync needs an http(s):// MLflow server: pass --to URI or set MLFLOW_TRACKING_URI (got ${to === null ? 'nothing' : redactUri(to)})`);
  }
  const { uploaded, updated, unchanged } = await syncStore(command.from, to, {
    cwd: io.cwd, env: io.env, retry: SYNC_RETRY, timeoutMs: SYNC_TIMEOUT_MS, onRun: (line) => io.out(line),
  });
  io.out(`synced ${command.from} to ${redactUri(to)}: ${uploaded} run(s) uploaded, ${updated} updated, ${unchanged} unchanged`);
  return EXIT.ok;
}
