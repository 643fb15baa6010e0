// `run-sweep <experiment.yaml>`: config → trials → preflight → tracking → sweep → uploads → summary.
// The order is the contract: everything that can be known before training is checked before any
// run exists, and the local store is written before any server hears of anything.
import { availableParallelism } from 'node:os';
import { parseDuration } from '../config/duration.js';
import { EXIT, RunSweepError } from '../errors.js';
import { corpusIdentity } from '../plan/corpus-identity.js';
import { chooseReporterMode, createReporter } from '../report/reporter.js';
import { formatSummary, formatTrialPlan } from '../report/summary.js';
import type { ExperimentConfig } from '../config/types.js';
import type { SweepEvent, TrialReport } from '../scheduler/events.js';
import { runSweep, type StopReason } from '../scheduler/sweep.js';
import { openTracking } from '../track/tracking.js';
import { redactUri } from '../track/secrets.js';
import { SweepRecorder } from '../track/sweep-recorder.js';
import type { Command } from './command.js';
import { packageVersion, type Io } from './io.js';
import { checkBeforeTraining, planSweep, type PlannedSweep } from './plan-sweep.js';
import { onStopSignals, SIGNAL_EXIT, signalGate } from './signals.js';


export async function runCommand(command: Extract<Command, { kind: 'run' }>, io: Io): Promise<number> {
  return (await executeSweep(command, io)).exitCode;
}

/** What a sweep invocation ended with: for `run-sweep check`, which compares it with a baseline. */
export interface SweepOutcome {
  exitCode: number;
  /** one per trial of this invocation (after --only); empty for --dry-run */
  reports: TrialReport[];
  config: ExperimentConfig;
  /** the experiment file (absolute) and its directory */
  file: string;
  dir: string;
  /** the MLflow experiment the runs are in */
  experiment: string;
  /** where runs went, credentials removed */
  location: string;
}

/** Loads, checks, trains and records a sweep, printing as it goes; errors a user can cause are RunSweepErrors. */
export async function executeSweep(command: Extract<Command, { kind: 'run' }>, io: Io, plan: PlannedSweep = planSweep(command, io)): Promise<SweepOutcome> {
  const { config, file, dir, uri, all, trials } = plan;
  const points = all.length / (config.sweep.seeds?.length ?? 1);
  // Under --json stdout holds only events: human text goes to stderr.
  const say = command.output === 'json' ? io.err : io.out;
  say(`${config.name}: ${trials.length} trial(s)` +
    (trials.length < all.length ? ` of ${all.length} (--only)` : config.sweep.seeds ? ` (${points} grid point(s) × ${config.sweep.seeds.length} seed(s))` : ''));
  const experimentName = plan.experiment;
  const outcome = { config, file, dir, experiment: experimentName };
  if (command.dryRun) {
    say(formatTrialPlan(trials));
    return { ...outcome, exitCode: EXIT.ok, reports: [], location: '' };
  }
  const sizing = await checkBeforeTraining(plan);
  const mode = command.output === 'auto' ? chooseReporterMode({}, { isTTY: io.tty !== undefined }, io.env) : command.output;
  const reporter = createReporter(mode, io, { sizes: sizing });
  let tracking;
  try {
    tracking = await openTracking(uri, io.cwd, {
      env: io.env,
      requireServer: config.tracking.require_server,
      experimentName,
      onWarning: (message: string) => reporter.err(`warning: ${message}`),
    });
  } catch (err) {
    reporter.close();
    throw err;
  }
  const workers = command.workers ?? config.sweep.workers ?? availableParallelism();

  const stop = new AbortController();
  let stopped: StopReason | null = null;
  const gate = signalGate();
  const removeHandlers = onStopSignals((signal) => {
    const now = Date.now();
    const action = gate.receive(signal, now);
    if (action === 'duplicate') return;
    if (action === 'quit') {
      // Every file in the store is written whole, so it stays readable.
      reporter.close();
      io.err(`${signal} again: exiting at once; runs still RUNNING are marked KILLED by the next sweep`);
      process.exit(SIGNAL_EXIT[signal] ?? EXIT.terminated);
    }
    stopped = { signal, time: now };
    const what = signal === 'SIGINT' ? 'interrupted' : `terminated (${signal})`;
    reporter.err(`\n${what}: stopping the workers and marking their runs KILLED (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once)`);
    stop.abort(stopped);
    tracking.abandonUploads();
  });

  try {
    const recorder = new SweepRecorder({
      tracker: tracking.tracker,
      experiment: experimentName,
      config,
      file,
      trials,
      version: packageVersion(),
      isDegenerate: (id) => (sizing.get(id)?.unknownShare ?? 0) > 0.5,
      claim: tracking.claim,
    });
    recorder.check();
    await recorder.open();
    const { reports, storeFailure } = await runSweep({
      trials,
      baseDir: dir,
      sizing,
      ledger: recorder,
      workers,
      rerun: command.rerun,
      trialTimeoutMs: config.sweep.trial_timeout === null ? null : parseDuration(config.sweep.trial_timeout),
      maxMemoryMb: config.sweep.max_memory_mb,
      retries: config.sweep.retries,
      signal: stop.signal,
      experiment: experimentName,
      location: redactUri(tracking.tracker.location),
      onEvent: (event) => reporter.onEvent(event),
    });

    // The parent run is closed in the local store before any upload is waited for.
    const trainingExit = stopped !== null ? SIGNAL_EXIT[(stopped as StopReason).signal]! : storeFailure !== undefined ? exitOf(storeFailure) : reports.some(failed) ? EXIT.failed : EXIT.ok;
    const endTime = (stopped as StopReason | null)?.time ?? Date.now();
    const end = sweepEnd(reports, trainingExit, endTime, []);
    if (storeFailure === undefined) await recorder.record(end).catch((err: unknown) => reporter.err(`run-sweep: could not close the sweep's run: ${(err as Error).message}`));

    const uploads = await tracking.finishUploads(stopped !== null ? 0 : parseDuration(config.tracking.upload_timeout));
    // A signal during the wait for uploads stops them (onSignal abandons them) and is the exit code.
    const late = stopped as StopReason | null;
    const exitCode = late !== null ? SIGNAL_EXIT[late.signal]! : trainingExit === EXIT.ok && uploads.rejected.length > 0 ? EXIT.failed : trainingExit;
    reporter.onEvent(sweepEnd(reports, exitCode, end.time, uploads.problems));
    reporter.close();

    // After close(), reporter.out is stdout, or stderr under --json (stdout stays pure JSON).
    reporter.out('');
    reporter.out(formatSummary(reports, { perTrial: command.perTrial, corpusIdentity: corpusIdentity(dir) }));
    // The summary's last lines repeat every tracking problem: what CI logs show at the bottom.
    for (const line of uploads.lines) reporter.out(line);
    if (storeFailure !== undefined) reporter.err(`run-sweep: ${(storeFailure as Error).message}`);
    if (reports.some((r) => r.status === 'killed')) reporter.err('interrupted: run the same command again to finish the remaining trials');
    return { ...outcome, exitCode, reports, location: redactUri(tracking.tracker.location) };
  } finally {
    reporter.close();
    removeHandlers();
  }
}

function failed(r: TrialReport): boolean {
  return r.status === 'failed';
}

function exitOf(err: unknown): number {
  if (err instanceof RunSweepError) return err.exitCode;
  throw err;
}

function sweepEnd(reports: TrialReport[], exitCode: number, time: number, trackingProblems: string[]): Extract<SweepEvent, { type: 'sweep-end' }> {
  const count = (status: TrialReport['status']): number => reports.filter((r) => r.status === status).length;
  return {
    type: 'sweep-end',
    time,
    counts: { finished: count('finished'), failed: count('failed'), killed: count('killed'), reused: count('reused') },
    exitCode,
    trackingProblems,
  };
}
