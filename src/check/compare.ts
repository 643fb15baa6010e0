// The verdicts: each configuration's mean over seeds now against the baseline's, metric by metric.
//
// A metric fails when its mean moved in the worse direction by more than
//     allowed = max(tolerance × |baseline mean|, sigmas × σ)
// where σ is the sample standard deviation (n−1) of the baseline's seeds of that configuration:
// the spread seeds alone produce. It is compared with the change of the means as it stands (not
// σ/√n): a change within what swapping one seed for another does is noise. With one baseline seed
// σ is 0 and only the relative tolerance applies; the verdict's note says so.
import type { CheckConfig } from '../config/types.js';
import { stat, type Stat } from './replicates.js';
import { CHECK_METRICS, type BaselineConfiguration, type CheckMetric } from './baseline.js';

export interface Verdict {
  configId: string;
  label: string;
  /** a metric name, or 'configuration' for one missing from either side */
  metric: CheckMetric | 'configuration';
  /** means over seeds; null where there is none */
  baseline: number | null;
  now: number | null;
  /** (now − baseline) / baseline: signed, positive is up */
  change: number | null;
  /** the largest change allowed in the worse direction, as a fraction of the baseline mean (positive) */
  allowed: number | null;
  verdict: 'pass' | 'fail';
  /** why, for rows the numbers alone do not explain */
  note?: string;
  /** seeds on each side, and the baseline's σ (absolute) */
  baselineN?: number;
  nowN?: number;
  sigma?: number | null;
}

export interface CompareOptions {
  allowMissing: boolean;
  allowNew: boolean;
}

/** The metrics a rule set compares: those whose tolerance is not null. */
export function comparedMetrics(rules: CheckConfig): CheckMetric[] {
  return CHECK_METRICS.filter((m) => toleranceOf(rules, m).tolerance !== null);
}

function toleranceOf(rules: CheckConfig, metric: CheckMetric): { tolerance: number | null; sigmas: number; higherIsWorse: boolean } {
  const m = rules.metrics;
  switch (metric) {
    case 'val_perplexity':
      return { tolerance: m.val_perplexity.max_increase, sigmas: m.val_perplexity.sigmas, higherIsWorse: true };
    case 'train_perplexity':
      return { tolerance: m.train_perplexity.max_increase, sigmas: m.train_perplexity.sigmas, higherIsWorse: true };
    case 'tokens_per_second':
      return { tolerance: m.tokens_per_second.max_decrease, sigmas: m.tokens_per_second.sigmas, higherIsWorse: false };
  }
}

function seedStat(c: BaselineConfiguration, metric: CheckMetric): Stat {
  return stat(Object.values(c.seeds).map((v) => v[metric] ?? NaN));
}

/** One verdict per configuration and compared metric, then one per configuration on one side only. */
export function compareConfigurations(
  baseline: Record<string, BaselineConfiguration>,
  now: Record<string, BaselineConfiguration>,
  rules: CheckConfig,
  options: CompareOptions,
): Verdict[] {
  const metrics = comparedMetrics(rules);
  const verdicts: Verdict[] = [];
  const pairs = pairConfigurations(baseline, now);
  const paired = new Set(pairs.flatMap(([b, n]) => [`b:${b}`, `n:${n}`]));
  for (const [beforeId, nowId] of pairs) {
    const before = baseline[beforeId]!;
    const current = now[nowId]!;
    const changed = beforeId === nowId ? [] : configDifferences(before.config, current.config);
    const note = beforeId === nowId ? undefined : `matched by label: id ${beforeId} in the baseline; ${changed.length > 0 ? `settings differ: ${changed.join(', ')}` : 'the corpus differs'}`;
    for (const metric of metrics) {
      const v = judge(nowId, current.label, metric, before, current, rules);
      verdicts.push(note === undefined ? v : { ...v, note: v.note === undefined ? note : `${note}; ${v.note}` });
    }
  }
  const side = (id: string, label: string, on: 'baseline' | 'now', allowed: boolean, flag: string): Verdict => ({
    configId: id,
    label,
    metric: 'configuration',
    baseline: null,
    now: null,
    change: null,
    allowed: null,
    verdict: allowed ? 'pass' : 'fail',
    note: on === 'baseline'
      ? `missing: in the baseline, not in this sweep${allowed ? ' (allowed by --allow-missing)' : `; ${flag} accepts that`}`
      : `new: in this sweep, not in the baseline${allowed ? ' (allowed by --allow-new)' : `; ${flag} accepts that, --update-baseline records it`}`,
  });
  for (const [id, c] of Object.entries(baseline)) if (!paired.has(`b:${id}`)) verdicts.push(side(id, c.label, 'baseline', options.allowMissing, '--allow-missing'));
  for (const [id, c] of Object.entries(now)) if (!paired.has(`n:${id}`)) verdicts.push(side(id, c.label, 'now', options.allowNew, '--allow-new'));
  return verdicts;
}

/**
 * [baseline id, current id] pairs: by configuration id, then, among the rest, by label where the
 * label is unique on both sides. A setting outside the grid that changed (`--set train.lr=0.01`,
 * an edited file) changes every id but not the labels: those configurations are still compared,
 * and their rows name the settings that differ, rather than all being "missing" and "new".
 */
export function pairConfigurations(baseline: Record<string, BaselineConfiguration>, now: Record<string, BaselineConfiguration>): [string, string][] {
  const pairs: [string, string][] = Object.keys(now).filter((id) => id in baseline).map((id) => [id, id]);
  const restBefore = Object.entries(baseline).filter(([id]) => !(id in now));
  const restNow = Object.entries(now).filter(([id]) => !(id in baseline));
  const count = (list: [string, BaselineConfiguration][], label: string): number => list.filter(([, c]) => c.label === label).length;
  for (const [nowId, c] of restNow) {
    if (count(restNow, c.label) !== 1 || count(restBefore, c.label) !== 1) continue;
    pairs.push([restBefore.find(([, b]) => b.label === c.label)![0], nowId]);
  }
  return pairs;
}

/** Dotted settings whose values differ between two configurations' configs: "train.lr 1 → 0.01". */
export function configDifferences(before: unknown, now: unknown, prefix = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(now)) {
    return [...new Set([...Object.keys(before), ...Object.keys(now)])].sort()
      .flatMap((k) => configDifferences(before[k], now[k], `${prefix}${k}.`));
  }
  const show = (v: unknown): string => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));
  return JSON.stringify(before) === JSON.stringify(now) ? [] : [`${prefix.slice(0, -1)} ${show(before)} → ${show(now)}`];
}

function judge(id: string, label: string, metric: CheckMetric, before: BaselineConfiguration, current: BaselineConfiguration, rules: CheckConfig): Verdict {
  const { tolerance, sigmas, higherIsWorse } = toleranceOf(rules, metric);
  const b = seedStat(before, metric);
  const n = seedStat(current, metric);
  const sigma = b.n >= 2 ? b.std : 0;
  const base: Verdict = {
    configId: id, label, metric,
    baseline: b.n > 0 ? b.mean : null,
    now: n.n > 0 ? n.mean : null,
    change: null, allowed: null, verdict: 'pass',
    baselineN: b.n, nowN: n.n, sigma: b.n > 0 ? sigma : null,
  };
  if (b.n === 0 && n.n === 0) return { ...base, note: 'no value on either side (nothing held out for validation?)' };
  if (b.n === 0 || n.n === 0) return { ...base, verdict: 'fail', note: `no value ${b.n === 0 ? 'in the baseline' : 'now'}` };
  const scale = Math.abs(b.mean);
  const change = scale === 0 ? (n.mean === b.mean ? 0 : Infinity * Math.sign(n.mean - b.mean)) : (n.mean - b.mean) / scale;
  const worse = higherIsWorse ? change : -change;
  const allowed = Math.max(tolerance ?? 0, scale === 0 ? 0 : (sigmas * sigma) / scale);
  const notes: string[] = [];
  if (b.n < 2) notes.push('one baseline seed: σ = 0, only the relative tolerance applies');
  else if (allowed > (tolerance ?? 0)) notes.push(`${sigmas}σ (σ = ${sigma.toPrecision(3)}) wider than the tolerance`);
  return {
    ...base,
    change,
    allowed,
    verdict: worse > allowed ? 'fail' : 'pass',
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}
