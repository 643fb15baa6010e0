// The sweep's lifecycle on the main thread: find what is already done, train the rest on a worker
// pool, and record every event as it arrives, so that a crash or Ctrl-C loses nothing measured.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { stringify } from 'yaml';
import type { ExperimentConfig } from '../config/types.js';
import { flattenConfig } from '../config/paths.js';
import type { Trial } from '../plan/expand.js';
import type { TrainResult } from '../train/events.js';
import { tensorflowInstalled } from '../train/tensorflow-packages.js';
import { validateEntries } from '../track/keys.js';
import type { NewRun, RunRef, Tracker } from '../track/tracker.js';
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

type Pool = Piscina<TrialTask, TrialOutcome>;
type Outcome = { result: TrainResult } | { error: Error } | { killed: true };

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const { config, tracker, trials, onEvent } = options;
  const tags = sourceTags(options.file);
  const parentSpec = parentRun(options, tags);
  const trialSpecs = new Map(trials.map((t) => [t.id, trialRun(t, tags, options.params)]));
  // MLflow refuses over-long values; finding one after half the runs exist would leave a broken sweep.
  for (const spec of [parentSpec, ...trialSpecs.values()]) {
    validateEntries('param', spec.params);
    validateEntries('tag', spec.tags);
  }

  const experimentId = await tracker.experiment(config.tracking.experiment ?? config.name);
  onEvent({ type: 'tracking', location: tracker.location, experimentId });
  const reaped = await tracker.reapAbandoned(experimentId);
  if (reaped.length > 0) onEvent({ type: 'reaped', count: reaped.length });

  const finished = options.rerun ? new Map() : await tracker.finishedTrials(experimentId, trials.map((t) => t.id));
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

  const parent = await tracker.createRun(experimentId, { ...parentSpec, startTime: Date.now() });
  try {
    const pending = trials.filter((t) => !finished.has(t.id));
    if (pending.length > 0) reports.push(...(await trainAll(pending, parent, experimentId, trialSpecs, options)));
  } catch (err) {
    await tracker.endRun(parent, 'FAILED', Date.now()).catch(() => undefined);
    throw err;
  }

  const best = bestReport(reports);
  if (best) {
    const timestamp = Date.now();
    await tracker.logMetrics(parent, [
      { key: 'best_train_perplexity', value: best.trainPerplexity, step: 0, timestamp },
      { key: 'best_val_perplexity', value: best.valPerplexity, step: 0, timestamp },
    ]);
    await tracker.setTags(parent, { 'run_sweep.best_trial_id': best.trial.id });
  }
  const failed = reports.some((r) => r.status === 'failed' || r.recordingError !== undefined);
  await tracker.endRun(parent, options.signal?.aborted ? 'KILLED' : failed ? 'FAILED' : 'FINISHED', Date.now());
  return { parentRunId: parent.runId, reports: order(reports, trials) };
}

/** One loop per worker, each taking the next trial when its last one ends, so a trial's run is created when it starts training rather than while it waits. */
async function trainAll(
  pending: Trial[],
  parent: RunRef,
  experimentId: string,
  specs: Map<string, Omit<NewRun, 'startTime'>>,
  options: SweepOptions,
): Promise<TrialReport[]> {
  const wanted = Math.min(options.workers, pending.length);
  const workers = oneAtATime(pending) ? 1 : wanted;
  if (workers < wanted) {
    options.onEvent({ type: 'warning', message: 'tfjs-node breaks when several worker threads load it (tfjs #8388): trials that may use it run one at a time' });
  }
  const pool: Pool = new Piscina({ filename: new URL('./worker.js', import.meta.url).href, minThreads: workers, maxThreads: workers });
  // A worker that dies outside a task (it failed to load, say) must not take the sweep down with it.
  pool.on('error', (err: unknown) => options.onEvent({ type: 'warning', message: `a worker thread died: ${asError(err).message}` }));
  const queue = [...pending];
  const reports: TrialReport[] = [];
  const loop = async (): Promise<void> => {
    for (let trial = queue.shift(); trial !== undefined; trial = queue.shift()) {
      const spec = { ...specs.get(trial.id)!, parent, startTime: Date.now() };
      reports.push(await trainOne(trial, spec, experimentId, pool, options));
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, loop));
  } finally {
    await pool.destroy();
  }
  return reports;
}

/** Trials that may train on tfjs-node: it cannot be loaded by more than one thread of a process. */
function oneAtATime(trials: Trial[]): boolean {
  const backends = new Set(trials.map((t) => t.config.engine.backend));
  return backends.has('tensorflow') || (backends.has('auto') && tensorflowInstalled());
}

async function trainOne(trial: Trial, spec: NewRun, experimentId: string, pool: Pool, options: SweepOptions): Promise<TrialReport> {
  const { tracker, onEvent, signal } = options;
  const started = spec.startTime;
  if (signal?.aborted) return report(trial, 'killed', null, started);

  let run: RunRef;
  try {
    run = await tracker.createRun(experimentId, spec);
  } catch (err) {
    const failed = { ...report(trial, 'failed', null, started), error: `could not record the run: ${asError(err).message}` };
    onEvent({ type: 'trial-end', report: failed });
    return failed;
  }
  const recorder = new TrialRecorder(tracker, run);
  recorder.artifact('config.yaml', stringify(trial.config));

  const channel = new MessageChannel();
  let ended: () => void = () => {};
  const endReceived = new Promise<void>((resolve) => (ended = resolve));
  const handle = (message: TrialMessage): void => {
    if (message.type === 'end') return ended();
    recorder.record(message);
    if (message.type === 'warning') onEvent({ type: 'warning', message: `trial ${trial.id} (${trial.label}): ${message.message}` });
    if (message.type === 'epoch') onEvent({ type: 'trial-epoch', trial, epoch: message, epochs: trial.config.train.epochs });
    if (message.type === 'progress') onEvent({ type: 'trial-progress', trial, progress: message, epochs: trial.config.train.epochs });
  };
  channel.port1.on('message', handle);
  onEvent({ type: 'trial-start', trial });

  const task: TrialTask = { trialId: trial.id, config: trial.config, baseDir: options.baseDir, events: channel.port2 };
  let outcome: Outcome;
  try {
    outcome = { result: await pool.run(task, { transferList: [channel.port2], signal }) };
    await endReceived; // the worker is alive and its `end` follows every event it posted
  } catch (err) {
    outcome = signal?.aborted ? { killed: true } : { error: asError(err) };
  }
  // A failed, killed or crashed worker may never send `end`: take what it did post, in order.
  drainPort(channel.port1, handle);
  channel.port1.close();

  const done = report(trial, 'result' in outcome ? 'finished' : 'error' in outcome ? 'failed' : 'killed', run.runId, started, outcome);
  await recorder.finish(outcome).catch((err: unknown) => {
    done.recordingError = asError(err).message;
    onEvent({ type: 'warning', message: `trial ${trial.id}: recording its run failed: ${done.recordingError}` });
  });
  onEvent({ type: 'trial-end', report: done });
  return done;
}

function drainPort(port: MessagePort, handle: (message: TrialMessage) => void): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) handle(m.message as TrialMessage);
}

function parentRun(options: SweepOptions, tags: Record<string, string>): Omit<NewRun, 'startTime'> {
  const { sweep, ...base } = options.config;
  const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ');
  return {
    runName: `${options.config.name} ${stamp} UTC`,
    tags: { ...tags, 'run_sweep.role': 'sweep' },
    params: {
      ...flattenConfig(base),
      'sweep.grid': JSON.stringify(sweep.grid),
      'sweep.seeds': JSON.stringify(sweep.seeds),
      'sweep.trials': String(options.trials.length),
      ...options.params,
    },
  };
}

function trialRun(trial: Trial, tags: Record<string, string>, params: Record<string, string> = {}): Omit<NewRun, 'startTime'> {
  return {
    runName: trial.label,
    tags: {
      ...tags,
      'run_sweep.trial_id': trial.id,
      ...(trial.config.model.bidirectional ? { 'run_sweep.sees_future': 'true' } : {}),
    },
    params: { ...flattenConfig(trial.config), ...params },
  };
}

function report(trial: Trial, status: TrialReport['status'], runId: string | null, started: number, outcome?: Outcome): TrialReport {
  const result = outcome && 'result' in outcome ? outcome.result : undefined;
  return {
    trial,
    status,
    runId,
    trainPerplexity: result?.trainPerplexity ?? NaN,
    valPerplexity: result?.valPerplexity ?? NaN,
    tokensPerSecond: result?.tokensPerSecond ?? NaN,
    wallSeconds: (Date.now() - started) / 1000,
    samples: result?.samples ?? [],
    ...(outcome && 'error' in outcome ? { error: outcome.error.message } : {}),
  };
}

function order(reports: TrialReport[], trials: Trial[]): TrialReport[] {
  const index = new Map(trials.map((t, i) => [t.id, i]));
  return [...reports].sort((a, b) => (index.get(a.trial.id) ?? 0) - (index.get(b.trial.id) ?? 0));
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
