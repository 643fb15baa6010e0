import type { ExperimentConfig, TrialConfig } from '../config/types.js';
import { setPath } from '../config/paths.js';
import { gridPoints } from './grid.js';
import { shortHash } from './trial-id.js';

export interface Trial {
  /** stable: a hash of everything that shapes the trial's results */
  id: string;
  config: TrialConfig;
  /**
   * the values this trial sets: each grid path in grid order, then each path only sweep.include
   * sets, then `train.seed` when the sweep has seeds. Every trial of a sweep has the same paths.
   */
  varying: Record<string, unknown>;
  /** readable run name, e.g. "cell=lstm hidden_size=256 seed=1" */
  label: string;
}

export interface PlanOptions {
  /**
   * What identifies a corpus in trial ids. A path corpus is best named by its content, so that the
   * same file reached through another relative path (or moved) keeps its trials' ids.
   */
  corpusIdentity?: (corpus: string) => string;
}

/** Expands the sweep's points (grid less exclude, plus include), times the seeds, into trials in a fixed order. */
export function expandTrials(config: ExperimentConfig, options: PlanOptions = {}): Trial[] {
  const { paths, points } = gridPoints(config);
  const seeds = config.sweep.seeds;
  const axes = seeds === null ? paths : [...paths, 'train.seed'];
  const names = shortNames(axes);
  const identity = options.corpusIdentity ?? ((corpus: string) => corpus);

  const { sweep: _sweep, ...base } = config;
  const withSeeds = seeds === null ? points : points.flatMap((point) => seeds.map((seed) => [...point, seed]));
  return withSeeds.map((point) => {
    const trialConfig = structuredClone(base) as TrialConfig;
    const varying: Record<string, unknown> = {};
    axes.forEach((path, i) => {
      setPath(trialConfig, path, structuredClone(point[i]));
      varying[path] = point[i];
    });
    return {
      id: trialId(trialConfig, identity),
      config: trialConfig,
      varying,
      label: axes.map((_axis, i) => `${names[i]}=${formatValue(point[i])}`).join(' ') || 'base',
    };
  });
}

/**
 * The id covers everything that shapes a trial's numbers — data, model, training, sampling and the
 * backend that computes them — and leaves out the name, description and tracking, so renaming an
 * experiment or switching where it is tracked does not make finished trials look new.
 */
function trialId(config: TrialConfig, corpusIdentity: (corpus: string) => string): string {
  const { data, model, train, sample, engine } = config;
  // engine.blas is left out, as the kernels' build is: where the products run changes their
  // rounding, not what is trained, and ids from before it existed stay the same.
  const { backend, path } = engine;
  return shortHash({ data: { ...data, corpus: corpusIdentity(data.corpus) }, model, train, sample, engine: { backend, path } });
}

/** The last segment of each dotted path, or the whole path where two last segments collide. */
function shortNames(paths: string[]): string[] {
  const last = paths.map((p) => p.slice(p.lastIndexOf('.') + 1));
  return paths.map((p, i) => (last.filter((l) => l === last[i]).length > 1 ? p : last[i]));
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The values that differ across trials, for tables: each grid path (and the seed) in order. */
export function varyingPaths(trials: Trial[]): string[] {
  return trials.length === 0 ? [] : Object.keys(trials[0].varying);
}
