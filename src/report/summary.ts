// What the console shows of a sweep: the planned trials, and the results ranked.
import { varyingPaths, type Trial } from '../plan/expand.js';
import type { TrialReport } from '../scheduler/events.js';
import { bestReport, rankScore } from '../scheduler/ranking.js';
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

/**
 * The ranked table, the best trial's sample, and why each trial that did not finish did not.
 * tokens/s is the trial's: all its training tokens over all its training seconds.
 */
export function formatSummary(reports: TrialReport[]): string {
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
  for (const r of reports.filter((r) => r.status === 'failed')) {
    lines.push('', `trial ${r.trial.id} (${r.trial.label}) failed (${r.reason ?? 'error'}): ${r.error ?? 'unknown error'}`);
  }
  return lines.join('\n');
}
