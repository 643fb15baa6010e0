// What a sweep reports as it goes: one typed stream that the console, the live view, the JSON
// event stream (--json, schemas/events.schema.json) and the tracking recorder all read. Nothing
// here knows MLflow: the recorder in src/track/ turns these into runs, params and metrics.
import type { Trial } from '../plan/expand.js';
import type { TrialConfig } from '../config/types.js';
import type { EpochEvent, ProgressEvent, SampleEvent, SetupEvent, WeightsEvent } from '../train/events.js';

/** A trial as events name it: no config, so that events stay small and JSON-friendly. */
export interface TrialRef {
  id: string;
  /** readable, e.g. "cell=lstm seed=1" */
  label: string;
  /** the grid values (and seed) this trial sets */
  varying: Record<string, unknown>;
  epochs: number;
}

export function trialRef(trial: Trial): TrialRef {
  return { id: trial.id, label: trial.label, varying: trial.varying, epochs: trial.config.train.epochs };
}

/** Why a trial did not finish: the tag run_sweep.failure and the summary say it. */
export type FailureReason = 'timeout' | 'out_of_memory' | 'diverged' | 'error' | 'interrupted';

export type TrialStatus = 'finished' | 'failed' | 'killed' | 'reused';

/** The figures that describe a trained (or reused) trial. tokens/s is total tokens / total training seconds. */
export interface TrialFigures {
  trainPerplexity: number;
  valPerplexity: number;
  tokensPerSecond: number;
}

interface Stamped {
  /** ms since the epoch, when the main thread saw it */
  time: number;
}

export type SweepEvent = Stamped &
  (
    | {
        type: 'sweep-start';
        experiment: string;
        /** where runs go, credentials removed */
        location: string;
        trials: number;
        toTrain: number;
        reused: number;
        workers: number;
      }
    | { type: 'reaped'; count: number }
    | { type: 'trial-reused'; trial: TrialRef; figures: TrialFigures; degenerate: boolean }
    | { type: 'trial-start'; trial: TrialRef; attempt: number }
    // A worker's events, as the trial reported them (src/train/events.ts), with the trial they are about.
    | ({ trial: TrialRef } & SetupEvent)
    | ({ trial: TrialRef } & EpochEvent)
    | ({ trial: TrialRef } & ProgressEvent)
    | ({ trial: TrialRef } & SampleEvent)
    | ({ trial: TrialRef } & WeightsEvent)
    | {
        type: 'trial-end';
        trial: TrialRef;
        status: Exclude<TrialStatus, 'reused'>;
        reason?: FailureReason;
        error?: string;
        /** the attempt number (1 unless sweep.retries re-ran it) */
        attempt: number;
        /** another attempt follows (an infrastructure failure with retries left) */
        willRetry: boolean;
        figures: TrialFigures;
        wallSeconds: number;
        epochsDone: number;
      }
    | { type: 'warning'; message: string; trial?: TrialRef }
    | {
        type: 'sweep-end';
        counts: { finished: number; failed: number; killed: number; reused: number };
        exitCode: number;
        /** tracking problems, repeated at the end of the summary */
        trackingProblems: string[];
      }
  );

export type SweepEventType = SweepEvent['type'];

/** One trial's outcome, as the summary shows it. */
export interface TrialReport {
  trial: Trial;
  status: TrialStatus;
  reason?: FailureReason;
  runId: string | null;
  figures: TrialFigures;
  wallSeconds: number;
  /** the last sample per prefix (empty for reused trials) */
  samples: { prefix: string; text: string }[];
  error?: string;
  /** most of the vocabulary or the tokens are <unk>: the perplexity is meaningless */
  degenerate: boolean;
}

export type { TrialConfig };
