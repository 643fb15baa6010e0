// Seeds as replicates: the mean, spread and count of a configuration's figures over its seeds.
import { configVarying, groupByConfiguration, type Configuration } from '../plan/config-id.js';
import type { Trial } from '../plan/expand.js';
import type { TrialFigures, TrialReport } from '../scheduler/events.js';
import { rankScore } from '../scheduler/ranking.js';

export interface Stat {
  mean: number;
  /**
   * the sample standard deviation (n−1 in the denominator), the unbiased estimate of the seed
   * spread; NaN when n < 2, since one seed says nothing about how much seeds differ
   */
  std: number;
  /** how many seeds had a finite value */
  n: number;
}

/** mean, sample std and count of the finite values (NaN mean when there are none). */
export function stat(values: readonly number[]): Stat {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? NaN : Math.sqrt(finite.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}

export interface ConfigSummary extends Configuration<TrialReport> {
  varying: Record<string, unknown>;
  /** the seeds that finished or were reused: the only ones the figures are over */
  scored: TrialReport[];
  figures: Record<keyof TrialFigures, Stat>;
  /** the mean of the trials' rank scores (val ppl, or train ppl when nothing is held out); Infinity when none */
  score: number;
  degenerate: boolean;
  bidirectional: boolean;
}

/** One summary per configuration, in sweep order. */
export function summarizeConfigurations(reports: readonly TrialReport[], corpusIdentity?: (corpus: string) => string): ConfigSummary[] {
  return groupByConfiguration(reports, (r) => r.trial, corpusIdentity).map((group) => {
    const scored = group.members.filter((r) => r.status === 'finished' || r.status === 'reused');
    const over = (k: keyof TrialFigures): Stat => stat(scored.map((r) => r.figures[k]));
    const scores = stat(scored.map(rankScore).filter((s) => s < Infinity));
    const first = group.members[0]!.trial as Trial;
    return {
      ...group,
      varying: configVarying(first),
      scored,
      figures: { valPerplexity: over('valPerplexity'), trainPerplexity: over('trainPerplexity'), tokensPerSecond: over('tokensPerSecond') },
      score: scores.n > 0 ? scores.mean : Infinity,
      degenerate: scored.some((r) => r.degenerate),
      bidirectional: first.config.model.bidirectional,
    };
  });
}

/**
 * The best configuration by the mean over its seeds, with the rules bestReport applies to trials:
 * a configuration with a degenerate seed (mostly <unk>) is never best, and a bidirectional one is
 * best only when every remaining one is.
 */
export function bestConfiguration(configs: readonly ConfigSummary[]): ConfigSummary | undefined {
  const ranked = configs.filter((c) => !c.degenerate && c.score < Infinity).sort((a, b) => a.score - b.score);
  return ranked.find((c) => !c.bidirectional) ?? ranked[0];
}
