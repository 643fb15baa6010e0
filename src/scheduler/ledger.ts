// What the scheduler needs from wherever runs are recorded, in its own words: no MLflow names.
// src/track/sweep-recorder.ts implements it over a Tracker.
import type { Trial } from '../plan/expand.js';
import type { SweepEvent, TrialFigures } from './events.js';

export interface FinishedTrial {
  runId: string;
  figures: TrialFigures;
}

/** A trial this process holds; another process trying the same store waits or skips it. */
export interface Claim {
  release(): void;
}

export interface Ledger {
  /** marks runs of dead sweeps KILLED; returns how many */
  reap(): Promise<number>;
  /** trials that already have a finished run */
  finished(trials: Trial[]): Promise<Map<string, FinishedTrial>>;
  /** takes a trial for this process, or null when a live process holds it */
  claim(trial: Trial): Promise<Claim | null>;
  /**
   * Records one event. Resolves once it is durably in the local store (never waits for a server);
   * rejects with a RunSweepError when the store cannot be written (disk full, read-only, ...).
   */
  record(event: SweepEvent): Promise<void>;
}
