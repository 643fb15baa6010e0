// Runs of one experiment as MLflow's own reader (the port in mlflow-reader.ts) sees them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MlflowFileStoreReader, type Run } from './mlflow-reader.js';

/** Every run of the experiment in `cwd/runs`, or [] when the store or the experiment does not exist. */
export function storeRuns(cwd: string, experiment: string): Run[] {
  const root = join(cwd, 'runs');
  if (!existsSync(root)) return [];
  const reader = new MlflowFileStoreReader(root);
  const exp = reader.getExperimentByName(experiment);
  return exp ? reader.searchRuns([exp.experiment_id]) : [];
}

export function trialRuns(cwd: string, experiment: string): Run[] {
  return storeRuns(cwd, experiment).filter((r) => r.data.tags['run_sweep.trial_id'] !== undefined);
}

export function parentRuns(cwd: string, experiment: string): Run[] {
  return storeRuns(cwd, experiment).filter((r) => r.data.tags['run_sweep.role'] === 'sweep');
}
