// What the views know about a sweep so far, folded from its SweepEvents: counts for the "3/6"
// counters and, per trial, how far it has got (the live view's lines and the ETA read this).
import type { SweepEvent, TrialRef } from '../scheduler/events.js';

export type TrialPhase = 'running' | 'finished' | 'failed' | 'killed' | 'reused' | 'retrying';

export interface EpochFigures {
  epoch: number;
  trainPerplexity: number;
  valPerplexity: number;
  tokensPerSecond: number;
  seconds: number;
}

export interface TrialView {
  ref: TrialRef;
  phase: TrialPhase;
  attempt: number;
  /** the order trials started in (reused ones: the order they were reported) */
  order: number;
  /** ms timestamps of this attempt's events */
  startTime?: number;
  setupTime?: number;
  lastEpochTime?: number;
  endTime?: number;
  paramCount?: number;
  trainTokens?: number;
  /** epochs this attempt has finished, and the seconds they took */
  epochsDone: number;
  epochSeconds: number;
  lastEpoch?: EpochFigures;
  /** the last progress report, when it is within the epoch now running */
  progress?: { epoch: number; batch: number; batches: number; trainPerplexity: number; time: number };
}

/**
 * A trial's size as known before it starts (the CLI's preflight sizing, src/plan/preflight.ts
 * TrialSizing, fits): lets the ETA cost trials still queued, whose setup event has not come.
 */
export interface TrialSize {
  paramCount: number;
  trainTokens: number;
  /** paramCount × trainTokens × epochs */
  cost: number;
}

type SweepStart = Extract<SweepEvent, { type: 'sweep-start' }>;
type SweepEnd = Extract<SweepEvent, { type: 'sweep-end' }>;

export class SweepState {
  start?: SweepStart;
  end?: SweepEnd;
  /** when the sweep started: its sweep-start event, else the first event seen */
  startedAt?: number;
  readonly trials = new Map<string, TrialView>();
  readonly counts = { finished: 0, failed: 0, killed: 0, reused: 0 };
  /** for the cost model: every epoch seen whose trial's size is known */
  epochSecondsSum = 0;
  epochWorkSum = 0;
  /** seconds from trial-start to setup, and from the last epoch to trial-end (finished trials) */
  readonly headSeconds: number[] = [];
  readonly tailSeconds: number[] = [];
  /** the training seconds of every trial that ended, for trials not yet sized */
  readonly endedTrainingSeconds: number[] = [];
  private nextOrder = 0;

  constructor(readonly sizes?: ReadonlyMap<string, TrialSize>) {}

  apply(e: SweepEvent): void {
    this.startedAt ??= e.time;
    switch (e.type) {
      case 'sweep-start':
        this.start = e;
        this.startedAt = e.time;
        return;
      case 'trial-reused':
        this.trial(e.trial).phase = 'reused';
        this.counts.reused++;
        return;
      case 'trial-start': {
        const t = this.trial(e.trial);
        Object.assign(t, {
          phase: 'running',
          attempt: e.attempt,
          startTime: e.time,
          setupTime: undefined,
          lastEpochTime: undefined,
          endTime: undefined,
          epochsDone: 0,
          epochSeconds: 0,
          lastEpoch: undefined,
          progress: undefined,
        } satisfies Partial<TrialView>);
        t.order = this.nextOrder++;
        return;
      }
      case 'setup': {
        const t = this.trial(e.trial);
        t.setupTime = e.time;
        t.paramCount = e.paramCount;
        t.trainTokens = e.trainTokens;
        if (t.startTime !== undefined) this.headSeconds.push(Math.max(0, (e.time - t.startTime) / 1000));
        return;
      }
      case 'epoch': {
        const t = this.trial(e.trial);
        t.epochsDone = Math.max(t.epochsDone, e.epoch);
        if (Number.isFinite(e.seconds) && e.seconds >= 0) {
          t.epochSeconds += e.seconds;
          const work = trialWork(t);
          if (work !== undefined) {
            this.epochSecondsSum += e.seconds;
            this.epochWorkSum += work;
          }
        }
        t.lastEpochTime = e.time;
        t.lastEpoch = {
          epoch: e.epoch,
          trainPerplexity: e.trainPerplexity,
          valPerplexity: e.valPerplexity,
          tokensPerSecond: e.tokensPerSecond,
          seconds: e.seconds,
        };
        t.progress = undefined;
        return;
      }
      case 'progress': {
        const t = this.trial(e.trial);
        t.progress = { epoch: e.epoch, batch: e.batch, batches: e.batches, trainPerplexity: e.trainPerplexity, time: e.time };
        return;
      }
      case 'trial-end': {
        const t = this.trial(e.trial);
        t.endTime = e.time;
        t.progress = undefined;
        if (e.willRetry) {
          t.phase = 'retrying';
          return;
        }
        t.phase = e.status;
        this.counts[e.status]++;
        if (t.epochSeconds > 0) this.endedTrainingSeconds.push(t.epochSeconds);
        if (e.status === 'finished' && t.lastEpochTime !== undefined) {
          this.tailSeconds.push(Math.max(0, (e.time - t.lastEpochTime) / 1000));
        }
        return;
      }
      case 'sweep-end':
        this.end = e;
        // the sweep's own count is the truth (e.g. trials killed before they started)
        Object.assign(this.counts, e.counts);
        return;
      case 'reaped':
      case 'sample':
      case 'weights':
      case 'warning':
        return;
      default:
        return unhandled(e);
    }
  }

  /** every trial of the sweep, reused ones included */
  get total(): number {
    return this.start?.trials ?? this.trials.size;
  }

  /** trials that will not change any more: finished, failed, killed or reused */
  get done(): number {
    const c = this.counts;
    return c.finished + c.failed + c.killed + c.reused;
  }

  /** running trials, in the order they started */
  get running(): TrialView[] {
    return [...this.trials.values()].filter((t) => t.phase === 'running').sort((a, b) => a.order - b.order);
  }

  /** trials still to start (a trial whose attempt failed and will be retried counts here) */
  get queued(): number {
    if (this.end) return 0;
    const c = this.counts;
    const toTrain = this.start?.toTrain ?? this.trials.size - c.reused;
    return Math.max(0, toTrain - this.running.length - c.finished - c.failed - c.killed);
  }

  /** trials trained at once */
  get workers(): number {
    return Math.max(1, this.start?.workers ?? this.running.length);
  }

  /** "3/6", the overall counter */
  get counter(): string {
    return `${this.done}/${this.total}`;
  }

  private trial(ref: TrialRef): TrialView {
    let t = this.trials.get(ref.id);
    if (!t) {
      t = { ref, phase: 'running', attempt: 1, order: this.nextOrder++, epochsDone: 0, epochSeconds: 0 };
      const size = this.sizes?.get(ref.id);
      if (size) {
        t.paramCount = size.paramCount;
        t.trainTokens = size.trainTokens;
      }
      this.trials.set(ref.id, t);
    }
    return t;
  }
}

/** The size of one epoch of a trial for the cost model: parameters × training tokens. */
export function trialWork(t: Pick<TrialView, 'paramCount' | 'trainTokens'>): number | undefined {
  if (t.paramCount === undefined || t.trainTokens === undefined) return undefined;
  const work = t.paramCount * t.trainTokens;
  return Number.isFinite(work) && work > 0 ? work : undefined;
}

/**
 * Makes a switch over SweepEvent exhaustive at compile time (a new event type is an error here until
 * the views handle it); at run time an event this build does not know is ignored, never fatal.
 */
export function unhandled(_event: never): void {}
