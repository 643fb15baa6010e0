// What the console shows of a sweep: the planned trials, and the results ranked.
import { varyingPaths, type Trial } from '../plan/expand.js';
import type { TrialReport } from '../scheduler/events.js';
import { bestReport, rankScore } from '../scheduler/ranking.js';
import { bestConfiguration, summarizeConfigurations, type ConfigSummary, type Stat } from '../check/replicates.js';
import { formatTable } from './table.js';

function cell(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function formatTrialPlan(trials: Trial[]): string {
  const columns = varyingPaths(trials);
  const rows = trials.map((t) => [t.id, ...columns.map((c) => cell(t.varying[c]))]);
  return formatTable(['trial', ...columns], rows);
}

export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '-';
  return value.toFixed(digits);
}

function statusText(r: TrialReport): string {
  let text = r.status + (r.reason !== undefined && r.status !== 'killed' ? ` (${r.reason})` : '');
  if (r.degenerate) text += ' (mostly <unk>: perplexity means little)';
  if (r.trial.config.model.bidirectional) text += ' (bidirectional: sees the future, perplexity flatters)';
  return text;
}

export interface SummaryOptions {
  /** one row per trial, ranked, and the best trial's sample (the summary before seeds were replicates) */
  perTrial?: boolean;
  /** what names a corpus in configuration ids (corpusIdentity(dir)), so they match `run-sweep check`'s */
  corpusIdentity?: (corpus: string) => string;
}

/**
 * The sweep's results: by default one row per configuration (the trials that differ only by seed),
 * ranked by the mean final validation perplexity over its seeds, with mean ± sample std (n−1) and n;
 * then the best configuration with a sample from one of its seeds, and why each trial that did not
 * finish did not. tokens/s is each trial's: all its training tokens over all its training seconds.
 */
export function formatSummary(reports: TrialReport[], options: SummaryOptions = {}): string {
  const lines = [options.perTrial ? formatTrialRows(reports) : formatConfigurations(reports, options.corpusIdentity)];
  for (const r of reports.filter((r) => r.status === 'failed')) {
    lines.push('', `trial ${r.trial.id} (${r.trial.label}) failed (${r.reason ?? 'error'}): ${r.error ?? 'unknown error'}`);
  }
  return lines.join('\n');
}

/** mean ± std, or the mean alone when one seed gives no spread; '-' when no seed has a value. */
export function formatStat(s: Stat, digits = 2): string {
  if (s.n === 0) return '-';
  return s.n < 2 ? formatNumber(s.mean, digits) : `${formatNumber(s.mean, digits)} ± ${formatNumber(s.std, digits)}`;
}

function configStatus(c: ConfigSummary): string {
  const counts = new Map<string, number>();
  for (const r of c.members) {
    const key = r.status + (r.status === 'failed' && r.reason !== undefined ? ` (${r.reason})` : '');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let text = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
  if (c.degenerate) text += ' (mostly <unk>: perplexity means little)';
  if (c.bidirectional) text += ' (bidirectional: sees the future, perplexity flatters)';
  return text;
}

function formatConfigurations(reports: TrialReport[], corpusIdentity?: (corpus: string) => string): string {
  const configs = summarizeConfigurations(reports, corpusIdentity);
  const columns = configs.length === 0 ? [] : Object.keys(configs[0]!.varying);
  const ranked = [...configs].sort((a, b) => a.score - b.score);
  const rows = ranked.map((c) => [
    c.id,
    ...columns.map((k) => cell(c.varying[k])),
    String(c.figures.valPerplexity.n || c.scored.length),
    formatStat(c.figures.valPerplexity),
    formatStat(c.figures.trainPerplexity),
    formatStat(c.figures.tokensPerSecond, 0),
    configStatus(c),
  ]);
  const header = ['configuration', ...columns, 'n', 'val ppl', 'train ppl', 'tokens/s', 'status'];
  const right = header.map((_h, i) => i > columns.length && i < header.length - 1);
  const lines = [formatTable(header, rows, right)];

  const best = bestConfiguration(configs);
  if (best) {
    // A sample from the configuration's first seed that has one: the configuration's, not its
    // luckiest seed's, so it is never picked by its score.
    const withSample = best.scored.find((r) => r.samples.length > 0);
    const figure = Number.isNaN(best.figures.valPerplexity.mean) ? `train ppl ${formatStat(best.figures.trainPerplexity)}` : `val ppl ${formatStat(best.figures.valPerplexity)}`;
    const head = `best configuration ${best.id} (${best.label}): ${figure} over ${best.scored.length} seed(s)`;
    const seedOf = (r: TrialReport): string => `seed=${r.trial.config.train.seed}, trial ${r.trial.id}`;
    lines.push(
      '',
      withSample
        ? `${head}; sample from ${seedOf(withSample)}:\n  ${withSample.samples[0]!.text}`
        : `${head}; its samples are in run ${best.scored[0]?.runId ?? '-'} (${best.scored[0] ? seedOf(best.scored[0]) : 'reused'})`,
    );
  }
  return lines.join('\n');
}

/** One row per trial, ranked, and the best trial's sample. */
function formatTrialRows(reports: TrialReport[]): string {
  const trials = reports.map((r) => r.trial);
  const columns = varyingPaths(trials);
  const ranked = [...reports].sort((a, b) => rankScore(a) - rankScore(b));
  const rows = ranked.map((r) => [
    r.trial.id,
    ...columns.map((c) => cell(r.trial.varying[c])),
    formatNumber(r.figures.trainPerplexity),
    formatNumber(r.figures.valPerplexity),
    Number.isFinite(r.figures.tokensPerSecond) ? Math.round(r.figures.tokensPerSecond).toString() : '-',
    Number.isFinite(r.wallSeconds) ? `${r.wallSeconds.toFixed(1)}s` : '-',
    statusText(r),
  ]);
  const header = ['trial', ...columns, 'train ppl', 'val ppl', 'tokens/s', 'wall', 'status'];
  const right = header.map((_h, i) => i > columns.length && i < header.length - 1);
  const lines = [formatTable(header, rows, right)];

  const best = bestReport(reports);
  if (best) {
    const sample = best.samples[0];
    lines.push(
      '',
      sample
        ? `best trial ${best.trial.id} (${best.trial.label}), sample:\n  ${sample.text}`
        : `best trial ${best.trial.id} (${best.trial.label}): reused, its samples are in run ${best.runId}`,
    );
  }
  return lines.join('\n');
}
