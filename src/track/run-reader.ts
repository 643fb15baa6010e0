// Reading an experiment's runs back, for reports: the runs with their params and tags, then, for
// the runs a caller picks, their metric histories and artifacts. Two implementations over the same
// primitives the trackers use to resume: the local file store through store-reader.ts (what
// FileStoreTracker.finishedTrials reads), and a tracking server through MlflowApi (runs/search,
// metrics/get-history and the artifact proxy, what RestTracker.finishedTrials reads).
//
// Reading never writes: a torn metric line is dropped (and reported through onWarning), never
// repaired, and a run RUNNING in the store is shown as it stands. Problems the user can fix (no
// store, an unreadable store, a server that refuses) are RunSweepErrors: one line, exit 2.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunSweepError, isUserFsError } from '../errors.js';
import type { MetricPoint, RunStatus } from './tracker.js';
import { storeDirFromUri } from './file-store.js';
import { MlflowApi, fromApiValue, type ApiRun } from './mlflow-api.js';
import { RestClient, type RestClientOptions } from './rest-client.js';
import { redactUri, splitCredentials } from './secrets.js';
import { StoreError, storeFsError } from './store-files.js';
import { listExperiments, listFiles, listRuns, readKeyValues, readMetricHistories } from './store-reader.js';
import { isServerUri } from './open.js';

/** One run as a report reads it: enough to choose runs without fetching their histories. */
export interface RunInfo {
  runId: string;
  runName: string;
  status: RunStatus | 'SCHEDULED';
  /** ms since the epoch */
  startTime: number;
  endTime: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface RunReader {
  /** where runs are read from, for messages: a directory, or a server URI with credentials redacted */
  readonly location: string;
  /** the id of the active experiment with this name, or null when there is none */
  findExperiment(name: string): Promise<string | null>;
  /** every active run of the experiment (parents, trials, checks), params and tags included */
  listRuns(experimentId: string): Promise<RunInfo[]>;
  /** the run's metric histories, key → points in the order they were logged; only `keys` when given */
  metricHistories(experimentId: string, runId: string, keys?: readonly string[]): Promise<Record<string, MetricPoint[]>>;
  /** the '/'-separated paths of the run's artifacts under `dir` ('' for all), sorted */
  listArtifacts(experimentId: string, runId: string, dir?: string): Promise<string[]>;
  /** an artifact's text, or null when the run has no such artifact */
  readArtifact(experimentId: string, runId: string, artifactPath: string): Promise<string | null>;
}

export interface RunReaderOptions extends RestClientOptions {
  /** damage in a local store that was skipped (one line naming the file); default: ignored */
  onWarning?: (message: string) => void;
}

/** The reader for a tracking URI chosen by precedence (flag, file, environment, ./runs). */
export function openRunReader(uri: string, cwd: string, opts: RunReaderOptions = {}): RunReader {
  if (isServerUri(uri)) return new ServerRunReader(uri, opts);
  const scheme = uri.match(/^([a-z][a-z0-9+.-]*):/i)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'file' && scheme.length > 1) {
    throw new RunSweepError('tracking', `tracking URI '${redactUri(uri)}': run-sweep reads a directory, a file: URI, or an http(s):// MLflow server`);
  }
  return new FileStoreRunReader(storeDirFromUri(uri, cwd), opts);
}

/** Turns a user-fixable filesystem failure or store damage into one line, exit 2. */
function guard<T>(verb: string, where: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    const e = storeFsError(err, where, verb);
    if (e instanceof RunSweepError) throw e;
    if (isUserFsError(e)) throw new RunSweepError('store', `cannot ${verb} ${where}: ${e.message}`);
    throw e;
  }
}

export class FileStoreRunReader implements RunReader {
  readonly location: string;
  private readonly warn: (message: string) => void;

  constructor(readonly root: string, opts: RunReaderOptions = {}) {
    this.location = root;
    this.warn = opts.onWarning ?? (() => {});
  }

  async findExperiment(name: string): Promise<string | null> {
    const stat = guard('read', this.root, () => (fs.existsSync(this.root) ? fs.statSync(this.root) : null));
    if (stat === null) throw new RunSweepError('store', `no MLflow store at ${this.root}: the directory does not exist`);
    if (!stat.isDirectory()) throw new RunSweepError('store', `cannot read the store ${this.root}: it is a file, not a directory`);
    const found = guard('read', this.root, () => listExperiments(this.root, { onWarning: this.warn }))
      .find((e) => e.name === name && e.lifecycleStage === 'active');
    return found?.id ?? null;
  }

  async listRuns(experimentId: string): Promise<RunInfo[]> {
    const dir = path.join(this.root, experimentId);
    const exp = { id: experimentId, name: '', lifecycleStage: 'active', dir };
    return guard('read', dir, () => listRuns(exp, { onWarning: this.warn })
      .filter((r) => r.lifecycleStage === 'active')
      .map((r) => ({
        runId: r.runId,
        runName: r.runName,
        status: r.status,
        startTime: r.startTime,
        endTime: r.endTime,
        params: readKeyValues(r.dir, 'params'),
        tags: readKeyValues(r.dir, 'tags'),
      })));
  }

  async metricHistories(experimentId: string, runId: string, keys?: readonly string[]): Promise<Record<string, MetricPoint[]>> {
    const dir = this.runDir(experimentId, runId);
    const all = guard('read', dir, () => {
      try {
        return readMetricHistories(dir, { onWarning: this.warn });
      } catch (err) {
        // damage before a metric file's last line: the run's curves are skipped, the report goes on
        if (!(err instanceof StoreError)) throw err;
        this.warn(`skipping the metrics of run ${runId}: ${err.message}`);
        return {};
      }
    });
    return keys ? Object.fromEntries(Object.entries(all).filter(([k]) => keys.includes(k))) : all;
  }

  async listArtifacts(experimentId: string, runId: string, dir = ''): Promise<string[]> {
    const root = this.artifactRoot(experimentId, runId);
    const under = dir.replace(/\/+$/, '');
    return guard('read', root, () => listFiles(under ? path.join(root, ...under.split('/')) : root)
      .map((f) => (under ? `${under}/${f}` : f)));
  }

  async readArtifact(experimentId: string, runId: string, artifactPath: string): Promise<string | null> {
    const file = path.join(this.artifactRoot(experimentId, runId), ...artifactPath.split('/'));
    return guard('read', file, () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null));
  }

  private runDir(experimentId: string, runId: string): string {
    return path.join(this.root, experimentId, runId);
  }

  /** the run's artifacts directory: its meta.yaml's file: artifact_uri, else <run>/artifacts */
  private artifactRoot(experimentId: string, runId: string): string {
    const dir = this.runDir(experimentId, runId);
    const local = path.join(dir, 'artifacts');
    if (fs.existsSync(local)) return local;
    try {
      const uri = /^artifact_uri:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8'))?.[1];
      if (uri?.startsWith('file:')) return fileURLToPath(uri);
    } catch {
      // no meta.yaml to ask: the default place, which does not exist, lists as empty
    }
    return local;
  }
}

export class ServerRunReader implements RunReader {
  readonly location: string;
  readonly api: MlflowApi;
  private readonly client: RestClient;
  private readonly artifactUris = new Map<string, string>();
  private readonly metricKeys = new Map<string, string[]>();
  private readonly baseUrl: string;
  private readonly authHeader: string | undefined;
  private readonly timeoutMs: number;

  constructor(uri: string, opts: RestClientOptions = {}) {
    this.client = new RestClient(uri, opts);
    this.api = new MlflowApi(this.client);
    this.location = this.client.location;
    this.baseUrl = this.client.baseUrl;
    // The same credentials RestClient sends (its artifact GET answers raw bytes, which it would parse as JSON).
    const env = opts.env ?? process.env;
    const split = splitCredentials(uri);
    const token = env.MLFLOW_TRACKING_TOKEN || undefined;
    const user = env.MLFLOW_TRACKING_USERNAME ?? split.username;
    const pass = env.MLFLOW_TRACKING_PASSWORD ?? split.password;
    this.authHeader = token ? `Bearer ${token}`
      : user !== undefined && pass !== undefined ? `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` : undefined;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async findExperiment(name: string): Promise<string | null> {
    const e = await this.api.getExperimentByName(name);
    return e && e.lifecycle_stage !== 'deleted' ? e.experiment_id : null;
  }

  async listRuns(experimentId: string): Promise<RunInfo[]> {
    const runs = await this.api.searchRuns(experimentId, '');
    return runs.map((r) => {
      if (r.info.artifact_uri) this.artifactUris.set(r.info.run_id, r.info.artifact_uri);
      this.metricKeys.set(r.info.run_id, (r.data?.metrics ?? []).map((m) => m.key));
      return {
        runId: r.info.run_id,
        runName: r.info.run_name ?? '',
        status: r.info.status,
        startTime: r.info.start_time ?? 0,
        endTime: r.info.end_time ?? null,
        params: kvs(r, 'params'),
        tags: kvs(r, 'tags'),
      };
    });
  }

  async metricHistories(experimentId: string, runId: string, keys?: readonly string[]): Promise<Record<string, MetricPoint[]>> {
    // runs/search gives each metric's latest value: its keys are the run's metrics
    if (!keys && !this.metricKeys.has(runId)) await this.listRuns(experimentId);
    const wanted = keys ?? this.metricKeys.get(runId) ?? [];
    const out: Record<string, MetricPoint[]> = {};
    for (const key of wanted) {
      const points = await this.api.metricHistory(runId, key);
      if (points.length > 0) out[key] = points.map((m) => ({ key, value: fromApiValue(m.value), step: m.step ?? 0, timestamp: m.timestamp }));
    }
    return out;
  }

  async listArtifacts(experimentId: string, runId: string, dir = ''): Promise<string[]> {
    const sizes = await this.api.listArtifactSizes(this.artifactUri(experimentId, runId));
    const under = dir.replace(/\/+$/, '');
    return [...sizes.keys()].filter((p) => under === '' || p.startsWith(`${under}/`)).sort();
  }

  async readArtifact(experimentId: string, runId: string, artifactPath: string): Promise<string | null> {
    const root = this.artifactUri(experimentId, runId).match(/^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/)?.[1]?.replace(/\/+$/, '');
    if (root === undefined) {
      throw new RunSweepError('tracking', `the server stores run artifacts at '${redactUri(this.artifactUri(experimentId, runId))}', ` +
        'which run-sweep cannot read; start the MLflow server with artifact proxying (--serve-artifacts, the default since MLflow 2.0)');
    }
    const encoded = `${root}/${artifactPath}`.split('/').map(encodeURIComponent).join('/');
    const headers: Record<string, string> = {};
    if (this.authHeader) headers.authorization = this.authHeader;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${encoded}`, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      throw new RunSweepError('tracking', this.client.redact(`${this.location} did not answer an artifact download: ${e.cause?.message ?? e.message}`));
    }
    const body = await res.text();
    if (res.ok) return body;
    if (res.status === 404) return null;
    let code = `HTTP_${res.status}`;
    try {
      code = (JSON.parse(body) as { error_code?: string }).error_code ?? code;
    } catch {
      // not JSON
    }
    if (code === 'RESOURCE_DOES_NOT_EXIST') return null;
    throw new RunSweepError('tracking', this.client.redact(`${this.location} refused the artifact ${artifactPath} of run ${runId}: ${res.status} ${code}`));
  }

  private artifactUri(experimentId: string, runId: string): string {
    return this.artifactUris.get(runId) ?? `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
  }
}

function kvs(run: ApiRun, kind: 'params' | 'tags'): Record<string, string> {
  return Object.fromEntries((run.data?.[kind] ?? []).map((t) => [t.key, t.value]));
}
