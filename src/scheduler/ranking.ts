// Which trial is best, and why some can never be.
import type { TrialReport } from './events.js';

/** What trials are ranked by: validation perplexity, or training perplexity when nothing is held out. */
export function rankScore(r: TrialReport): number {
  const score = Number.isNaN(r.figures.valPerplexity) ? r.figures.trainPerplexity : r.figures.valPerplexity;
  return Number.isFinite(score) ? score : Infinity;
}

/**
 * The best finished (or reused) trial, if any has a score. A degenerate trial (its tokens mostly
 * <unk>) scores a perplexity that measures nothing: never best. A bidirectional model sees the
 * tokens it predicts (d2l 9.4), so its low perplexity is no win: it is best only when every
 * remaining trial is one.
 */
export function bestReport(reports: TrialReport[]): TrialReport | undefined {
  const ranked = reports
    .filter((r) => (r.status === 'finished' || r.status === 'reused') && !r.degenerate && rankScore(r) < Infinity)
    .sort((a, b) => rankScore(a) - rankScore(b));
  return ranked.find((r) => !r.trial.config.model.bidirectional) ?? ranked[0];
}
