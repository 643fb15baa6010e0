// What the console shows of a sweep: the planned trials, and the results ranked.
import { varyingPaths, type Trial } from '../plan/expand.js';
import { bestReport, rankScore, type TrialReport } from '../scheduler/progress.js';
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

export function formatSummary(reports: TrialReport[]): string {
  const trials = reports.map((r) => r.trial);
  const columns = varyingPaths(trials);
  const ranked = [...reports].sort((a, b) => rankScore(a) - rankScore(b));
  const rows = ranked.map((r) => [
    r.trial.id,
    ...columns.map((c) => cell(r.trial.varying[c])),
    formatNumber(r.trainPerplexity),
    formatNumber(r.valPerplexity),
    Number.isFinite(r.tokensPerSecond) ? Math.round(r.tokensPerSecond).toString() : '-',
    Number.isFinite(r.wallSeconds) ? `${r.wallSeconds.toFixed(1)}s` : '-',
    r.status +
      (r.recordingError !== undefined ? ' (recording failed)' : '') +
      (r.trial.config.model.bidirectional ? ' (bidirectional: sees the future, perplexity flatters)' : ''),
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
    lines.push('', `trial ${r.trial.id} (${r.trial.label}) failed: ${r.error ?? 'unknown error'}`);
  }
  for (const r of reports.filter((r) => r.recordingError !== undefined)) {
    lines.push('', `trial ${r.trial.id} (${r.trial.label}): recording its run failed: ${r.recordingError}`);
  }
  return lines.join('\n');
}
