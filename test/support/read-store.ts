// What MLflow's own reader (the port in mlflow-reader.ts) sees in a file store, in canonical form.
import { MlflowFileStoreReader } from './mlflow-reader.js';
import type { CanonRun } from './sweep-script.js';

export function canonFromFileStore(root: string, experimentName: string): CanonRun[] {
  const reader = new MlflowFileStoreReader(root);
  const exp = reader.getExperimentByName(experimentName);
  if (!exp) throw new Error(`experiment ${experimentName} not found in ${root}`);
  const runs = reader.searchRuns([exp.experiment_id]);
  const names = new Map(runs.map((r) => [r.info.run_id, r.info.run_name ?? '']));
  return runs.map((r) => {
    const parentId = r.data.tags['mlflow.parentRunId'];
    if (parentId !== undefined && !names.has(parentId)) throw new Error(`run ${r.info.run_id}: parent ${parentId} is not in the experiment`);
    const metrics: CanonRun['metrics'] = {};
    for (const key of Object.keys(r.data.metrics)) {
      metrics[key] = reader.getMetricHistory(r.info.run_id, key).map((m) => [m.timestamp, m.value, m.step]);
    }
    const artifacts = Object.fromEntries(reader.listArtifacts(r.info.run_id)
      .map((p) => [p, reader.readArtifact(r.info.run_id, p).toString('base64')]));
    return {
      name: r.info.run_name ?? '',
      parentName: parentId === undefined ? null : names.get(parentId)!,
      status: r.info.status,
      startTime: r.info.start_time,
      endTime: r.info.end_time,
      params: r.data.params,
      tags: r.data.tags,
      metrics,
      artifacts,
    };
  });
}
