// What a sweep reports as it goes. The console prints these; later a JSON event stream can too.
import type { Trial } from '../plan/expand.js';
import type { EpochEvent, ProgressEvent } from '../train/events.js';

export type TrialStatus = 'finished' | 'failed' | 'killed' | 'reused';

/** One trial's outcome, as the summary shows it. */
export interface TrialReport {
  trial: Trial;
  status: TrialStatus;
  runId: string | null;
  trainPerplexity: number;
  valPerplexity: number;
  tokensPerSecond: number;
  wallSeconds: number;
  /** the last sample per prefix (empty for reused trials) */
  samples: { prefix: string; text: string }[];
  error?: string;
  /** the trial ran, but writing its run to the tracker failed */
  recordingError?: string;
}

export type SweepEvent =
  | { type: 'tracking'; location: string; experimentId: string }
  | { type: 'reaped'; count: number }
  | { type: 'reused'; trial: Trial }
  | { type: 'trial-start'; trial: Trial }
  | { type: 'trial-epoch'; trial: Trial; epoch: EpochEvent; epochs: number }
  | { type: 'trial-progress'; trial: Trial; progress: ProgressEvent; epochs: number }
  | { type: 'trial-end'; report: TrialReport }
  | { type: 'warning'; message: string };

/** What trials are ranked by: validation perplexity, or training perplexity when nothing is held out. */
export function rankScore(r: TrialReport): number {
  const score = Number.isNaN(r.valPerplexity) ? r.trainPerplexity : r.valPerplexity;
  return Number.isFinite(score) ? score : Infinity;
}

/**
 * The best finished (or reused) trial, if any has a score. A bidirectional model sees the tokens it
 * predicts (d2l 9.4), so its low perplexity is no win: it is best only when every trial is one.
 */
export function bestReport(reports: TrialReport[]): TrialReport | undefined {
  const ranked = reports
    .filter((r) => (r.status === 'finished' || r.status === 'reused') && rankScore(r) < Infinity)
    .sort((a, b) => rankScore(a) - rankScore(b));
  return ranked.find((r) => !r.trial.config.model.bidirectional) ?? ranked[0];
}
