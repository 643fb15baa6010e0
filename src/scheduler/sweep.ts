// The sweep's lifecycle on the main thread: find what is already done, train the rest on a worker
// pool (longest first), enforce each trial's limits, retry infrastructure failures, and hand every
// event, stamped with its time, to the ledger (which records it) and to the view.
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Trial } from '../plan/expand.js';
import type { TrialSizing } from '../plan/preflight.js';
import { DEGENERATE_UNK_SHARE } from '../plan/preflight.js';
import { holdBlasToOneThread } from '../train/fast/blas.js';
import { tensorflowInstalled } from '../train/tensorflow-packages.js';
import type { TrainEvent, TrainResult } from '../train/events.js';
import { trialRef, type FailureReason, type SweepEvent, type TrialFigures, type TrialRef, type TrialReport } from './events.js';
import type { Claim, Ledger } from './ledger.js';
import type { StopRequest, TrialFailure, TrialMessage, TrialTask } from './messages.js';

/** Why the sweep was stopped, and when: runs end KILLED at that time, not when the store is next read. */
export interface StopReason {
  signal: NodeJS.Signals | 'error';
  time: number;
}

export interface SweepOptions {
  trials: Trial[];
  /** the experiment file's directory: relative corpus paths are resolved against it */
  baseDir: string;
  /** from preflight: cost for ordering, <unk> share for degenerate trials */
  sizing: Map<string, TrialSizing>;
  ledger: Ledger;
  workers: number;
  /** train trials again even if a finished run exists */
  rerun: boolean;
  trialTimeoutMs: number | null;
  /** each worker's V8 heap limit */
  maxMemoryMb: number | null;
  /** re-runs of a trial after an infrastructure failure (crash, out of memory) */
  retries: number;
  /** aborted with a StopReason: workers are stopped, their runs end KILLED */
  signal: AbortSignal;
  /** for the sweep-start event */
  experiment: string;
  location: string;
  /** the view: console, live, JSON */
  onEvent: (event: SweepEvent) => void;
  /** the worker module (tests substitute one that crashes or runs out of memory) */
  workerUrl?: URL;
  /**
   * A thread pool the caller owns and keeps (a queue worker trains one trial per job, and a new
   * pool per job would cost each trial a thread start and a tfjs load). Not destroyed here.
   */
  pool?: Piscina<TrialTask, void>;
  /** how often a trial claimed by another process is looked at again */
  claimPollMs?: number;
  /** how long a worker asked to stop has before it is terminated (default STOP_GRACE_MS) */
  stopGraceMs?: number;
  /** local copies of file corpora whose paths do not exist on this machine, by the corpus setting */
  corpusFiles?: Map<string, string>;
}

/**
 * A worker asked to stop ends at its next minibatch, milliseconds away; one that has not stopped
 * after this long is stuck (a hung download, a runaway kernel) and is terminated.
 */
export const STOP_GRACE_MS = 10_000;

export interface SweepResult {
  reports: TrialReport[];
  /** the first store failure, which stopped the sweep */
  storeFailure?: unknown;
}

type Pool = Piscina<TrialTask, void>;

/** How one attempt ended. */
type Ending =
  | { status: 'finished'; result: TrainResult }
  | { status: 'failed'; reason: FailureReason; message: string; stack?: string; infrastructure: boolean }
  | { status: 'killed' };

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const sweep = new Sweep(options);
  return sweep.run();
}

class Sweep {
  private readonly reports: TrialReport[] = [];
  private recording: Promise<void> = Promise.resolve();
  private storeFailure: unknown;
  /** stops training when the store fails, as a signal does */
  private readonly stop = new AbortController();

  constructor(private readonly o: SweepOptions) {
    const forward = (): void => this.stop.abort(o.signal.reason);
    if (o.signal.aborted) forward();
    else o.signal.addEventListener('abort', forward, { once: true });
  }

  async run(): Promise<SweepResult> {
    const { trials, ledger } = this.o;
    const reaped = await ledger.reap();
    if (reaped > 0) this.emit({ type: 'reaped', count: reaped });
    const finished = this.o.rerun ? new Map() : await ledger.finished(trials);
    const pending = trials.filter((t) => !finished.has(t.id));
    // Longest first: a long trial started last would leave the other workers idle at the end.
    pending.sort((a, b) => (this.o.sizing.get(b.id)?.cost ?? 0) - (this.o.sizing.get(a.id)?.cost ?? 0));
    const workers = this.workerCount(pending);
    this.emit({
      type: 'sweep-start', experiment: this.o.experiment, location: this.o.location,
      trials: trials.length, toTrain: pending.length, reused: finished.size, workers,
    });
    for (const trial of trials) {
      const done = finished.get(trial.id);
      if (done) this.reuse(trial, done.runId, done.figures);
    }
    if (pending.length > 0) await this.trainAll(pending, workers);
    // Trials a stop kept from starting: no run, but the summary says they did not run.
    const reported = new Set(this.reports.map((r) => r.trial.id));
    for (const trial of pending.filter((t) => !reported.has(t.id))) {
      this.reports.push({
        trial, status: 'killed', reason: 'interrupted', runId: null, wallSeconds: NaN, samples: [], degenerate: this.degenerate(trial),
        figures: { trainPerplexity: NaN, valPerplexity: NaN, tokensPerSecond: NaN },
      });
    }
    await this.recording;
    return { reports: order(this.reports, trials), ...(this.storeFailure !== undefined ? { storeFailure: this.storeFailure } : {}) };
  }

  /** Stamps the event, records it (in order), and shows it. A store failure stops the sweep. */
  emit(event: DistributiveOmit<SweepEvent, 'time'>, time = Date.now()): void {
    const stamped = { ...event, time } as SweepEvent;
    this.recording = this.recording
      .then(() => (this.storeFailure === undefined ? this.o.ledger.record(stamped) : undefined))
      .catch((err: unknown) => {
        if (this.storeFailure !== undefined) return;
        this.storeFailure = err;
        this.stop.abort({ signal: 'error', time: Date.now() } satisfies StopReason);
      });
    this.o.onEvent(stamped);
  }

  private reuse(trial: Trial, runId: string, figures: TrialFigures): void {
    const degenerate = this.degenerate(trial);
    this.reports.push({ trial, status: 'reused', runId, figures, wallSeconds: NaN, samples: [], degenerate });
    this.emit({ type: 'trial-reused', trial: trialRef(trial), figures, degenerate });
  }

  private degenerate(trial: Trial): boolean {
    return (this.o.sizing.get(trial.id)?.unknownShare ?? 0) > DEGENERATE_UNK_SHARE;
  }

  private workerCount(pending: Trial[]): number {
    const wanted = Math.max(1, Math.min(this.o.workers, pending.length));
    const backends = new Set(pending.map((t) => t.config.engine.backend));
    const oneAtATime = backends.has('tensorflow') || (backends.has('auto') && tensorflowInstalled());
    if (oneAtATime && wanted > 1) {
      this.emit({ type: 'warning', message: 'tfjs-node breaks when several worker threads load it (tfjs #8388): trials that may use it run one at a time' });
      return 1;
    }
    return wanted;
  }

  /** One loop per worker, each taking the next trial when its last one ends, so a run is created when its trial starts. */
  private async trainAll(pending: Trial[], workers: number): Promise<void> {
    // One BLAS thread per trial: OpenBLAS reads these when a worker loads it, and two OpenMP pools
    // per worker segfaulted at exit. Workers copy the environment when they start, so set it first.
    holdBlasToOneThread();
    if (this.o.pool) return this.trainOn(this.o.pool, pending, workers);
    const pool: Pool = new Piscina({
      filename: (this.o.workerUrl ?? new URL('./worker.js', import.meta.url)).href,
      minThreads: workers,
      maxThreads: workers,
      ...(this.o.maxMemoryMb !== null ? { resourceLimits: { maxOldGenerationSizeMb: this.o.maxMemoryMb } } : {}),
    });
    // A worker that dies outside a task (it failed to load, say) must not take the sweep down with it.
    pool.on('error', (err: unknown) => this.emit({ type: 'warning', message: `a worker thread died: ${asError(err).message}` }));
    try {
      await this.trainOn(pool, pending, workers);
    } finally {
      await pool.destroy();
    }
  }

  private async trainOn(pool: Pool, pending: Trial[], workers: number): Promise<void> {
    const queue = [...pending];
    const deferred: Trial[] = [];
    const loop = async (): Promise<void> => {
      for (;;) {
        if (this.stop.signal.aborted) {
          // Nothing more starts; what was queued is neither run nor failed.
          return;
        }
        const trial = queue.shift();
        if (trial !== undefined) {
          const claim = await this.o.ledger.claim(trial);
          if (claim === null) {
            deferred.push(trial);
            this.emit({ type: 'warning', message: `trial ${trial.id} (${trial.label}) is being trained by another process on this store: waiting for it`, trial: trialRef(trial) });
            continue;
          }
          await this.reuseOrTrain(trial, claim, pool);
          continue;
        }
        const waiting = deferred.shift();
        if (waiting === undefined) return;
        await this.awaitOther(waiting, pool);
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }

  /** A trial another process holds: wait until it lets go, then reuse its run or train it here. */
  private async awaitOther(trial: Trial, pool: Pool): Promise<void> {
    for (;;) {
      if (this.stop.signal.aborted) return;
      const claim = await this.o.ledger.claim(trial);
      if (claim !== null) return this.reuseOrTrain(trial, claim, pool);
      await sleep(this.o.claimPollMs ?? 1000, this.stop.signal);
    }
  }

  /** With the claim held: another sweep may have finished the trial since we looked, so look again. */
  private async reuseOrTrain(trial: Trial, claim: Claim, pool: Pool): Promise<void> {
    try {
      const done = this.o.rerun ? undefined : (await this.o.ledger.finished([trial])).get(trial.id);
      if (done) {
        this.reuse(trial, done.runId, done.figures);
        return;
      }
      for (let attempt = 1; ; attempt++) {
        const retry = await this.attempt(trial, attempt, pool);
        if (!retry) return;
      }
    } finally {
      // Let go only once the trial's end is in the store: another sweep waiting on the claim looks
      // for a FINISHED run as soon as it has it.
      await this.recording;
      claim.release();
    }
  }

  /** Trains one attempt of a trial; returns whether another attempt should follow. */
  private async attempt(trial: Trial, attempt: number, pool: Pool): Promise<boolean> {
    const ref = trialRef(trial);
    const started = Date.now();
    this.emit({ type: 'trial-start', trial: ref, attempt }, started);
    const sizing = this.o.sizing.get(trial.id);
    if (attempt === 1 && sizing && this.degenerate(trial)) {
      this.emit({
        type: 'warning', trial: ref,
        message: `trial ${trial.id} (${trial.label}): ${(sizing.unknownShare * 100).toFixed(0)}% of its training tokens are <unk>, so its perplexity means little; it is never called best (lower data.min_freq)`,
      });
    }

    const done = { epochs: 0 };
    const ending = await this.runWorker(trial, ref, pool, done);
    // A killed run ends when the signal came, not when its worker was done stopping.
    const endTime = ending.status === 'killed' ? (this.stop.signal.reason as StopReason | undefined)?.time ?? Date.now() : Date.now();
    const willRetry = ending.status === 'failed' && ending.infrastructure && attempt <= this.o.retries && !this.stop.signal.aborted;
    const figures = ending.status === 'finished'
      ? { trainPerplexity: ending.result.trainPerplexity, valPerplexity: ending.result.valPerplexity, tokensPerSecond: ending.result.tokensPerSecond }
      : { trainPerplexity: NaN, valPerplexity: NaN, tokensPerSecond: NaN };
    const why = ending.status === 'failed' ? { reason: ending.reason, error: ending.message }
      : ending.status === 'killed' ? { reason: 'interrupted' as const } : {};
    const wallSeconds = (Date.now() - started) / 1000;
    this.emit({
      type: 'trial-end', trial: ref, status: ending.status, attempt, willRetry, figures, wallSeconds,
      epochsDone: ending.status === 'finished' ? ending.result.epochs : done.epochs, ...why,
    }, endTime);
    if (willRetry) return true;
    this.reports.push({
      trial, status: ending.status, runId: null, figures, wallSeconds, degenerate: this.degenerate(trial),
      samples: ending.status === 'finished' ? ending.result.samples : [], ...why,
    });
    return false;
  }

  /** Runs the trial on a worker, relaying its events, until its channel's last message or its end. */
  private async runWorker(trial: Trial, ref: TrialRef, pool: Pool, done: { epochs: number }): Promise<Ending> {
    if (this.stop.signal.aborted) return { status: 'killed' };
    const channel = new MessageChannel();
    // Stopping is asked first (messages.ts, StopRequest); terminating is the fallback.
    const terminate = new AbortController();
    let graceTimer: NodeJS.Timeout | undefined;
    const askToStop = (): void => {
      if (graceTimer !== undefined) return;
      channel.port1.postMessage({ type: 'stop' } satisfies StopRequest);
      graceTimer = setTimeout(() => terminate.abort(), this.o.stopGraceMs ?? STOP_GRACE_MS);
    };
    this.stop.signal.addEventListener('abort', askToStop, { once: true });
    let timedOut = false;
    const timer = this.o.trialTimeoutMs === null ? undefined : setTimeout(() => {
      timedOut = true;
      askToStop();
    }, this.o.trialTimeoutMs);

    let last: { type: 'result'; result: TrainResult } | TrialFailure | { type: 'stopped' } | undefined;
    let lastArrived: () => void = () => {};
    const lastMessage = new Promise<void>((resolve) => (lastArrived = resolve));
    const handle = (message: TrialMessage): void => {
      if (message.type === 'result' || message.type === 'failure' || message.type === 'stopped') {
        last = message;
        lastArrived();
        return;
      }
      if (message.type === 'epoch') done.epochs = message.epoch;
      this.relay(ref, message);
    };
    channel.port1.on('message', handle);
    const corpusFile = this.o.corpusFiles?.get(trial.config.data.corpus);
    const task: TrialTask = { trialId: trial.id, config: trial.config, baseDir: this.o.baseDir, events: channel.port2, ...(corpusFile ? { corpusFile } : {}) };
    let crash: unknown;
    try {
      await pool.run(task, { transferList: [channel.port2], signal: terminate.signal });
      await lastMessage; // the task returned, so its last message is on its way
    } catch (err) {
      crash = err;
    } finally {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      this.stop.signal.removeEventListener('abort', askToStop);
    }
    // A worker that was stopped or died may have posted events not yet delivered: take them, in order.
    for (let m = receiveMessageOnPort(channel.port1); m !== undefined; m = receiveMessageOnPort(channel.port1)) handle(m.message as TrialMessage);
    channel.port1.close();

    if (last?.type === 'result') return { status: 'finished', result: last.result };
    if (last?.type === 'failure') {
      return { status: 'failed', reason: last.reason, message: last.message, ...(last.stack ? { stack: last.stack } : {}), infrastructure: last.reason === 'out_of_memory' };
    }
    if (timedOut) return { status: 'failed', reason: 'timeout', message: `the trial ran past sweep.trial_timeout (${formatMs(this.o.trialTimeoutMs!)})`, infrastructure: false };
    if (this.stop.signal.aborted || last?.type === 'stopped') return { status: 'killed' };
    const e = asError(crash);
    const oom = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
    return {
      status: 'failed',
      reason: oom ? 'out_of_memory' : 'error',
      message: oom ? `the worker ran out of memory (sweep.max_memory_mb ${this.o.maxMemoryMb ?? 'unset'}): ${e.message}` : `the worker thread died: ${e.message}`,
      infrastructure: true,
    };
  }

  /** A worker's event, as the sweep's: with its trial and the main thread's time. */
  private relay(trial: TrialRef, e: TrainEvent): void {
    switch (e.type) {
      case 'warning':
        return this.emit({ type: 'warning', trial, message: `trial ${trial.id} (${trial.label}): ${e.message}` });
      case 'setup':
      case 'epoch':
      case 'progress':
      case 'sample':
      case 'weights': {
        const { type, ...rest } = e;
        return this.emit({ type, trial, ...rest } as DistributiveOmit<SweepEvent, 'time'>);
      }
    }
  }
}

/** Omit over each member of a union (TypeScript's Omit merges the members). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function order(reports: TrialReport[], trials: Trial[]): TrialReport[] {
  const index = new Map(trials.map((t, i) => [t.id, i]));
  return [...reports].sort((a, b) => (index.get(a.trial.id) ?? 0) - (index.get(b.trial.id) ?? 0));
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
