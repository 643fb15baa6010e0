// The MLflow REST endpoints run-sweep uses, typed, over RestClient. Field names and shapes follow
// MLflow's REST API reference (2.x): int64 fields are JSON numbers, doubles that are not finite
// travel as the strings proto3 JSON uses ("NaN", "Infinity", "-Infinity").
import { randomUUID } from 'node:crypto';
import { RunSweepError } from '../errors.js';
import type { DatasetInput, MetricPoint, RunStatus } from './tracker.js';
import { MlflowApiError, RestClient } from './rest-client.js';
import { redactUri } from './secrets.js';
import { CREATE_TOKEN_TAG } from './run-tags.js';

export interface KeyValue { key: string; value: string }
export interface ApiMetric { key: string; value: number | string; timestamp: number; step: number }

export interface ApiRunInfo {
  run_id: string;
  run_uuid?: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: RunStatus | 'SCHEDULED';
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: string;
}

export interface ApiDataset { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string }
export interface ApiDatasetInput { tags?: KeyValue[]; dataset: ApiDataset }

export interface ApiRun {
  info: ApiRunInfo;
  data?: { metrics?: ApiMetric[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs?: { dataset_inputs?: ApiDatasetInput[] };
}

/** A DatasetInput as runs/log-inputs carries it (schema and profile only when set, as MLflow's to_proto). */
export function toApiDatasetInput({ dataset, tags }: DatasetInput): ApiDatasetInput {
  return {
    tags: kv(tags),
    dataset: {
      name: dataset.name, digest: dataset.digest, source_type: dataset.sourceType, source: dataset.source,
      ...(dataset.schema ? { schema: dataset.schema } : {}),
      ...(dataset.profile ? { profile: dataset.profile } : {}),
    },
  };
}

export interface ApiExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
}

export const LIMITS = { metrics: 1000, params: 100, tags: 100, items: 1000, bytes: 1_000_000 };

export function toApiValue(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function fromApiValue(v: number | string): number {
  if (typeof v === 'number') return v;
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v);
}

export interface Batch { metrics: ApiMetric[]; params: KeyValue[]; tags: KeyValue[] }

/**
 * Splits a log-batch into requests within MLflow's limits, keeping every item and the order of each
 * kind. Size is measured as the JSON the request will carry.
 */
export function splitBatch(runId: string, all: Batch): Batch[] {
  const overhead = Buffer.byteLength(JSON.stringify({ run_id: runId, metrics: [], params: [], tags: [] }));
  const out: Batch[] = [];
  let cur: Batch = { metrics: [], params: [], tags: [] };
  let bytes = overhead;
  const items = (): number => cur.metrics.length + cur.params.length + cur.tags.length;
  const push = (kind: keyof Batch, item: ApiMetric | KeyValue): void => {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (cur[kind].length >= LIMITS[kind] || items() >= LIMITS.items || (items() > 0 && bytes + size > LIMITS.bytes)) {
      out.push(cur);
      cur = { metrics: [], params: [], tags: [] };
      bytes = overhead;
    }
    (cur[kind] as Array<ApiMetric | KeyValue>).push(item);
    bytes += size;
  };
  for (const p of all.params) push('params', p);
  for (const t of all.tags) push('tags', t);
  for (const m of all.metrics) push('metrics', m);
  if (items() > 0) out.push(cur);
  return out;
}

const sameMetric = (a: ApiMetric, b: ApiMetric): boolean =>
  a.key === b.key && a.step === b.step && a.timestamp === b.timestamp && Object.is(fromApiValue(a.value), fromApiValue(b.value));

export class MlflowApi {
  constructor(readonly client: RestClient) {}

  async getExperimentByName(name: string): Promise<ApiExperiment | null> {
    try {
      const r = await this.client.get<{ experiment: ApiExperiment }>('experiments/get-by-name', { experiment_name: name });
      return r.experiment;
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw err;
    }
  }

  /** the experiment's id, creating it; a concurrent creator winning the race is not an error */
  async ensureExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) return activeExperimentId(found);
    try {
      return (await this.client.post<{ experiment_id: string }>('experiments/create', { name })).experiment_id;
    } catch (err) {
      if (!(err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
      const raced = await this.getExperimentByName(name);
      if (!raced) throw err;
      return activeExperimentId(raced);
    }
  }

  /**
   * A retried runs/create whose first try the server applied would make a second run: a unique
   * token tag lets the retry find the first one instead.
   */
  async createRun(req: { experimentId: string; runName: string; startTime: number; userId: string; tags: Record<string, string> }): Promise<ApiRun> {
    const token = randomUUID();
    const body = {
      experiment_id: req.experimentId,
      run_name: req.runName,
      start_time: Math.trunc(req.startTime),
      user_id: req.userId,
      tags: kv({ ...req.tags, [CREATE_TOKEN_TAG]: token }),
    };
    const r = await this.client.post<{ run: ApiRun }>('runs/create', body, async () => {
      const [made] = await this.searchRuns(req.experimentId, `tags.\`${CREATE_TOKEN_TAG}\` = '${token}'`);
      return made ? { answer: { run: made } } : { send: body };
    });
    return r.run;
  }

  /**
   * Logs everything, split to MLflow's limits. A retried request may already have been applied
   * (metrics are append-only): before such a retry, points the server already holds are dropped.
   */
  async logBatch(runId: string, batch: { metrics?: MetricPoint[]; params?: Record<string, string>; tags?: Record<string, string> }): Promise<void> {
    const parts = splitBatch(runId, {
      metrics: (batch.metrics ?? []).map((m) => ({ key: m.key, value: toApiValue(m.value), timestamp: Math.trunc(m.timestamp), step: m.step })),
      params: kv(batch.params ?? {}),
      tags: kv(batch.tags ?? {}),
    });
    for (const part of parts) {
      const body = { run_id: runId, ...part };
      await this.client.post<unknown>('runs/log-batch', body, async () => {
        if (part.metrics.length === 0) return { send: body };
        const held = new Map<string, ApiMetric[]>();
        for (const key of new Set(part.metrics.map((m) => m.key))) held.set(key, await this.metricHistory(runId, key));
        const metrics = part.metrics.filter((m) => !held.get(m.key)!.some((h) => sameMetric(h, m)));
        return metrics.length + part.params.length + part.tags.length === 0 ? { answer: {} } : { send: { ...body, metrics } };
      });
    }
  }

  /**
   * runs/log-inputs. A retry is safe: MLflow keeps one input per (dataset, run), so a dataset the
   * first try recorded is not recorded twice.
   */
  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    if (inputs.length === 0) return;
    await this.client.post('runs/log-inputs', { run_id: runId, datasets: inputs.map(toApiDatasetInput) });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.client.post('runs/set-tag', { run_id: runId, key, value });
  }

  async updateRun(runId: string, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    await this.client.post('runs/update', { run_id: runId, status, end_time: Math.trunc(endTime) });
  }

  /** every page of runs/search */
  async searchRuns(experimentId: string, filter: string): Promise<ApiRun[]> {
    const runs: ApiRun[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.client.post<{ runs?: ApiRun[]; next_page_token?: string }>('runs/search', {
        experiment_ids: [experimentId], filter, max_results: 1000, ...(pageToken ? { page_token: pageToken } : {}),
      });
      runs.push(...(r.runs ?? []));
      pageToken = r.next_page_token;
    } while (pageToken);
    return runs;
  }

  async metricHistory(runId: string, key: string): Promise<ApiMetric[]> {
    const out: ApiMetric[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.client.get<{ metrics?: ApiMetric[]; next_page_token?: string }>('metrics/get-history',
        { run_id: runId, metric_key: key, ...(pageToken ? { page_token: pageToken } : {}) });
      out.push(...(r.metrics ?? []));
      pageToken = r.next_page_token;
    } while (pageToken);
    return out;
  }

  /** upload through the server's artifact proxy: artifact_uri mlflow-artifacts:/<exp>/<run>/artifacts */
  async uploadArtifact(artifactUri: string, artifactPath: string, content: Uint8Array): Promise<void> {
    await this.client.putArtifact(`${proxiedRoot(artifactUri)}/${artifactPath}`, content);
  }

  /**
   * Every file under a run's artifact root with its size, through the artifact proxy's list
   * endpoint (GET /api/2.0/mlflow-artifacts/artifacts?path=..., one directory level per request,
   * entries named by their basename): '/'-separated path relative to the root → bytes.
   */
  async listArtifactSizes(artifactUri: string): Promise<Map<string, number>> {
    const root = proxiedRoot(artifactUri);
    const out = new Map<string, number>();
    const walk = async (rel: string): Promise<void> => {
      const r = await this.client.listArtifacts<{ files?: ApiFileInfo[] }>(rel ? `${root}/${rel}` : root);
      for (const f of r.files ?? []) {
        const name = f.path.split('/').pop()!;
        const child = rel ? `${rel}/${name}` : name;
        if (f.is_dir) await walk(child);
        else out.set(child, Number(f.file_size ?? -1));
      }
    };
    await walk('');
    return out;
  }
}

export interface ApiFileInfo { path: string; is_dir?: boolean; file_size?: number | string }

/** mlflow-artifacts:/<exp>/<run>/artifacts → <exp>/<run>/artifacts, the artifact proxy's path */
function proxiedRoot(artifactUri: string): string {
  const m = artifactUri.match(/^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/);
  if (!m) {
    throw new RunSweepError('tracking', `the server stores run artifacts at '${redactUri(artifactUri)}', which run-sweep cannot write; ` +
      'start the MLflow server with artifact proxying (--serve-artifacts, the default since MLflow 2.0)');
  }
  return m[1]!.replace(/\/+$/, '');
}

function activeExperimentId(e: ApiExperiment): string {
  if (e.lifecycle_stage === 'deleted') {
    throw new RunSweepError('tracking', `experiment '${e.name}' is deleted on the server; restore it or choose another name`);
  }
  return e.experiment_id;
}

function kv(o: Record<string, string>): KeyValue[] {
  return Object.entries(o).map(([key, value]) => ({ key, value }));
}
