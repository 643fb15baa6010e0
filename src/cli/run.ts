// `run-sweep <experiment.yaml>`: config → trials → (corpora fetched) → sweep → summary.
import { availableParallelism } from 'node:os';
import { loadExperiment } from '../config/load.js';
import { corpusIdentity } from '../plan/corpus-identity.js';
import { expandTrials } from '../plan/expand.js';
import { printSweepEvent } from '../report/console.js';
import { formatSummary, formatTrialPlan } from '../report/summary.js';
import { runSweep } from '../scheduler/sweep.js';
import { loadCorpusText } from '../train/corpus.js';
import { openTracker } from '../track/open.js';
import type { Command } from './args.js';
import { packageVersion, type Io } from './io.js';

export async function runCommand(command: Extract<Command, { kind: 'run' }>, io: Io): Promise<number> {
  const { config, file, dir } = loadExperiment(command.file, { set: command.set });
  const trials = expandTrials(config, { corpusIdentity: corpusIdentity(dir) });
  const points = trials.length / (config.sweep.seeds?.length ?? 1);
  io.out(`${config.name}: ${trials.length} trial(s)` + (config.sweep.seeds ? ` (${points} grid point(s) × ${config.sweep.seeds.length} seed(s))` : ''));
  if (command.dryRun) {
    io.out(formatTrialPlan(trials));
    return 0;
  }

  // Fetch every corpus once, here, before any run is created: a missing or corrupt corpus is a
  // usage error that must leave no failed runs behind, and workers then read it from the cache.
  for (const corpus of new Set(trials.map((t) => t.config.data.corpus))) await loadCorpusText(corpus, dir);

  const uri = command.trackingUri ?? config.tracking.uri ?? (io.env.MLFLOW_TRACKING_URI || null);
  const tracker = openTracker(uri, io.cwd, {
    onRemoteFailure: (err: unknown) =>
      io.err(`warning: the tracking server failed (${err instanceof Error ? err.message : String(err)}); runs go on in the local store — upload them later with \`run-sweep sync\``),
  });
  const workers = command.workers ?? config.sweep.workers ?? availableParallelism();

  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130); // a second Ctrl-C: stop waiting for the store
    io.err('\ninterrupted: stopping the workers and marking their runs KILLED (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const { reports } = await runSweep({
      config,
      file,
      baseDir: dir,
      trials,
      tracker,
      workers,
      rerun: command.rerun,
      signal: abort.signal,
      params: { 'run_sweep.version': packageVersion() },
      onEvent: (event) => printSweepEvent(event, event.type === 'warning' ? io.err : io.out),
    });
    io.out('');
    io.out(formatSummary(reports));
    if (abort.signal.aborted) {
      io.err('interrupted: run the same command again to finish the remaining trials');
      return 130;
    }
    return reports.some((r) => r.status === 'failed' || r.recordingError !== undefined) ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
