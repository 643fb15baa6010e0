// The sweep's lifecycle on the main thread: find what is already done, train the rest on a worker
// pool, and record every event as it arrives, so that a crash or Ctrl-C loses nothing measured.
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { stringify } from 'yaml';
import type { ExperimentConfig } from '../config/types.js';
import { flattenConfig } from '../config/paths.js';
import type { Trial } from '../plan/expand.js';
import type { TrainEvent, TrainResult } from '../train/events.js';
import type { RunRef, Tracker } from '../track/tracker.js';
import type { TrialMessage, TrialOutcome, TrialTask } from './messages.js';
import { bestReport, type SweepEvent, type TrialReport } from './progress.js';
import { TrialRecorder } from './recorder.js';
import { sourceTags } from './run-context.js';

export interface SweepOptions {
  config: ExperimentConfig;
  /** the experiment file, for the runs' source tag */
  file: string;
  /** where relative corpus paths are resolved */
  baseDir: string;
  trials: Trial[];
  tracker: Tracker;
  workers: number;
  /** train trials again even if a finished run exists */
  rerun: boolean;
  /** aborting (Ctrl-C) stops the workers; their runs are marked KILLED */
  signal?: AbortSignal;
  onEvent: (event: SweepEvent) => void;
  /** extra params for every run (package version, ...) */
  params?: Record<string, string>;
}

export interface SweepResult {
  parentRunId: string;
  reports: TrialReport[];
}

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const { config, tracker, trials, onEvent } = options;
  const experimentName = config.tracking.experiment ?? config.name;
  const experimentId = await tracker.experiment(experimentName);
  onEvent({ type: 'tracking', location: tracker.location, experimentId });

  const reaped = await tracker.reapAbandoned(experimentId);
  if (reaped.length > 0) onEvent({ type: 'reaped', count: reaped.length });

  const finished = options.rerun
    ? new Map()
    : await tracker.finishedTrials(experimentId, trials.map((t) => t.id));
  const reports: TrialReport[] = [];
  for (const trial of trials) {
    const done = finished.get(trial.id);
    if (!done) continue;
    reports.push({
      trial,
      status: 'reused',
      runId: done.run.runId,
      trainPerplexity: done.metrics.train_perplexity ?? NaN,
      valPerplexity: done.metrics.val_perplexity ?? NaN,
      tokensPerSecond: done.metrics.tokens_per_second ?? NaN,
      wallSeconds: NaN,
      samples: [],
    });
    onEvent({ type: 'reused', trial });
  }

  const tags = sourceTags(options.file);
  const startTime = Date.now();
  const parentName = `${config.name} ${new Date(startTime).toISOString().slice(0, 19).replace('T', ' ')}`;
  const { sweep, ...base } = config;
  const parent = await tracker.createRun(experimentId, {
    runName: parentName,
    startTime,
    tags: { ...tags, 'mlflow.runName': parentName, 'run_sweep.role': 'sweep' },
    params: {
      ...flattenConfig(base),
      'sweep.grid': JSON.stringify(sweep.grid),
      'sweep.seeds': JSON.stringify(sweep.seeds),
      'sweep.trials': String(trials.length),
      ...options.params,
    },
  });

  const pending = trials.filter((t) => !finished.has(t.id));
  const pool = new Piscina<TrialTask, TrialOutcome>({
    filename: new URL('./worker.js', import.meta.url).href,
    minThreads: Math.min(options.workers, Math.max(pending.length, 1)),
    maxThreads: options.workers,
  });
  try {
    // One loop per worker, each taking the next trial when its last one ends: a trial's run is
    // created when it starts training, not while it waits in a queue.
    const queue = [...pending];
    const worker = async (): Promise<void> => {
      for (let trial = queue.shift(); trial !== undefined; trial = queue.shift()) {
        reports.push(await runTrial(trial, parent, experimentId, tags, pool, options));
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.workers, pending.length) }, worker));
  } finally {
    await pool.destroy();
  }

  const interrupted = options.signal?.aborted ?? false;
  const failed = reports.some((r) => r.status === 'failed');
  const best = bestReport(reports);
  if (best) {
    await tracker.logMetrics(parent, [
      { key: 'best_train_perplexity', value: best.trainPerplexity, step: 0, timestamp: Date.now() },
      { key: 'best_val_perplexity', value: best.valPerplexity, step: 0, timestamp: Date.now() },
    ]);
    await tracker.setTags(parent, { 'run_sweep.best_trial_id': best.trial.id });
  }
  await tracker.endRun(parent, interrupted ? 'KILLED' : failed ? 'FAILED' : 'FINISHED', Date.now());
  return { parentRunId: parent.runId, reports: order(reports, trials) };
}

async function runTrial(
  trial: Trial,
  parent: RunRef,
  experimentId: string,
  tags: Record<string, string>,
  pool: Piscina<TrialTask, TrialOutcome>,
  options: SweepOptions,
): Promise<TrialReport> {
  const { tracker, onEvent, signal } = options;
  const started = Date.now();
  const killedBeforeStart = (): TrialReport => report(trial, 'killed', null, started);
  if (signal?.aborted) return killedBeforeStart();

  const run = await tracker.createRun(experimentId, {
    runName: trial.label,
    startTime: started,
    parent,
    tags: {
      ...tags,
      'mlflow.runName': trial.label,
      'mlflow.parentRunId': parent.runId,
      'run_sweep.trial_id': trial.id,
      ...(trial.config.model.bidirectional ? { 'run_sweep.sees_future': 'true' } : {}),
    },
    params: { ...flattenConfig(trial.config), ...options.params },
  });
  const recorder = new TrialRecorder(tracker, run);
  recorder.artifact('config.yaml', stringify(trial.config));

  const channel = new MessageChannel();
  let drain: () => void = () => {};
  const drained = new Promise<void>((resolve) => (drain = resolve));
  channel.port1.on('message', (message: TrialMessage) => {
    if (message.type === 'end') return drain();
    recorder.record(message);
    progress(trial, message, onEvent);
  });
  onEvent({ type: 'trial-start', trial });

  const task: TrialTask = { trialId: trial.id, config: trial.config, baseDir: options.baseDir, events: channel.port2 };
  let outcome: { result: TrainResult } | { error: Error } | { killed: true };
  try {
    outcome = { result: await pool.run(task, { transferList: [channel.port2], signal }) };
  } catch (err) {
    outcome = signal?.aborted ? { killed: true } : { error: asError(err) };
  }
  // A worker that was terminated (Ctrl-C) sends no `end`; one that finished or threw always does.
  if (!('killed' in outcome)) await drained;
  channel.port1.close();

  let trackingError: unknown;
  await recorder.finish(outcome).catch((err: unknown) => {
    trackingError = err;
  });
  const result = 'result' in outcome ? outcome.result : undefined;
  const status = result ? 'finished' : 'error' in outcome ? 'failed' : 'killed';
  const done = report(trial, status, run.runId, started, result);
  if ('error' in outcome) done.error = outcome.error.message;
  if (trackingError !== undefined) {
    onEvent({ type: 'warning', message: `trial ${trial.id}: recording failed: ${asError(trackingError).message}` });
  }
  onEvent({ type: 'trial-end', report: done });
  return done;
}

function progress(trial: Trial, message: TrainEvent, onEvent: (e: SweepEvent) => void): void {
  if (message.type === 'epoch') onEvent({ type: 'trial-epoch', trial, epoch: message, epochs: trial.config.train.epochs });
}

function report(
  trial: Trial,
  status: TrialReport['status'],
  runId: string | null,
  started: number,
  result?: TrainResult,
): TrialReport {
  return {
    trial,
    status,
    runId,
    trainPerplexity: result?.trainPerplexity ?? NaN,
    valPerplexity: result?.valPerplexity ?? NaN,
    tokensPerSecond: result?.tokensPerSecond ?? NaN,
    wallSeconds: (Date.now() - started) / 1000,
    samples: result?.samples ?? [],
  };
}

function order(reports: TrialReport[], trials: Trial[]): TrialReport[] {
  const index = new Map(trials.map((t, i) => [t.id, i]));
  return [...reports].sort((a, b) => (index.get(a.trial.id) ?? 0) - (index.get(b.trial.id) ?? 0));
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
