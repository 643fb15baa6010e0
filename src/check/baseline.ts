// A check's baseline: what each configuration (trials differing only by seed) measured, seed by
// seed, with what it was trained on. Written with sorted keys, 2-space JSON and a final newline so
// that a baseline update reviews as a small diff.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileWhole } from '../write-file.js';
import type { TrialConfig } from '../config/types.js';
import { loadCorpusText } from '../data/corpus.js';
import { RunSweepError } from '../errors.js';
import { configId, configLabel } from '../plan/config-id.js';
import type { Trial } from '../plan/expand.js';
import type { TrialReport } from '../scheduler/events.js';

/** The metrics a check compares, by the names `check.metrics` and the baseline use. */
export const CHECK_METRICS = ['val_perplexity', 'train_perplexity', 'tokens_per_second'] as const;
export type CheckMetric = (typeof CHECK_METRICS)[number];

/** one seed's final figures; null where the trial had none (no validation split) */
export type SeedValues = Record<CheckMetric, number | null>;

export interface BaselineConfiguration {
  label: string;
  /** the configuration's resolved config: what its trial ids hash, less train.seed */
  config: Omit<TrialConfig, 'name' | 'description' | 'tracking' | 'check'>;
  /** seed → that trial's values */
  seeds: Record<string, SeedValues>;
}

export interface Baseline {
  format: 1;
  experiment: string;
  /** run-sweep's version that wrote it */
  version: string;
  /** corpus name (as data.corpus says it) → "sha256:<hex>" of its text as loaded for training */
  corpora: Record<string, string>;
  /** configuration id → what it measured */
  configurations: Record<string, BaselineConfiguration>;
  /** where a baseline read from a tracking store came from (not written to files) */
  source?: string;
}

/** The SHA-256 of each corpus's text as training loads it, named as data.corpus names it. */
export async function corpusDigests(trials: readonly Trial[], dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of new Set(trials.map((t) => t.config.data.corpus))) {
    const text = await loadCorpusText(name, dir);
    out[name] = `sha256:${createHash('sha256').update(text).digest('hex')}`;
  }
  return out;
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** The configuration's part of a trial config: what the ids cover, train.seed removed. */
export function configurationConfig(config: TrialConfig): BaselineConfiguration['config'] {
  const { data, model, train, sample, engine } = config;
  const { seed: _seed, ...unseeded } = train;
  return { data, model, train: unseeded as TrialConfig['train'], sample, engine: { backend: engine.backend, path: engine.path } as TrialConfig['engine'] };
}

/** The configurations of finished (or reused) trials, keyed by configuration id. */
export function configurationsOf(reports: readonly TrialReport[], identity: (corpus: string) => string): Record<string, BaselineConfiguration> {
  const out: Record<string, BaselineConfiguration> = {};
  for (const r of reports) {
    if (r.status !== 'finished' && r.status !== 'reused') continue;
    const id = configId(r.trial.config, identity);
    const entry = (out[id] ??= { label: configLabel(r.trial.label), config: configurationConfig(r.trial.config), seeds: {} });
    entry.seeds[String(r.trial.config.train.seed)] = {
      val_perplexity: finite(r.figures.valPerplexity),
      train_perplexity: finite(r.figures.trainPerplexity),
      tokens_per_second: finite(r.figures.tokensPerSecond),
    };
  }
  return out;
}

/** Object keys sorted at every depth, arrays kept in order. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, sorted(obj[k])]));
}

export function serializeBaseline(baseline: Baseline): string {
  const { source: _source, ...stored } = baseline;
  return `${JSON.stringify(sorted(stored), null, 2)}\n`;
}

export function writeBaseline(file: string, baseline: Baseline): void {
  try {
    writeFileWhole(file, serializeBaseline(baseline));
  } catch (err) {
    throw new CheckFileError(`cannot write the baseline ${file}: ${(err as Error).message}`);
  }
}

/**
 * A baseline or check output that cannot be read or written: exit 2, printed by checkCommand as one
 * `run-sweep: …` line (the error table has no kind of its own for it; 'config' gives the exit code).
 */
export class CheckFileError extends RunSweepError {
  override name = 'CheckFileError';
  constructor(message: string) {
    super('config', message);
  }
}

export const UPDATE_HINT = 'run the check with --update-baseline to record one from this sweep';

/** The baseline file, checked for shape; a missing or unreadable one is a one-line RunSweepError (exit 2) with the hint. */
export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new CheckFileError(`cannot read the baseline ${file}: ${why}; ${UPDATE_HINT}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CheckFileError(`the baseline ${file} is not JSON (${(err as Error).message}); ${UPDATE_HINT}`);
  }
  const problem = baselineProblem(data);
  if (problem !== undefined) throw new CheckFileError(`the baseline ${file} is not a run-sweep baseline: ${problem}; ${UPDATE_HINT}`);
  return data as Baseline;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function baselineProblem(data: unknown): string | undefined {
  if (!isObject(data)) return 'expected a JSON object';
  if (data.format !== 1) return `unknown format ${JSON.stringify(data.format)} (expected 1)`;
  if (!isObject(data.corpora)) return "'corpora' is not an object";
  if (!isObject(data.configurations)) return "'configurations' is not an object";
  for (const [id, c] of Object.entries(data.configurations)) {
    if (!isObject(c) || typeof c.label !== 'string' || !isObject(c.seeds)) return `configuration ${id} lacks a label or seeds`;
    for (const [seed, values] of Object.entries(c.seeds)) {
      if (!isObject(values)) return `configuration ${id} seed ${seed} is not an object`;
      for (const m of CHECK_METRICS) {
        if (values[m] !== null && typeof values[m] !== 'number') return `configuration ${id} seed ${seed}: ${m} is not a number or null`;
      }
    }
  }
  return undefined;
}
