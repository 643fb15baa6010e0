// What the HTML report shows, computed from an experiment's runs: the trials (the latest finished
// run of each trial id), grouped into configurations (trials whose params differ only by
// train.seed), each configuration's mean ± sample std over its seeds, its learning curves (mean
// per epoch with the min–max band over seeds), the samples, the failed and killed trials, and the
// latest `run-sweep check`. Plain data: render.ts turns it into HTML, client.ts into charts.
import { configId } from '../../plan/config-id.js';
import { corpusIdentity as corpusIdentityOf } from '../../plan/corpus-identity.js';
import type { TrialConfig } from '../../config/types.js';
import type { MetricPoint } from '../../track/tracker.js';
import type { RunInfo, RunReader } from '../../track/run-reader.js';
import { TRIAL_ID_TAG } from '../../track/run-tags.js';
import { EPOCH_METRICS, FAILURE_TAG, ROLE_TAG, SEES_FUTURE_TAG, TRIAL_METRICS } from '../../track/sweep-recorder.js';

/** The sections of a trial's config: its params under these prefixes define its configuration. */
const CONFIG_SECTIONS = ['data.', 'model.', 'train.', 'sample.', 'engine.'];
export const SEED_PARAM = 'train.seed';
const CURVE_METRICS = [EPOCH_METRICS.trainPerplexity, EPOCH_METRICS.valPerplexity] as const;
const FINAL_METRICS = [TRIAL_METRICS.trainPerplexity, TRIAL_METRICS.valPerplexity, TRIAL_METRICS.tokensPerSecond];

export interface Stat {
  /** null when no seed has a finite value */
  mean: number | null;
  /** sample standard deviation (n − 1); null below two values */
  std: number | null;
  /** the values it is computed from */
  n: number;
}

/** One curve of a configuration over epochs: the mean over seeds and the band (min and max over seeds). */
export interface Curve {
  mean: Array<number | null>;
  min: Array<number | null>;
  max: Array<number | null>;
}

export interface ConfigView {
  id: string;
  /** the values that vary between configurations, e.g. "cell=gru lr=0.5"; "base" when only the seed varies */
  label: string;
  /** varying param → this configuration's value */
  values: Record<string, string>;
  /** finished seeds */
  n: number;
  /** trials of this configuration with no finished run (failed, killed, still running) */
  unfinished: number;
  seesFuture: boolean;
  val: Stat;
  train: Stat;
  tokensPerSecond: Stat;
  /** epochs (steps) shared by the curves: the union over its seeds */
  epochs: number[];
  curves: { train: Curve; val: Curve };
}

export interface SampleView {
  epoch: number;
  prefix: string;
  text: string;
}

export interface TrialView {
  trialId: string;
  configId: string;
  seed: string;
  runId: string;
  runName: string;
  samples: SampleView[];
}

export interface FailureView {
  trialId: string;
  configLabel: string;
  seed: string;
  runId: string;
  runName: string;
  status: string;
  /** the run_sweep.failure tag: diverged, timeout, out-of-memory, ... */
  reason: string;
  /** error.txt, trimmed */
  error: string;
}

export interface CheckVerdictView {
  configId: string;
  label: string;
  metric: string;
  baseline: unknown;
  now: unknown;
  change: unknown;
  allowed: unknown;
  verdict: string;
  /** why, for rows the numbers alone do not explain */
  note: string;
}

export interface CheckView {
  runId: string;
  runName: string;
  startTime: number;
  baseline: string;
  verdicts: CheckVerdictView[];
}

export interface ReportData {
  experiment: string;
  /** where runs were read from, credentials redacted */
  source: string;
  /** ISO time the report was made */
  generatedAt: string;
  /** the params that differ between configurations, in a stable order */
  varying: string[];
  /** config params every configuration shares */
  shared: Record<string, string>;
  configs: ConfigView[];
  trials: TrialView[];
  failures: FailureView[];
  check: CheckView | null;
  /** things worth a line: runs still running, a check.json that could not be read */
  notes: string[];
}

export interface CollectOptions {
  experiment: string;
  source: string;
  /** what identifies a path corpus in configuration ids (default: its path as recorded) */
  corpusIdentity?: (corpus: string) => string;
  now?: Date;
}

const isTrialRun = (r: RunInfo): boolean =>
  r.tags[TRIAL_ID_TAG] !== undefined && r.tags[ROLE_TAG] !== 'sweep' && r.tags[ROLE_TAG] !== 'check';

/** The later of two runs: end time, then start time, then id (stable). */
function later(a: RunInfo, b: RunInfo): boolean {
  const ea = a.endTime ?? a.startTime;
  const eb = b.endTime ?? b.startTime;
  return ea !== eb ? ea > eb : a.startTime !== b.startTime ? a.startTime > b.startTime : a.runId > b.runId;
}

/** The config params of a run without its seed, as a grouping key. */
export function configParams(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params)
    .filter(([k]) => CONFIG_SECTIONS.some((s) => k.startsWith(s)) && k !== SEED_PARAM)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A param value back to what flattenConfig wrote it from: JSON for non-strings, the string itself otherwise. */
function paramValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The configuration id config-id.ts gives, from a run's params (flattened config) instead of the trial. */
export function configIdOfParams(params: Record<string, string>, corpusIdentity: (corpus: string) => string = (c) => c): string {
  const config: Record<string, Record<string, unknown>> = { data: {}, model: {}, train: {}, sample: {}, engine: {} };
  for (const [k, v] of Object.entries(params)) {
    const dot = k.indexOf('.');
    const section = config[k.slice(0, dot)];
    if (section === undefined || !CONFIG_SECTIONS.includes(k.slice(0, dot + 1))) continue;
    // data.corpus is always a string (a name or a path), even one that reads as JSON
    section[k.slice(dot + 1)] = k === 'data.corpus' ? v : paramValue(v);
  }
  return configId(config as unknown as TrialConfig, corpusIdentity);
}

/** "cell=gru lr=0.5": the last segment of each path, or the whole path where two collide. */
export function labelOf(values: Record<string, string>, keys: string[]): string {
  const last = keys.map((k) => k.slice(k.lastIndexOf('.') + 1));
  const names = keys.map((k, i) => (last.filter((l) => l === last[i]).length > 1 ? k : last[i]!));
  return keys.map((k, i) => `${names[i]}=${values[k] ?? ''}`).join(' ') || 'base';
}

export function stat(values: Array<number | null | undefined>): Stat {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: null, std: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: null, n };
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n };
}

/** The value of each step (the latest logged for a step that was logged twice, as MLflow shows it). */
export function byStep(points: MetricPoint[] | undefined): Map<number, number> {
  const out = new Map<number, { value: number; timestamp: number }>();
  for (const p of points ?? []) {
    const prev = out.get(p.step);
    if (!prev || p.timestamp >= prev.timestamp) out.set(p.step, { value: p.value, timestamp: p.timestamp });
  }
  return new Map([...out].map(([s, v]) => [s, v.value]));
}

function lastValue(points: MetricPoint[] | undefined): number | null {
  const steps = byStep(points);
  if (steps.size === 0) return null;
  return steps.get(Math.max(...steps.keys()))!;
}

/**
 * A samples/epoch_NNN.txt: blocks of `prefix: "<JSON string>"` on a line, then the generated text,
 * then a blank line. The text may hold newlines of its own: a block ends where the next header starts.
 */
export function parseSamples(epoch: number, content: string): SampleView[] {
  const out: SampleView[] = [];
  const header = /^prefix: ("(?:[^"\\]|\\.)*")$/;
  let current: { prefix: string; lines: string[] } | null = null;
  const flush = (): void => {
    if (current === null) return;
    out.push({ epoch, prefix: current.prefix, text: current.lines.join('\n').replace(/\n+$/, '') });
  };
  for (const line of content.split('\n')) {
    const m = header.exec(line);
    let prefix: string | null = null;
    if (m) {
      try {
        prefix = JSON.parse(m[1]!) as string;
      } catch {
        prefix = null;
      }
    }
    if (prefix !== null) {
      flush();
      current = { prefix, lines: [] };
    } else if (current !== null) {
      current.lines.push(line);
    }
  }
  flush();
  return out;
}

function curveOf(epochs: number[], perSeed: Array<Map<number, number>>): Curve {
  const curve: Curve = { mean: [], min: [], max: [] };
  for (const e of epochs) {
    const xs = perSeed.map((m) => m.get(e)).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (xs.length === 0) {
      curve.mean.push(null);
      curve.min.push(null);
      curve.max.push(null);
    } else {
      curve.mean.push(xs.reduce((a, b) => a + b, 0) / xs.length);
      curve.min.push(Math.min(...xs));
      curve.max.push(Math.max(...xs));
    }
  }
  return curve;
}

const numericOrText = (a: string, b: string): number => {
  const x = Number(a);
  const y = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
};

/** Reads the experiment's runs through the reader and computes the report. */
export async function collectReport(reader: RunReader, experimentId: string, opts: CollectOptions): Promise<ReportData> {
  const runs = await reader.listRuns(experimentId);
  const notes: string[] = [];
  const trialRuns = runs.filter(isTrialRun);

  // each trial id: its latest finished run, else its latest run of any status
  const finished = new Map<string, RunInfo>();
  const latest = new Map<string, RunInfo>();
  for (const r of trialRuns) {
    const id = r.tags[TRIAL_ID_TAG]!;
    const l = latest.get(id);
    if (!l || later(r, l)) latest.set(id, r);
    if (r.status !== 'FINISHED') continue;
    const f = finished.get(id);
    if (!f || later(r, f)) finished.set(id, r);
  }
  const chosen = [...latest.keys()].sort().map((id) => finished.get(id) ?? latest.get(id)!);

  // configurations: params without the seed
  const identity = opts.corpusIdentity ?? ((c: string) => c);
  const groups = new Map<string, { key: Record<string, string>; runs: RunInfo[] }>();
  for (const r of chosen) {
    const key = configParams(r.params);
    const k = JSON.stringify(key);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key, runs: [] }));
    g.runs.push(r);
  }
  const allKeys = [...new Set([...groups.values()].flatMap((g) => Object.keys(g.key)))].sort();
  const varying = allKeys.filter((k) => new Set([...groups.values()].map((g) => g.key[k] ?? '')).size > 1);
  const shared = Object.fromEntries(allKeys.filter((k) => !varying.includes(k)).map((k) => [k, [...groups.values()][0]!.key[k] ?? '']));

  const configs: ConfigView[] = [];
  const trials: TrialView[] = [];
  const failures: FailureView[] = [];
  for (const g of groups.values()) {
    const values = Object.fromEntries(varying.map((k) => [k, g.key[k] ?? '']));
    let id: string;
    try {
      id = configIdOfParams(g.key, identity);
    } catch {
      id = configIdOfParams(g.key);
    }
    const label = labelOf(values, varying);
    const done = g.runs.filter((r) => r.status === 'FINISHED')
      .sort((a, b) => numericOrText(a.params[SEED_PARAM] ?? '', b.params[SEED_PARAM] ?? ''));
    const histories: Array<Record<string, MetricPoint[]>> = [];
    for (const r of done) histories.push(await reader.metricHistories(experimentId, r.runId, [...CURVE_METRICS, ...FINAL_METRICS]));
    const final = (metric: string, fallback?: string): Array<number | null> =>
      histories.map((h) => lastValue(h[metric]) ?? (fallback ? lastValue(h[fallback]) : null));
    const perSeed = (metric: string): Array<Map<number, number>> => histories.map((h) => byStep(h[metric]));
    const epochs = [...new Set(histories.flatMap((h) => CURVE_METRICS.flatMap((m) => [...byStep(h[m]).keys()])))].sort((a, b) => a - b);
    configs.push({
      id,
      label,
      values,
      n: done.length,
      unfinished: g.runs.length - done.length,
      seesFuture: g.runs.some((r) => r.tags[SEES_FUTURE_TAG] === 'true'),
      val: stat(final(TRIAL_METRICS.valPerplexity, EPOCH_METRICS.valPerplexity)),
      train: stat(final(TRIAL_METRICS.trainPerplexity, EPOCH_METRICS.trainPerplexity)),
      tokensPerSecond: stat(final(TRIAL_METRICS.tokensPerSecond)),
      epochs,
      curves: { train: curveOf(epochs, perSeed(EPOCH_METRICS.trainPerplexity)), val: curveOf(epochs, perSeed(EPOCH_METRICS.valPerplexity)) },
    });
    for (const r of done) {
      const samples: SampleView[] = [];
      for (const file of await reader.listArtifacts(experimentId, r.runId, 'samples')) {
        const m = /^samples\/epoch_(\d+)\.txt$/.exec(file);
        if (!m) continue;
        const text = await reader.readArtifact(experimentId, r.runId, file);
        if (text !== null) samples.push(...parseSamples(Number(m[1]), text));
      }
      samples.sort((a, b) => a.epoch - b.epoch);
      trials.push({ trialId: r.tags[TRIAL_ID_TAG]!, configId: id, seed: r.params[SEED_PARAM] ?? '', runId: r.runId, runName: r.runName, samples });
    }
    for (const r of g.runs.filter((x) => x.status !== 'FINISHED')) {
      if (r.status === 'RUNNING' || r.status === 'SCHEDULED') {
        notes.push(`trial ${r.tags[TRIAL_ID_TAG]} (${label}, seed ${r.params[SEED_PARAM] ?? '?'}) has no finished run; its latest run ${r.runId} is ${r.status}`);
        continue;
      }
      const error = (await reader.readArtifact(experimentId, r.runId, 'error.txt'))?.trim() ?? '';
      failures.push({
        trialId: r.tags[TRIAL_ID_TAG]!,
        configLabel: label,
        seed: r.params[SEED_PARAM] ?? '',
        runId: r.runId,
        runName: r.runName,
        status: r.status,
        reason: r.tags[FAILURE_TAG] ?? '',
        error,
      });
    }
  }
  // best mean validation perplexity first; configurations without one last
  configs.sort((a, b) => (a.val.mean ?? Infinity) - (b.val.mean ?? Infinity) || (a.label < b.label ? -1 : 1));

  return {
    experiment: opts.experiment,
    source: opts.source,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    varying,
    shared,
    configs,
    trials,
    failures,
    check: await latestCheck(reader, experimentId, runs, notes),
    notes,
  };
}

async function latestCheck(reader: RunReader, experimentId: string, runs: RunInfo[], notes: string[]): Promise<CheckView | null> {
  const checks = runs.filter((r) => r.tags[ROLE_TAG] === 'check').sort((a, b) => b.startTime - a.startTime || (a.runId < b.runId ? 1 : -1));
  for (const run of checks) {
    const text = await reader.readArtifact(experimentId, run.runId, 'check.json');
    if (text === null) continue;
    try {
      const parsed = JSON.parse(text) as { baseline?: unknown; verdicts?: unknown };
      if (!Array.isArray(parsed.verdicts)) throw new Error('it has no verdicts list');
      const verdicts = parsed.verdicts.map((v: Record<string, unknown>) => ({
        configId: String(v.configId ?? ''),
        label: String(v.label ?? ''),
        metric: String(v.metric ?? ''),
        baseline: v.baseline ?? null,
        now: v.now ?? null,
        change: v.change ?? null,
        allowed: v.allowed ?? null,
        verdict: String(v.verdict ?? ''),
        note: typeof v.note === 'string' ? v.note : '',
      }));
      const baseline = typeof parsed.baseline === 'string' ? parsed.baseline : JSON.stringify(parsed.baseline ?? '');
      return { runId: run.runId, runName: run.runName, startTime: run.startTime, baseline, verdicts };
    } catch (err) {
      notes.push(`the check run ${run.runId}'s check.json could not be read: ${(err as Error).message.split('\n')[0]}`);
      return null;
    }
  }
  return null;
}

/** The corpus identity trial ids use, for an experiment file's directory; falls back to the path as recorded. */
export function corpusIdentityFor(baseDir: string): (corpus: string) => string {
  const of = corpusIdentityOf(baseDir);
  return (corpus) => {
    try {
      return of(corpus);
    } catch {
      return corpus;
    }
  };
}
