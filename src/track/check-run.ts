// `run-sweep check` in MLflow's words: each check is a run of its own in the experiment (tag
// run_sweep.role=check, its verdict as run_sweep.check_verdict, the table as check.json), so a
// report finds the verdicts later; and a baseline read back from the local file store
// (`--baseline mlflow:<experiment>`): the last finished sweep's trials, grouped by configuration.
import { parse } from 'yaml';
import { RunSweepError } from '../errors.js';
import type { TrialConfig } from '../config/types.js';
import { configId } from '../plan/config-id.js';
import { CheckFileError, configurationConfig, type Baseline, type BaselineConfiguration } from '../check/baseline.js';
import type { Verdict } from '../check/compare.js';
import type { RunInfo, RunReader } from './run-reader.js';
import { latestValue } from './store-reader.js';
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
 * The baseline a tracking store holds for an experiment (a local file store or a server, through
 * the same RunReader the report uses): the trials of its last finished sweep (the newest FINISHED
 * run tagged run_sweep.role=sweep; the trials are those its sweep.yaml lists, including ones it
 * reused from earlier sweeps), each trial's newest FINISHED run found by its run_sweep.trial_id
 * tag, its figures from the trial_* metrics and its configuration from its config.yaml artifact.
 * Corpus digests are not in the store: the returned baseline has none.
 */
export async function readStoreBaseline(reader: RunReader, experimentName: string, identity: (corpus: string) => string): Promise<Baseline> {
  const where = `mlflow:${experimentName}`;
  const hint = 'run the sweep (or a check with --update-baseline and a file) first';
  const experimentId = await reader.findExperiment(experimentName);
  if (experimentId === null) throw new CheckFileError(`cannot read the baseline ${where}: no experiment '${experimentName}' in ${reader.location}; ${hint}`);
  const runs = await reader.listRuns(experimentId);
  const sweeps = runs
    .filter((r) => r.status === 'FINISHED' && r.tags[ROLE_TAG] === 'sweep')
    .sort((a, b) => (b.endTime ?? 0) - (a.endTime ?? 0));
  const parent = sweeps[0];
  if (parent === undefined) throw new CheckFileError(`cannot read the baseline ${where}: experiment '${experimentName}' in ${reader.location} has no finished sweep; ${hint}`);
  const listed = await readSweepTrials(reader, experimentId, parent.runId);
  const newest = new Map<string, RunInfo>();
  for (const r of runs) {
    const id = r.tags[TRIAL_ID_TAG];
    if (id === undefined || r.status !== 'FINISHED' || !listed.has(id)) continue;
    const seen = newest.get(id);
    if (seen === undefined || (r.endTime ?? 0) > (seen.endTime ?? 0)) newest.set(id, r);
  }
  const configurations: Record<string, BaselineConfiguration> = {};
  for (const [trialId, run] of newest) {
    const config = await readTrialConfig(reader, experimentId, run.runId);
    const metrics = await reader.metricHistories(experimentId, run.runId, Object.values(TRIAL_METRICS));
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
  return { format: 1, experiment: experimentName, version: parent.params[VERSION_PARAM] ?? 'unknown', corpora: {}, configurations, source: `${where} (sweep run ${parent.runId})` };
}

/** trial id → label, from the sweep run's sweep.yaml artifact. */
async function readSweepTrials(reader: RunReader, experimentId: string, runId: string): Promise<Map<string, string>> {
  const doc = await readYamlArtifact<{ trials?: { id: string; label: string }[] }>(reader, experimentId, runId, 'sweep.yaml');
  return new Map((doc.trials ?? []).map((t) => [String(t.id), String(t.label)]));
}

function readTrialConfig(reader: RunReader, experimentId: string, runId: string): Promise<TrialConfig> {
  return readYamlArtifact<TrialConfig>(reader, experimentId, runId, 'config.yaml');
}

async function readYamlArtifact<T>(reader: RunReader, experimentId: string, runId: string, artifact: string): Promise<T> {
  const text = await reader.readArtifact(experimentId, runId, artifact);
  const where = `${artifact} of run ${runId} in ${reader.location}`;
  if (text === null) throw new RunSweepError('store', `cannot read ${where}: it is missing`);
  try {
    return parse(text) as T;
  } catch (err) {
    throw new RunSweepError('store', `cannot read ${where}: ${(err as Error).message.split('\n')[0]}`);
  }
}
