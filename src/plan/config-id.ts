// A configuration: the trials of a sweep that differ only by seed. Seeds are replicates of one
// configuration, so the summary, the parent run and `run-sweep check` speak of configurations,
// never of a configuration's luckiest seed.
import type { TrialConfig } from '../config/types.js';
import type { Trial } from './expand.js';
import { shortHash } from './trial-id.js';

/**
 * The configuration id: the trial id's hash (see trialId in expand.ts: data with the corpus's
 * identity, model, train, sample, engine.backend and engine.path) over the same config with
 * train.seed removed. trialId is private to expand.ts, so this mirrors it;
 * test/summary-replicates.test.ts fails when the two cover different keys. Stable for
 * the same reasons trial ids are; two trials share it exactly when only their seed differs.
 */
export function configId(config: TrialConfig, corpusIdentity: (corpus: string) => string = (c) => c): string {
  const { data, model, train, sample, engine } = config;
  const { seed: _seed, ...unseeded } = train;
  // As in trialId: engine.blas changes rounding, not what is trained, and is left out.
  const { backend, path } = engine;
  return shortHash({ data: { ...data, corpus: corpusIdentity(data.corpus) }, model, train: unseeded, sample, engine: { backend, path } });
}

/** The trial's label less its seed: "cell=lstm seed=1" → "cell=lstm"; "base" when only the seed varies. */
export function configLabel(trialLabel: string): string {
  // The seed is always the last axis of a label (expand.ts), named `seed` or, were another key
  // called seed, `train.seed`.
  const label = trialLabel.replace(/(?:^| )(?:train\.)?seed=-?\d+$/, '');
  return label === '' ? 'base' : label;
}

/** The trial's grid values without the seed. */
export function configVarying(trial: Trial): Record<string, unknown> {
  const { 'train.seed': _seed, ...rest } = trial.varying;
  return rest;
}

export interface Configuration<T> {
  id: string;
  label: string;
  /** the items of this configuration's trials, in the order given (the sweep's: by seed) */
  members: T[];
}

/** Groups items by their trial's configuration, in order of first appearance. */
export function groupByConfiguration<T>(items: readonly T[], trialOf: (item: T) => Trial, corpusIdentity?: (corpus: string) => string): Configuration<T>[] {
  const groups = new Map<string, Configuration<T>>();
  for (const item of items) {
    const trial = trialOf(item);
    const id = configId(trial.config, corpusIdentity);
    let group = groups.get(id);
    if (group === undefined) groups.set(id, (group = { id, label: configLabel(trial.label), members: [] }));
    group.members.push(item);
  }
  return [...groups.values()];
}
