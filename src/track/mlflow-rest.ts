// The server sink: the Tracker interface over an MLflow tracking server's REST API. Every call
// waits for the server; MirroredTracker is what feeds it from a background queue.
import type { DatasetInput, FinishedTrial, MetricPoint, NewRun, RunRef, RunStatus, Tracker } from './tracker.js';
import { validateArtifactPath, validateEntries, validateKey } from './keys.js';
import { validateDatasetInput } from './file-store.js';
import { MlflowApi, fromApiValue, type ApiRun } from './mlflow-api.js';
import { RestClient, type RestClientOptions } from './rest-client.js';
import { OWNER_TAG, TRIAL_ID_TAG, USER_TAG, isAbandoned, runTags } from './run-tags.js';

export class RestTracker implements Tracker {
  /** the server's URI with credentials redacted */
  readonly location: string;
  readonly api: MlflowApi;
  private readonly artifactUris = new Map<string, string>();
  private readonly now: () => number;

  constructor(uri: string, opts: RestClientOptions & { now?: () => number } = {}) {
    const client = new RestClient(uri, opts);
    this.api = new MlflowApi(client);
    this.location = client.location;
    this.now = opts.now ?? Date.now;
  }

  experiment(name: string): Promise<string> {
    return this.api.ensureExperiment(name);
  }

  async createRun(experimentId: string, run: NewRun): Promise<RunRef> {
    const tags = runTags(run, run.parent?.runId);
    validateEntries('tag', tags);
    validateEntries('param', run.params);
    const created = await this.api.createRun({
      experimentId, runName: run.runName, startTime: run.startTime, userId: tags[USER_TAG] ?? '', tags,
    });
    const ref = { experimentId, runId: created.info.run_id };
    if (created.info.artifact_uri) this.artifactUris.set(ref.runId, created.info.artifact_uri);
    if (Object.keys(run.params).length > 0) await this.api.logBatch(ref.runId, { params: run.params });
    return ref;
  }

  async logMetrics(run: RunRef, metrics: MetricPoint[]): Promise<void> {
    for (const m of metrics) {
      validateKey('metric', m.key);
      if (!Number.isSafeInteger(m.step)) throw new TypeError(`metric '${m.key}': step must be an integer`);
      if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) throw new TypeError(`metric '${m.key}': timestamp must be a non-negative integer (ms)`);
    }
    if (metrics.length > 0) await this.api.logBatch(run.runId, { metrics });
  }

  async logParams(run: RunRef, params: Record<string, string>): Promise<void> {
    validateEntries('param', params);
    if (Object.keys(params).length > 0) await this.api.logBatch(run.runId, { params });
  }

  async setTags(run: RunRef, tags: Record<string, string>): Promise<void> {
    validateEntries('tag', tags);
    const entries = Object.entries(tags);
    if (entries.length === 1) await this.api.setTag(run.runId, entries[0]![0], entries[0]![1]);
    else if (entries.length > 1) await this.api.logBatch(run.runId, { tags });
  }

  async logInputs(run: RunRef, inputs: DatasetInput[]): Promise<void> {
    for (const input of inputs) validateDatasetInput(input);
    await this.api.logInputs(run.runId, inputs);
  }

  /** the run's artifact_uri as the server gave it, or MLflow's default for a proxied store */
  artifactUri(run: RunRef): string {
    return this.artifactUris.get(run.runId) ?? `mlflow-artifacts:/${run.experimentId}/${run.runId}/artifacts`;
  }

  async logArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    validateArtifactPath(path);
    const uri = this.artifactUri(run);
    await this.api.uploadArtifact(uri, path, typeof content === 'string' ? Buffer.from(content) : content);
  }

  async endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    await this.api.updateRun(run.runId, status, endTime);
  }

  async finishedTrials(experimentId: string, trialIds: string[]): Promise<Map<string, FinishedTrial>> {
    const wanted = new Set(trialIds);
    // MLflow's filter has no IN for tags: fetch the experiment's finished trial runs and match here.
    const runs = await this.api.searchRuns(experimentId, `attributes.status = 'FINISHED' AND tags.\`${TRIAL_ID_TAG}\` LIKE '%'`);
    const best = new Map<string, { end: number; trial: FinishedTrial }>();
    for (const run of runs) {
      const trialId = tagsOf(run)[TRIAL_ID_TAG];
      if (trialId === undefined || !wanted.has(trialId)) continue;
      const end = run.info.end_time ?? 0;
      if ((best.get(trialId)?.end ?? -1) >= end) continue;
      const metrics = Object.fromEntries((run.data?.metrics ?? []).map((m) => [m.key, fromApiValue(m.value)]));
      best.set(trialId, { end, trial: { trialId, run: { experimentId, runId: run.info.run_id }, metrics } });
    }
    return new Map([...best].map(([id, { trial }]) => [id, trial]));
  }

  async reapAbandoned(experimentId: string): Promise<RunRef[]> {
    const running = await this.api.searchRuns(experimentId, "attributes.status = 'RUNNING'");
    const reaped: RunRef[] = [];
    for (const run of running) {
      if (!isAbandoned(tagsOf(run)[OWNER_TAG])) continue;
      await this.api.updateRun(run.info.run_id, 'KILLED', this.now());
      reaped.push({ experimentId, runId: run.info.run_id });
    }
    return reaped;
  }
}

export function tagsOf(run: ApiRun): Record<string, string> {
  return Object.fromEntries((run.data?.tags ?? []).map((t) => [t.key, t.value]));
}
