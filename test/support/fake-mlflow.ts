// An in-memory MLflow tracking server on 127.0.0.1 for tests. It checks each request's method, path
// and JSON body against MLflow's REST API reference (2.x) and answers with MLflow's response and
// error shapes ({error_code, message}). It is stricter than MLflow in one way, on purpose: unknown
// body fields are a 400 (MLflow ignores them, which would hide a misspelt field in our client).
// A known endpoint called with the wrong method gets werkzeug's HTML 405, as from MLflow's Flask app.
// Failures can be injected: 503s, answers applied-then-lost, slow answers, a closed port, and
// switchable modes (setMode) that answer every request as a real deployment can: hung, MLflow's
// basic-auth app's plain-text 401 and 403, a proxy's 405, 429 with Retry-After and HTML 502,
// MLflow's JSON 500, an HTML page with 200; rejectParam() makes log-batch refuse one param with
// 400 INVALID_PARAMETER_VALUE, and paramValueLimit = 500 acts as an MLflow older than 2.x's 6000.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

type FieldType = 'string' | 'int64' | 'double' | 'status' | 'kv[]' | 'metric[]' | 'string[]' | 'viewtype' | 'dataset_input[]';
type Schema = Record<string, { type: FieldType; required?: boolean }>;

const SCHEMAS: Record<string, Schema> = {
  'experiments/create': { name: { type: 'string', required: true }, artifact_location: { type: 'string' }, tags: { type: 'kv[]' } },
  'runs/create': { experiment_id: { type: 'string' }, user_id: { type: 'string' }, run_name: { type: 'string' }, start_time: { type: 'int64' }, tags: { type: 'kv[]' } },
  'runs/update': { run_id: { type: 'string', required: true }, run_uuid: { type: 'string' }, status: { type: 'status' }, end_time: { type: 'int64' }, run_name: { type: 'string' } },
  'runs/log-batch': { run_id: { type: 'string', required: true }, metrics: { type: 'metric[]' }, params: { type: 'kv[]' }, tags: { type: 'kv[]' } },
  'runs/log-inputs': { run_id: { type: 'string', required: true }, datasets: { type: 'dataset_input[]' } },
  'runs/set-tag': { run_id: { type: 'string', required: true }, run_uuid: { type: 'string' }, key: { type: 'string', required: true }, value: { type: 'string' } },
  'runs/search': { experiment_ids: { type: 'string[]' }, filter: { type: 'string' }, run_view_type: { type: 'viewtype' }, max_results: { type: 'int64' }, order_by: { type: 'string[]' }, page_token: { type: 'string' } },
};
const GET_PARAMS: Record<string, string[]> = {
  'experiments/get-by-name': ['experiment_name'],
  'metrics/get-history': ['run_id', 'run_uuid', 'metric_key', 'page_token', 'max_results'],
};
const STATUS_HTTP: Record<string, number> = { ENDPOINT_NOT_FOUND: 404, INVALID_PARAMETER_VALUE: 400, RESOURCE_ALREADY_EXISTS: 400, RESOURCE_DOES_NOT_EXIST: 404, UNAUTHENTICATED: 401, INVALID_STATE: 400 };

class ApiError extends Error {
  constructor(readonly code: string, message: string) { super(message); }
}
/** a known route called with another method: Flask answers werkzeug's HTML 405 */
class MethodNotAllowed extends Error {
  constructor(readonly allow: string) { super('405'); }
}
const invalid = (msg: string): ApiError => new ApiError('INVALID_PARAMETER_VALUE', msg);

export interface FakeMetric { key: string; value: number; timestamp: number; step: number }
export interface FakeDataset { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string }
export interface FakeDatasetInput { tags: Array<{ key: string; value: string }>; dataset: FakeDataset }
export interface FakeRun {
  info: { run_id: string; run_uuid: string; run_name: string; experiment_id: string; user_id: string; status: string;
    start_time: number; end_time?: number; artifact_uri: string; lifecycle_stage: string };
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: FakeMetric[];
  artifacts: Map<string, Buffer>;
  /** runs/log-inputs: one per dataset (name, digest), as MLflow keeps them */
  inputs: FakeDatasetInput[];
}
export interface FakeExperiment { experiment_id: string; name: string; artifact_location: string; lifecycle_stage: string; creation_time: number; last_update_time: number }
export interface RecordedRequest { method: string; path: string; query: string; authorization?: string; body: unknown }

/**
 * How the server answers every request while a mode is set (setMode), each as a real deployment does:
 * - hang: the connection is accepted and never answered (a stuck server or proxy)
 * - unauthorized / forbidden: MLflow's basic-auth app (`mlflow server --app-name basic-auth`):
 *   401 plain text with `WWW-Authenticate: Basic realm="mlflow"`, 403 "Permission denied"
 * - method-not-allowed: 405, werkzeug's HTML page (a proxy or app refusing the method)
 * - rate-limited: 429 from a proxy, with Retry-After (seconds)
 * - bad-gateway: a proxy's HTML 502 (nginx, the MLflow process behind it down)
 * - internal-error: 500 with MLflow's JSON error (INTERNAL_ERROR, e.g. its database failing)
 * - html: 200 with an HTML page (the URI points at a web page, not MLflow's API)
 */
export type FakeMode = 'hang' | 'unauthorized' | 'forbidden' | 'method-not-allowed' | 'rate-limited' | 'bad-gateway' | 'internal-error' | 'html';

const WERKZEUG_405 = '<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n' +
  '<p>The method is not allowed for the requested URL.</p>\n';
const NGINX = (code: number, text: string): string =>
  `<html>\r\n<head><title>${code} ${text}</title></head>\r\n<body>\r\n<center><h1>${code} ${text}</h1></center>\r\n` +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const BASIC_AUTH_401 = 'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.';

function checkType(name: string, v: unknown, type: FieldType): void {
  const bad = (): never => { throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied.`); };
  const isInt = (x: unknown): boolean => (typeof x === 'number' && Number.isInteger(x)) || (typeof x === 'string' && /^-?\d+$/.test(x));
  const isKv = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x) &&
    Object.keys(x).every((k) => k === 'key' || k === 'value') &&
    typeof (x as { key?: unknown }).key === 'string' && ['string', 'undefined'].includes(typeof (x as { value?: unknown }).value);
  switch (type) {
    case 'string': if (typeof v !== 'string') bad(); break;
    case 'int64': if (!isInt(v)) bad(); break;
    case 'double': if (typeof v !== 'number' && !(typeof v === 'string' && /^(NaN|-?Infinity|-?\d+(\.\d+)?(e[+-]?\d+)?)$/i.test(v))) bad(); break;
    case 'status': if (!['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'].includes(v as string)) bad(); break;
    case 'viewtype': if (!['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'].includes(v as string)) bad(); break;
    case 'string[]': if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad(); break;
    case 'kv[]': if (!Array.isArray(v) || !v.every(isKv)) bad(); break;
    case 'dataset_input[]': {
      // service.proto DatasetInput {tags: InputTag[], dataset: Dataset}; name, digest, source_type,
      // source and each tag's key and value are validate_required
      if (!Array.isArray(v)) bad();
      const req = (o: Record<string, unknown>, k: string, where: string): void => {
        if (o[k] === undefined || o[k] === null || o[k] === '') throw invalid(`Missing value for required parameter '${where}.${k}'.`);
        if (typeof o[k] !== 'string') bad();
      };
      for (const x of v as unknown[]) {
        if (typeof x !== 'object' || x === null || Array.isArray(x)) bad();
        const o = x as Record<string, unknown>;
        if (Object.keys(o).some((k) => k !== 'tags' && k !== 'dataset')) bad();
        const d = o.dataset as Record<string, unknown> | undefined;
        if (typeof d !== 'object' || d === null) throw invalid(`Missing value for required parameter '${name}.dataset'.`);
        if (Object.keys(d).some((k) => !['name', 'digest', 'source_type', 'source', 'schema', 'profile'].includes(k))) bad();
        for (const k of ['name', 'digest', 'source_type', 'source']) req(d, k, `${name}.dataset`);
        for (const k of ['schema', 'profile']) if (d[k] !== undefined && typeof d[k] !== 'string') bad();
        if (o.tags !== undefined) {
          if (!Array.isArray(o.tags)) bad();
          for (const t of o.tags as unknown[]) {
            if (typeof t !== 'object' || t === null || Object.keys(t).some((k) => k !== 'key' && k !== 'value')) bad();
            req(t as Record<string, unknown>, 'key', `${name}.tags`);
            req(t as Record<string, unknown>, 'value', `${name}.tags`);
          }
        }
      }
      break;
    }
    case 'metric[]':
      if (!Array.isArray(v)) bad();
      for (const m of v as unknown[]) {
        if (typeof m !== 'object' || m === null) bad();
        const o = m as Record<string, unknown>;
        if (Object.keys(o).some((k) => !['key', 'value', 'timestamp', 'step'].includes(k))) bad();
        if (typeof o.key !== 'string' || o.value === undefined || o.value === null || o.timestamp === undefined) {
          throw invalid(`Missing value for required parameter 'metrics'.`);
        }
        checkType(`${name}.value`, o.value, 'double');
        checkType(`${name}.timestamp`, o.timestamp, 'int64');
        if (o.step !== undefined) checkType(`${name}.step`, o.step, 'int64');
      }
  }
}

function validateBody(endpoint: string, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('Request body must be a JSON object');
  const schema = SCHEMAS[endpoint]!;
  const o = body as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    const spec = schema[k];
    if (!spec) throw invalid(`Unknown field '${k}' for ${endpoint}`);
    checkType(k, v, spec.type);
  }
  for (const [k, spec] of Object.entries(schema)) {
    if (spec.required && (o[k] === undefined || o[k] === '')) throw invalid(`Missing value for required parameter '${k}'.`);
  }
  return o;
}

const num = (v: unknown): number => (typeof v === 'string' ? (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v)) : (v as number));
const jsonDouble = (v: number): number | string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);

/** the subset of MLflow's search filter grammar run-sweep uses: clauses joined by AND */
function matches(run: FakeRun, filter: string): boolean {
  if (filter.trim() === '') return true;
  return filter.split(/\s+AND\s+/i).every((clause) => {
    const m = clause.trim().match(/^(tags|attributes)\.(`[^`]+`|"[^"]+"|[\w.]+)\s*(=|!=|LIKE)\s*'((?:[^']|'')*)'$/i);
    if (!m) throw invalid(`Invalid filter clause '${clause}'`);
    const key = m[2]!.replace(/^[`"]|[`"]$/g, '');
    const value = m[4]!.replaceAll("''", "'");
    const actual = m[1] === 'tags' ? run.tags.get(key) : String((run.info as Record<string, unknown>)[key] ?? '');
    if (actual === undefined) return false;
    const op = m[3]!.toUpperCase();
    if (op === '=') return actual === value;
    if (op === '!=') return actual !== value;
    const re = new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('%', '.*').replaceAll('_', '.')}$`, 's');
    return re.test(actual);
  });
}

export class FakeMlflowServer {
  readonly experiments = new Map<string, FakeExperiment>();
  readonly runs = new Map<string, FakeRun>();
  /** per experiment id: its datasets by [name, digest] */
  readonly datasets = new Map<string, Map<string, FakeDataset>>();
  readonly requests: RecordedRequest[] = [];
  /** the Authorization header required, if any: others get MLflow basic-auth's plain-text 401 */
  requiredAuth: string | undefined;
  /** MLflow 2.x takes param values up to 6000 characters; older servers 500 */
  paramValueLimit = 6000;
  private failures: Array<{ kind: 'fail' | 'apply-then-fail' | 'slow'; status?: number; ms?: number }> = [];
  private mode: FakeMode | null = null;
  private retryAfterSeconds = 1;
  private readonly rejectedParams = new Map<string, string>();
  private readonly hung: http.ServerResponse[] = [];
  private server: http.Server | undefined;
  private nextExperimentId = 1;
  port = 0;

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.experiments.set('0', this.makeExperiment('0', 'Default'));
    return this;
  }

  /** closes the port: later requests get "connection refused" */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** the next n requests answer `status` without being applied */
  failNext(n: number, status = 503): void {
    for (let i = 0; i < n; i++) this.failures.push({ kind: 'fail', status });
  }

  /** drops every injected failure not yet used, leaves any mode, and drops hung connections */
  heal(): void {
    this.failures = [];
    this.mode = null;
    this.rejectedParams.clear();
    for (const res of this.hung.splice(0)) res.socket?.destroy();
  }

  /** hung requests whose client is still connected (a client that aborts closes its connection) */
  get hungConnections(): number {
    return this.hung.filter((res) => !res.socket?.destroyed).length;
  }

  /** answers every later request as `mode` says (see FakeMode) until heal() or setMode(null) */
  setMode(mode: FakeMode | null, opts: { retryAfterSeconds?: number } = {}): void {
    this.mode = mode;
    this.retryAfterSeconds = opts.retryAfterSeconds ?? 1;
  }

  /** log-batch requests carrying this param are refused with 400 INVALID_PARAMETER_VALUE, nothing applied */
  rejectParam(key: string, message = `Invalid value for param '${key}': rejected by the server's policy`): void {
    this.rejectedParams.set(key, message);
  }

  /** requests that change something (not GET, not runs/search) since request number `from` */
  writesSince(from: number): RecordedRequest[] {
    return this.requests.slice(from).filter((r) => r.method !== 'GET' && r.path !== '/api/2.0/mlflow/runs/search');
  }

  /** the next n requests are applied, then answered 503 (the answer was lost) */
  applyThenFailNext(n: number): void {
    for (let i = 0; i < n; i++) this.failures.push({ kind: 'apply-then-fail' });
  }

  /** the next n requests are answered after ms */
  slowNext(n: number, ms: number): void {
    for (let i = 0; i < n; i++) this.failures.push({ kind: 'slow', ms });
  }

  experimentByName(name: string): FakeExperiment | undefined {
    return [...this.experiments.values()].find((e) => e.name === name);
  }

  private makeExperiment(id: string, name: string): FakeExperiment {
    const t = Date.now();
    return { experiment_id: id, name, artifact_location: `mlflow-artifacts:/${id}`, lifecycle_stage: 'active', creation_time: t, last_update_time: t };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown): void => {
      if (body instanceof Buffer) {
        res.writeHead(status, { 'content-type': 'application/octet-stream' });
        res.end(body);
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const sendText = (status: number, text: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(text);
    };
    const isJson = req.headers['content-type'] === 'application/json';
    let parsed: unknown;
    try {
      parsed = isJson && raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      parsed = undefined;
    }
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.search, authorization: req.headers.authorization, body: parsed });
    switch (this.mode) {
      case 'hang':
        this.hung.push(res);
        return;
      case 'unauthorized':
        return sendText(401, BASIC_AUTH_401, { 'www-authenticate': 'Basic realm="mlflow"' });
      case 'forbidden':
        return sendText(403, 'Permission denied');
      case 'method-not-allowed':
        return sendText(405, WERKZEUG_405, { allow: 'OPTIONS' });
      case 'rate-limited':
        return sendText(429, NGINX(429, 'Too Many Requests'), { 'retry-after': String(this.retryAfterSeconds) });
      case 'bad-gateway':
        return sendText(502, NGINX(502, 'Bad Gateway'));
      case 'internal-error':
        return send(500, { error_code: 'INTERNAL_ERROR', message: '(sqlite3.OperationalError) database is locked' });
      case 'html':
        return sendText(200, '<!doctype html><html lang="en"><head><meta charset="utf-8"/><title>MLflow</title></head>' +
          '<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>');
      case null:
        break;
    }
    // MLflow's basic-auth app answers before any handler, in plain text
    if (this.requiredAuth !== undefined && req.headers.authorization !== this.requiredAuth) {
      return sendText(401, BASIC_AUTH_401, { 'www-authenticate': 'Basic realm="mlflow"' });
    }
    const failure = this.failures.shift();
    if (failure?.kind === 'slow') await new Promise((r) => setTimeout(r, failure.ms));
    if (failure?.kind === 'fail') {
      send(failure.status!, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'injected failure' });
      return;
    }
    let status = 200;
    let answer: unknown;
    try {
      answer = this.route(req.method ?? '', url, raw, isJson);
    } catch (err) {
      if (err instanceof MethodNotAllowed) return sendText(405, WERKZEUG_405, { allow: err.allow });
      if (!(err instanceof ApiError)) throw err;
      status = STATUS_HTTP[err.code] ?? 400;
      answer = { error_code: err.code, message: err.message };
    }
    if (failure?.kind === 'apply-then-fail') send(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'injected failure after apply' });
    else send(status, answer);
  }

  private route(method: string, url: URL, raw: Buffer, isJson: boolean): unknown {
    const artifactPrefix = '/api/2.0/mlflow-artifacts/artifacts/';
    // GET /api/2.0/mlflow-artifacts/artifacts?path=P lists one level, each entry named by its basename
    if (url.pathname === artifactPrefix.slice(0, -1)) {
      if (method !== 'GET') throw new MethodNotAllowed('GET, HEAD, OPTIONS');
      for (const k of url.searchParams.keys()) if (k !== 'path') throw invalid(`Unknown parameter '${k}'`);
      return this.listArtifacts(url.searchParams.get('path') ?? '');
    }
    if (url.pathname.startsWith(artifactPrefix)) {
      if (method !== 'PUT' && method !== 'GET' && method !== 'DELETE') throw new MethodNotAllowed('DELETE, GET, HEAD, OPTIONS, PUT');
      const rel = url.pathname.slice(artifactPrefix.length).split('/').map(decodeURIComponent);
      const run = this.runs.get(rel[1] ?? '');
      if (!run || `${rel[0]}` !== run.info.experiment_id || rel[2] !== 'artifacts' || rel.length < 4) {
        throw invalid(`artifact path ${url.pathname} is not under a run's artifact root`);
      }
      if (rel.some((s) => s === '..' || s === '')) throw invalid('Invalid path');
      const key = rel.slice(3).join('/');
      if (method === 'GET') {
        const data = run.artifacts.get(key);
        if (!data) throw new ApiError('RESOURCE_DOES_NOT_EXIST', `File ${key} does not exist`);
        return data;
      }
      if (method === 'DELETE') run.artifacts.delete(key);
      else run.artifacts.set(key, raw);
      return {};
    }
    const endpoint = url.pathname.replace(/^\/api\/2\.0\/mlflow\//, '');
    if (GET_PARAMS[endpoint]) {
      if (method !== 'GET') throw new MethodNotAllowed('GET, HEAD, OPTIONS');
      for (const k of url.searchParams.keys()) if (!GET_PARAMS[endpoint]!.includes(k)) throw invalid(`Unknown parameter '${k}'`);
      return this.get(endpoint, url.searchParams);
    }
    if (SCHEMAS[endpoint] && method !== 'POST') throw new MethodNotAllowed('OPTIONS, POST');
    if (!SCHEMAS[endpoint]) throw new ApiError('ENDPOINT_NOT_FOUND', `No endpoint ${method} ${url.pathname}`);
    if (!isJson) throw invalid('Content-Type must be application/json');
    if (raw.length > 1_000_000 && endpoint === 'runs/log-batch') throw invalid(`Batched logging API requests must be at most 1000000 bytes, got ${raw.length}`);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ApiError('MALFORMED_REQUEST', 'Malformed JSON');
    }
    return this.post(endpoint, validateBody(endpoint, body));
  }

  /** what MLflow's artifact proxy lists for a path relative to its root: <exp>/<run>/artifacts[/sub] */
  private listArtifacts(p: string): unknown {
    const parts = p.split('/').filter((x) => x !== '');
    if (parts.includes('..')) throw invalid('Invalid path');
    const run = this.runs.get(parts[1] ?? '');
    // a directory that does not exist lists as empty, as MLflow's local artifact repository does
    if (!run || parts[0] !== run.info.experiment_id || parts[2] !== 'artifacts') return {};
    const prefix = parts.slice(3).join('/');
    const entries = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
    for (const [key, data] of run.artifacts) {
      if (prefix !== '' && !key.startsWith(`${prefix}/`)) continue;
      const rest = prefix === '' ? key : key.slice(prefix.length + 1);
      const [head, ...tail] = rest.split('/');
      entries.set(head!, tail.length > 0 ? { path: head!, is_dir: true } : { path: head!, is_dir: false, file_size: data.length });
    }
    const files = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
    return files.length > 0 ? { files } : {};
  }

  private get(endpoint: string, q: URLSearchParams): unknown {
    if (endpoint === 'experiments/get-by-name') {
      const name = q.get('experiment_name');
      if (!name) throw invalid("Missing value for required parameter 'experiment_name'.");
      const e = this.experimentByName(name);
      if (!e) throw new ApiError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
      return { experiment: e };
    }
    const run = this.run(q.get('run_id') ?? q.get('run_uuid') ?? '');
    const key = q.get('metric_key');
    if (!key) throw invalid("Missing value for required parameter 'metric_key'.");
    const metrics = run.metrics.filter((m) => m.key === key).map((m) => ({ ...m, value: jsonDouble(m.value) }));
    return metrics.length > 0 ? { metrics } : {};
  }

  private run(id: string): FakeRun {
    const run = this.runs.get(id);
    if (!run) throw new ApiError('RESOURCE_DOES_NOT_EXIST', `Run '${id}' not found`);
    return run;
  }

  private toApi(run: FakeRun): unknown {
    const latest = new Map<string, FakeMetric>();
    for (const m of run.metrics) {
      const p = latest.get(m.key);
      if (!p || m.step > p.step || (m.step === p.step && m.timestamp >= p.timestamp)) latest.set(m.key, m);
    }
    const data: Record<string, unknown> = {};
    if (latest.size) data.metrics = [...latest.values()].map((m) => ({ ...m, value: jsonDouble(m.value) }));
    if (run.params.size) data.params = [...run.params].map(([key, value]) => ({ key, value }));
    if (run.tags.size) data.tags = [...run.tags].map(([key, value]) => ({ key, value }));
    return { info: run.info, data, inputs: run.inputs.length ? { dataset_inputs: run.inputs } : {} };
  }

  private post(endpoint: string, b: Record<string, unknown>): unknown {
    switch (endpoint) {
      case 'experiments/create': {
        const name = b.name as string;
        if (this.experimentByName(name)) throw new ApiError('RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
        const id = String(this.nextExperimentId++);
        this.experiments.set(id, this.makeExperiment(id, name));
        return { experiment_id: id };
      }
      case 'runs/create': {
        const exp = this.experiments.get((b.experiment_id as string) ?? '0');
        if (!exp) throw new ApiError('RESOURCE_DOES_NOT_EXIST', `Experiment '${String(b.experiment_id)}' does not exist.`);
        const tags = new Map(((b.tags ?? []) as Array<{ key: string; value?: string }>).map((t) => [t.key, t.value ?? '']));
        const runName = (b.run_name as string | undefined) || tags.get('mlflow.runName') || 'random-name';
        if (tags.has('mlflow.runName') && tags.get('mlflow.runName') !== runName) {
          throw invalid("Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values");
        }
        tags.set('mlflow.runName', runName);
        const id = randomUUID().replaceAll('-', '');
        const run: FakeRun = {
          info: { run_id: id, run_uuid: id, run_name: runName, experiment_id: exp.experiment_id, user_id: (b.user_id as string) ?? '',
            status: 'RUNNING', start_time: Number(b.start_time ?? Date.now()), artifact_uri: `${exp.artifact_location}/${id}/artifacts`, lifecycle_stage: 'active' },
          params: new Map(), tags, metrics: [], artifacts: new Map(), inputs: [],
        };
        this.runs.set(id, run);
        return { run: this.toApi(run) };
      }
      case 'runs/log-batch': {
        const run = this.run(b.run_id as string);
        const metrics = (b.metrics ?? []) as Array<Record<string, unknown>>;
        const params = (b.params ?? []) as Array<{ key: string; value?: string }>;
        const tags = (b.tags ?? []) as Array<{ key: string; value?: string }>;
        if (metrics.length > 1000) throw invalid(`A batch logging request can contain at most 1000 metrics. Got ${metrics.length} metrics.`);
        if (params.length > 100) throw invalid(`A batch logging request can contain at most 100 params. Got ${params.length} params.`);
        if (tags.length > 100) throw invalid(`A batch logging request can contain at most 100 tags. Got ${tags.length} tags.`);
        if (metrics.length + params.length + tags.length > 1000) throw invalid('A batch logging request can contain at most 1000 metrics, params, and tags.');
        for (const p of params) {
          const rejected = this.rejectedParams.get(p.key);
          if (rejected !== undefined) throw invalid(rejected);
          if ((p.value ?? '').length > this.paramValueLimit) {
            throw invalid(`Param value '${(p.value ?? '').slice(0, 20)}...' had length ${(p.value ?? '').length}, which exceeded length limit of ${this.paramValueLimit}`);
          }
          const old = run.params.get(p.key);
          if (old !== undefined && old !== (p.value ?? '')) {
            throw invalid(`Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${run.info.run_id}'. Attempted logging new value '${p.value}'.`);
          }
        }
        for (const t of tags) if ((t.value ?? '').length > 5000) throw invalid(`Tag value '${t.key}' exceeded length limit of 5000`);
        for (const p of params) run.params.set(p.key, p.value ?? '');
        for (const t of tags) run.tags.set(t.key, t.value ?? '');
        for (const m of metrics) run.metrics.push({ key: m.key as string, value: num(m.value), timestamp: Number(m.timestamp), step: Number(m.step ?? 0) });
        return {};
      }
      case 'runs/log-inputs': {
        // SqlAlchemyStore.log_inputs: _validate_dataset_inputs' limits, an active run, then one
        // dataset per (experiment, name, digest) and one input per (dataset, run): a dataset the
        // run already has is not recorded again (its new tags are dropped too)
        const run = this.run(b.run_id as string);
        if (run.info.lifecycle_stage !== 'active') throw new ApiError('INVALID_STATE', `The run ${run.info.run_id} must be in the 'active' state.`);
        const inputs = (b.datasets ?? []) as FakeDatasetInput[];
        for (const { dataset: d, tags } of inputs) {
          for (const [k, max] of [['name', 500], ['digest', 36], ['source', 65535], ['schema', 1048575], ['profile', 16777215]] as const) {
            if ((d[k] ?? '').length > max) throw invalid(`Dataset ${k} exceeds the maximum length of ${max}`);
          }
          if (d.source_type.length > 36) throw invalid('Dataset source_type exceeds the maximum length of 36');
          for (const t of tags ?? []) {
            if (t.key.length > 255) throw invalid('InputTag key exceeds the maximum length of 255');
            if (t.value.length > 500) throw invalid('InputTag value exceeds the maximum length of 500');
          }
        }
        const known = this.datasets.get(run.info.experiment_id) ?? new Map<string, FakeDataset>();
        this.datasets.set(run.info.experiment_id, known);
        for (const { dataset, tags } of inputs) {
          const key = JSON.stringify([dataset.name, dataset.digest]);
          if (!known.has(key)) known.set(key, { ...dataset });
          if (run.inputs.some((i) => JSON.stringify([i.dataset.name, i.dataset.digest]) === key)) continue;
          run.inputs.push({ tags: (tags ?? []).map((t) => ({ key: t.key, value: t.value })), dataset: known.get(key)! });
        }
        return {};
      }
      case 'runs/set-tag': {
        const run = this.run((b.run_id ?? b.run_uuid) as string);
        run.tags.set(b.key as string, (b.value as string) ?? '');
        return {};
      }
      case 'runs/update': {
        const run = this.run(b.run_id as string);
        if (b.status !== undefined) run.info.status = b.status as string;
        if (b.end_time !== undefined) run.info.end_time = Number(b.end_time);
        return { run_info: run.info };
      }
      default: { // runs/search
        const ids = (b.experiment_ids ?? []) as string[];
        const max = Number(b.max_results ?? 1000);
        if (max > 50000) throw invalid('max_results must be at most 50000');
        const all = [...this.runs.values()]
          .filter((r) => ids.includes(r.info.experiment_id) && r.info.lifecycle_stage === 'active' && matches(r, (b.filter as string) ?? ''))
          .sort((x, y) => y.info.start_time - x.info.start_time || (x.info.run_id < y.info.run_id ? -1 : 1));
        const offset = b.page_token ? Number(JSON.parse(Buffer.from(b.page_token as string, 'base64').toString()).offset) : 0;
        const page = all.slice(offset, offset + max);
        const out: Record<string, unknown> = {};
        if (page.length) out.runs = page.map((r) => this.toApi(r));
        if (offset + max < all.length) out.next_page_token = Buffer.from(JSON.stringify({ offset: offset + max })).toString('base64');
        return out;
      }
    }
  }
}

/** What the fake server holds for an experiment, in the sweep script's canonical form. */
export function canonFromFake(server: FakeMlflowServer, experimentName: string): Array<{
  name: string; parentName: string | null; status: string; startTime: number; endTime: number | null;
  params: Record<string, string>; tags: Record<string, string>;
  metrics: Record<string, Array<[number, number, number]>>; artifacts: Record<string, string>;
}> {
  const exp = server.experimentByName(experimentName);
  if (!exp) throw new Error(`experiment ${experimentName} is not on the fake server`);
  const runs = [...server.runs.values()].filter((r) => r.info.experiment_id === exp.experiment_id);
  const names = new Map(runs.map((r) => [r.info.run_id, r.info.run_name]));
  return runs.map((r) => {
    const parentId = r.tags.get('mlflow.parentRunId');
    if (parentId !== undefined && !names.has(parentId)) throw new Error(`run ${r.info.run_id}: parent ${parentId} is not on the server`);
    const metrics: Record<string, Array<[number, number, number]>> = {};
    for (const m of r.metrics) (metrics[m.key] ??= []).push([m.timestamp, m.value, m.step]);
    return {
      name: r.info.run_name,
      parentName: parentId === undefined ? null : names.get(parentId)!,
      status: r.info.status,
      startTime: r.info.start_time,
      endTime: r.info.end_time ?? null,
      params: Object.fromEntries(r.params),
      tags: Object.fromEntries(r.tags),
      metrics,
      artifacts: Object.fromEntries([...r.artifacts].map(([p, b]) => [p, b.toString('base64')])),
    };
  });
}
