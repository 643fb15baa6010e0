// `run-sweep check` in MLflow's words: each check is a run of its own in the experiment (tag
// run_sweep.role=check, its verdict as run_sweep.check_verdict, the table as check.json), so a
// report finds the verdicts later; and a baseline read back from the local file store
// (`--baseline mlflow:<experiment>`): the last finished sweep's trials, grouped by configuration.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { RunSweepError } from '../errors.js';
import type { TrialConfig } from '../config/types.js';
import { configId } from '../plan/config-id.js';
import { CheckFileError, configurationConfig, type Baseline, type BaselineConfiguration } from '../check/baseline.js';
import type { Verdict } from '../check/compare.js';
import { latestValue, listExperiments, listRuns, readKeyValues, readMetricHistories, type StoredRun } from './store-reader.js';
import { sourceTags } from './source-tags.js';
import { ROLE_TAG, TRIAL_METRICS, VERSION_PARAM } from './sweep-recorder.js';
import { TRIAL_ID_TAG } from './run-tags.js';
import type { Tracker } from './tracker.js';

export const CHECK_VERDICT_TAG = 'run_sweep.check_verdict';
export const CHECK_BASELINE_TAG = 'run_sweep.check_baseline';

export interface CheckRecord {
  experiment: string;
  /** the experiment file, for MLflow's source tags */
  file: string;
  version: string;
  /** what the sweep was compared with: a file path or mlflow:<experiment> */
  baseline: string;
  verdicts: Verdict[];
  time: number;
}

/** Records a check as its own run; returns its run id. */
export async function recordCheck(tracker: Tracker, record: CheckRecord): Promise<string> {
  const experimentId = await tracker.experiment(record.experiment);
  const pass = record.verdicts.every((v) => v.verdict === 'pass');
  const stamp = new Date(record.time).toISOString().slice(0, 19).replace('T', ' ');
  const run = await tracker.createRun(experimentId, {
    runName: `check ${stamp} UTC`,
    startTime: record.time,
    tags: {
      ...sourceTags(record.file),
      [ROLE_TAG]: 'check',
      [CHECK_VERDICT_TAG]: pass ? 'pass' : 'fail',
      [CHECK_BASELINE_TAG]: record.baseline.slice(0, 5000),
    },
    params: { [VERSION_PARAM]: record.version },
  });
  const verdicts = record.verdicts.map(({ configId: id, label, metric, baseline, now, change, allowed, verdict, note }) => ({
    configId: id, label, metric, baseline, now,
    // JSON has no Infinity: an infinite change (from a baseline of 0) is written as null with its note
    change: change !== null && Number.isFinite(change) ? change : null,
    allowed, verdict, ...(note !== undefined ? { note } : {}),
  }));
  await tracker.logArtifact(run, 'check.json', `${JSON.stringify({ baseline: record.baseline, verdicts }, null, 2)}\n`);
  await tracker.logMetrics(run, [
    { key: 'check_comparisons', value: verdicts.length, step: 0, timestamp: record.time },
    { key: 'check_failures', value: verdicts.filter((v) => v.verdict === 'fail').length, step: 0, timestamp: record.time },
  ]);
  await tracker.endRun(run, 'FINISHED', Date.now());
  return run.runId;
}

/**
 * The baseline a local MLflow file store holds for an experiment: the trials of its last finished
 * sweep (the newest FINISHED run tagged run_sweep.role=sweep; the trials are those its sweep.yaml
 * lists, including ones it reused from earlier sweeps), each trial's newest FINISHED run found by
 * its run_sweep.trial_id tag, its figures from the trial_* metrics and its configuration from its
 * config.yaml artifact. Corpus digests are not in the store: the returned baseline has none.
 */
export function readStoreBaseline(storeDir: string, experimentName: string, identity: (corpus: string) => string): Baseline {
  const where = `mlflow:${experimentName}`;
  const hint = 'run the sweep (or a check with --update-baseline and a file) first';
  const experiment = listExperiments(storeDir).find((e) => e.name === experimentName && e.lifecycleStage === 'active');
  if (experiment === undefined) throw new CheckFileError(`cannot read the baseline ${where}: no experiment '${experimentName}' in ${storeDir}; ${hint}`);
  const runs = listRuns(experiment, { onWarning: () => {} }).filter((r) => r.lifecycleStage === 'active');
  const tagsOf = new Map(runs.map((r) => [r.runId, readKeyValues(r.dir, 'tags')]));
  const sweeps = runs
    .filter((r) => r.status === 'FINISHED' && tagsOf.get(r.runId)?.[ROLE_TAG] === 'sweep')
    .sort((a, b) => (b.endTime ?? 0) - (a.endTime ?? 0));
  const parent = sweeps[0];
  if (parent === undefined) throw new CheckFileError(`cannot read the baseline ${where}: experiment '${experimentName}' in ${storeDir} has no finished sweep; ${hint}`);
  const listed = readSweepTrials(parent);
  const newest = new Map<string, StoredRun>();
  for (const r of runs) {
    const id = tagsOf.get(r.runId)?.[TRIAL_ID_TAG];
    if (id === undefined || r.status !== 'FINISHED' || !listed.has(id)) continue;
    const seen = newest.get(id);
    if (seen === undefined || (r.endTime ?? 0) > (seen.endTime ?? 0)) newest.set(id, r);
  }
  const configurations: Record<string, BaselineConfiguration> = {};
  for (const [trialId, run] of newest) {
    const config = readTrialConfig(run);
    const metrics = readMetricHistories(run.dir, { onWarning: () => {} });
    const value = (key: string): number | null => {
      const points = metrics[key];
      const v = points && points.length > 0 ? latestValue(points) : NaN;
      return Number.isFinite(v) ? v : null;
    };
    const id = configId(config, identity);
    const entry = (configurations[id] ??= { label: listed.get(trialId)!.replace(/(?:^| )(?:train\.)?seed=-?\d+$/, '') || 'base', config: configurationConfig(config), seeds: {} });
    entry.seeds[String(config.train.seed)] = {
      val_perplexity: value(TRIAL_METRICS.valPerplexity),
      train_perplexity: value(TRIAL_METRICS.trainPerplexity),
      tokens_per_second: value(TRIAL_METRICS.tokensPerSecond),
    };
  }
  const params = readKeyValues(parent.dir, 'params');
  return { format: 1, experiment: experimentName, version: params[VERSION_PARAM] ?? 'unknown', corpora: {}, configurations, source: `${where} (sweep run ${parent.runId})` };
}

/** trial id → label, from the sweep run's sweep.yaml artifact. */
function readSweepTrials(parent: StoredRun): Map<string, string> {
  const file = path.join(parent.dir, 'artifacts', 'sweep.yaml');
  try {
    const doc = parse(fs.readFileSync(file, 'utf8')) as { trials?: { id: string; label: string }[] };
    return new Map((doc.trials ?? []).map((t) => [String(t.id), String(t.label)]));
  } catch (err) {
    throw new RunSweepError('store', `cannot read ${file}: ${(err as Error).message}`);
  }
}

function readTrialConfig(run: StoredRun): TrialConfig {
  const file = path.join(run.dir, 'artifacts', 'config.yaml');
  try {
    return parse(fs.readFileSync(file, 'utf8')) as TrialConfig;
  } catch (err) {
    throw new RunSweepError('store', `cannot read ${file}: ${(err as Error).message}`);
  }
}
