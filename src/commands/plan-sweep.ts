// What `run-sweep <file>`, `check` and `submit` do before anything is recorded: load the file,
// choose the tracking URI, redact it, expand and select the trials, and (unless --dry-run) check
// everything that can be known before training. One path, so the three agree on every error.
import { loadExperiment } from '../config/load.js';
import { trackingUriProblem } from '../config/tracking-uri.js';
import type { ExperimentConfig } from '../config/types.js';
import { RunSweepError } from '../errors.js';
import { corpusIdentity } from '../plan/corpus-identity.js';
import { expandTrials, type Trial } from '../plan/expand.js';
import { preflight, type TrialSizing } from '../plan/preflight.js';
import { selectTrials } from '../plan/select.js';
import { redactUri } from '../track/secrets.js';
import type { Io } from './io.js';

export interface PlanRequest {
  file: string;
  set: string[];
  only: string[];
  trackingUri: string | null;
}

export interface PlannedSweep {
  /** the resolved experiment, tracking.uri redacted: what every run records */
  config: ExperimentConfig;
  file: string;
  dir: string;
  /** the tracking URI to open, credentials included (flag, file, environment; null for ./runs) */
  uri: string | null;
  /** the MLflow experiment: tracking.experiment, else name */
  experiment: string;
  /** every trial of the grid, and those --only keeps */
  all: Trial[];
  trials: Trial[];
}

export function planSweep(request: PlanRequest, io: Io): PlannedSweep {
  const loaded = loadExperiment(request.file, { set: request.set });
  const { file, dir } = loaded;
  const uri = chooseTrackingUri(request.trackingUri, loaded.config.tracking.uri, io.env);
  // From here on the config never holds a password: tracking.uri is kept redacted in every run's
  // params and config.yaml; the credentials travel only inside the tracker.
  const config = { ...loaded.config, tracking: { ...loaded.config.tracking, uri: loaded.config.tracking.uri === null ? null : redactUri(loaded.config.tracking.uri) } };
  const all = expandTrials(config, { corpusIdentity: corpusIdentity(dir) });
  const trials = selectTrials(all, request.only);
  // tracking.uri was checked with the file; a URI from the flag or the environment is checked here.
  const uriProblem = uri === null || uri === loaded.config.tracking.uri ? undefined : trackingUriProblem(uri);
  if (uriProblem !== undefined) {
    throw new RunSweepError('tracking', `${request.trackingUri !== null ? '--tracking-uri' : 'MLFLOW_TRACKING_URI'}: ${uriProblem}`);
  }
  return { config, file, dir, uri, experiment: config.tracking.experiment ?? config.name, all, trials };
}

/** The tracking URI by precedence: --tracking-uri, then the file's tracking.uri, then $MLFLOW_TRACKING_URI; null means ./runs. */
export function chooseTrackingUri(flag: string | null | undefined, fileUri: string | null, env: NodeJS.ProcessEnv): string | null {
  return flag ?? fileUri ?? (env.MLFLOW_TRACKING_URI || null);
}

/** Corpora, data shapes and model sizes, checked before any run exists (exit 2, nothing written). */
export function checkBeforeTraining(plan: PlannedSweep): Promise<Map<string, TrialSizing>> {
  return preflight(plan.trials, { file: plan.file, baseDir: plan.dir, maxMemoryMb: plan.config.sweep.max_memory_mb });
}
