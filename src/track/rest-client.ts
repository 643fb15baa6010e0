// HTTP for MLflow's REST API on Node's fetch: auth from the URI or the environment, a per-request
// timeout, bounded retries with exponential backoff and full jitter on network errors, 429 and 5xx,
// and an abort signal that stops a request (and its retries) at once.
// Secrets never appear in an error: URLs lose their credentials and messages are redacted.

import { RunSweepError } from '../errors.js';
import { redactText, redactUri, splitCredentials } from './secrets.js';

export interface RetryPolicy {
  /** total tries per request, first included */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RestClientOptions {
  env?: NodeJS.ProcessEnv;
  retry?: Partial<RetryPolicy>;
  /** per request (each try), ms */
  timeoutMs?: number;
  /** aborting it stops every request of this client at once, retries and backoff included */
  signal?: AbortSignal;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 10_000 };
export const DEFAULT_TIMEOUT_MS = 30_000;

const AUTH_HINT = 'set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN';

/**
 * A 4xx answer from MLflow (or from a proxy in front of it), with its error_code and message.
 * 401 and 403 are 'tracking' errors (credentials refused: exit 2); any other is 'server-rejected'.
 */
export class MlflowApiError extends RunSweepError {
  override name = 'MlflowApiError';
  constructor(readonly status: number, readonly errorCode: string, readonly apiMessage: string, readonly endpoint: string, location = 'the MLflow server') {
    super(isAuthStatus(status) ? 'tracking' : 'server-rejected', isAuthStatus(status)
      ? `${location} refused ${endpoint} (${status} ${errorCode}: ${oneLine(apiMessage)}): ` +
        `${status === 401 ? 'the credentials are missing or wrong' : 'the account lacks permission'}; ${AUTH_HINT}`
      : `MLflow ${endpoint} failed: ${status} ${errorCode}: ${oneLine(apiMessage)}`);
  }

  /** the server refused the credentials (401) or the account's rights (403) */
  get isAuth(): boolean {
    return isAuthStatus(this.status);
  }
}

/** The server could not be reached or kept failing (network errors, timeouts, 429, 5xx) after every try. */
export class MlflowUnavailableError extends RunSweepError {
  override name = 'MlflowUnavailableError';
  constructor(readonly endpoint: string, readonly attempts: number, readonly lastProblem: string, location = 'the MLflow server') {
    super('tracking', `${location} did not answer ${endpoint} after ${attempts} attempt(s): ${lastProblem}`);
  }
}

/** The server answered, but not as MLflow does (an HTML page where JSON was due). */
export class NotMlflowError extends RunSweepError {
  override name = 'NotMlflowError';
  constructor(readonly status: number, message: string) {
    super('tracking', message);
  }
}

/** The client's signal was aborted (run-sweep is stopping): not a server problem. */
export class RequestAbortedError extends Error {
  override name = 'RequestAbortedError';
  constructor(readonly endpoint: string) {
    super(`${endpoint}: stopped`);
  }
}

export function isAuthStatus(status: number): boolean {
  return status === 401 || status === 403;
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * Called before a retry of a request that may already have been applied: what to send instead,
 * or the answer to return without sending, when the server turns out to hold the result already.
 */
export type BeforeRetry<T> = () => Promise<{ send: unknown } | { answer: T }>;

/** a failed try that is worth retrying */
interface Attempt {
  /** the server may have applied the request (timeout, 5xx, connection lost mid-request) */
  ambiguous: boolean;
  problem: string;
  retryAfterMs?: number;
}

export class RestClient {
  /** scheme, host and path, without credentials */
  readonly baseUrl: string;
  /** the URI as given, credentials redacted (`http://***@host:5000`): what messages name */
  readonly location: string;
  /** whether the client sends credentials (from the URI or the environment) */
  readonly hasCredentials: boolean;
  private readonly authHeader: string | undefined;
  private readonly secrets: string[];
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;

  constructor(uri: string, opts: RestClientOptions = {}) {
    const env = opts.env ?? process.env;
    // fetch refuses URLs with credentials: they become Basic auth instead
    const split = splitCredentials(uri);
    this.baseUrl = split.uri.replace(/\/+$/, '');
    this.location = redactUri(uri).replace(/\/+$/, '');
    const token = env.MLFLOW_TRACKING_TOKEN || undefined;
    const user = env.MLFLOW_TRACKING_USERNAME ?? split.username;
    const pass = env.MLFLOW_TRACKING_PASSWORD ?? split.password;
    if (token) this.authHeader = `Bearer ${token}`;
    else if (user !== undefined && pass !== undefined) this.authHeader = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    this.hasCredentials = this.authHeader !== undefined;
    const rawPass = URL.canParse(uri) ? new URL(uri).password : '';
    this.secrets = [token, pass, split.password, rawPass, this.authHeader?.split(' ')[1]].filter((s): s is string => !!s);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.signal = opts.signal;
  }

  get<T>(endpoint: string, query: Record<string, string>): Promise<T> {
    const qs = new URLSearchParams(query).toString();
    return this.call<T>('GET', `/api/2.0/mlflow/${endpoint}?${qs}`, undefined, endpoint);
  }

  post<T>(endpoint: string, body: unknown, beforeRetry?: BeforeRetry<T>): Promise<T> {
    return this.call<T>('POST', `/api/2.0/mlflow/${endpoint}`, body, endpoint, beforeRetry);
  }

  /** PUT raw bytes to the server's artifact proxy; path is already '/'-separated and relative */
  async putArtifact(artifactPath: string, content: Uint8Array): Promise<void> {
    const encoded = artifactPath.split('/').map(encodeURIComponent).join('/');
    await this.call('PUT', `/api/2.0/mlflow-artifacts/artifacts/${encoded}`, content, 'mlflow-artifacts upload');
  }

  /** GET /api/2.0/mlflow-artifacts/artifacts?path=P: one level of the artifact proxy's tree */
  listArtifacts<T>(artifactPath: string): Promise<T> {
    const qs = new URLSearchParams({ path: artifactPath }).toString();
    return this.call<T>('GET', `/api/2.0/mlflow-artifacts/artifacts?${qs}`, undefined, 'mlflow-artifacts list');
  }

  /** text with this client's secrets (and any URI userinfo) removed */
  redact(text: string): string {
    return redactText(text, this.secrets);
  }

  /** One try, no retry: for the preflight check, which must answer quickly. */
  once<T>(method: 'GET' | 'POST', endpoint: string, query: Record<string, string>, body?: unknown): Promise<T> {
    const qs = new URLSearchParams(query).toString();
    return this.call<T>(method, `/api/2.0/mlflow/${endpoint}${qs ? `?${qs}` : ''}`, body, endpoint, undefined, 1);
  }

  private async call<T>(method: string, pathAndQuery: string, body: unknown, endpoint: string,
    beforeRetry?: BeforeRetry<T>, attempts = this.retry.attempts): Promise<T> {
    let payload = body;
    let last: Attempt | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.signal?.aborted) throw new RequestAbortedError(endpoint);
      if (attempt > 1) {
        await this.sleep(this.backoff(attempt - 1, last?.retryAfterMs), endpoint);
        if (last?.ambiguous && beforeRetry) {
          const next = await beforeRetry();
          if ('answer' in next) return next.answer;
          payload = next.send;
        }
      }
      const result = await this.tryOnce<T>(method, pathAndQuery, payload, endpoint);
      if ('value' in result) return result.value;
      last = result;
    }
    throw new MlflowUnavailableError(endpoint, attempts, last?.problem ?? 'no attempt made', this.location);
  }

  private async tryOnce<T>(method: string, pathAndQuery: string, body: unknown, endpoint: string): Promise<{ value: T } | Attempt> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.authHeader) headers.authorization = this.authHeader;
    let data: string | Uint8Array | undefined;
    if (body instanceof Uint8Array) {
      data = body;
      headers['content-type'] = 'application/octet-stream';
    } else if (body !== undefined) {
      data = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.signal ? anySignal(timeout, this.signal) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.baseUrl + pathAndQuery, { method, headers, body: data, signal });
      text = await res.text();
    } catch (err) {
      if (this.signal?.aborted) throw new RequestAbortedError(endpoint);
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const code = e.cause?.code;
      const refused = code === 'ECONNREFUSED';
      const problem = timeout.aborted ? `no answer within ${this.timeoutMs} ms`
        : refused ? 'connection refused (ECONNREFUSED)'
          : `${e.cause?.message ?? e.message}${code ? ` (${code})` : ''}`;
      return { ambiguous: !refused, problem: this.redact(problem) };
    }
    const contentType = res.headers.get('content-type') ?? '';
    if (res.ok) {
      try {
        return { value: (text.trim() === '' ? {} : JSON.parse(text)) as T };
      } catch {
        throw new NotMlflowError(res.status, `${this.location} answered ${endpoint} with ${describeBody(contentType, text)}, ` +
          'not MLflow\'s JSON: is this the URI of an MLflow tracking server?');
      }
    }
    if (res.status === 429 || res.status >= 500) {
      const retryAfter = Number(res.headers.get('retry-after'));
      const problem = this.redact(`${res.status} ${res.statusText}${summarize(contentType, text)}`);
      return { ambiguous: res.status !== 429, problem, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined };
    }
    let code = `HTTP_${res.status}`;
    // a body that is not JSON: a proxy's HTML page says it in its title; MLflow's auth app in plain text
    let message = summarize(contentType, text).replace(/^: /, '').replace(/^ \(an HTML page: (.*)\)$/, '$1').replace(/^ \(an HTML page\)$/, '') ||
      `${res.status} ${res.statusText}`;
    try {
      const parsed = JSON.parse(text) as { error_code?: string; message?: string };
      code = parsed.error_code ?? code;
      message = parsed.message ?? message;
    } catch {
      // not JSON: MLflow's auth app answers 401/403 in plain text, a proxy in HTML
    }
    throw new MlflowApiError(res.status, code, this.redact(message.slice(0, 500)), endpoint, this.location);
  }

  private backoff(retryNumber: number, retryAfterMs?: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (retryNumber - 1));
    const jittered = Math.random() * cap; // full jitter: clients that failed together do not retry together
    return Math.min(this.retry.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  private sleep(ms: number, endpoint: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.signal;
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new RequestAbortedError(endpoint));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Aborted when either is (AbortSignal.any, which Node has from 20.3 on). */
export function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const both = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) both.abort(s.reason);
    else s.addEventListener('abort', () => both.abort(s.reason), { once: true });
  }
  return both.signal;
}

/** "an HTML page", "a plain-text answer" ...: what came instead of JSON */
function describeBody(contentType: string, text: string): string {
  if (/html/i.test(contentType) || /^\s*</.test(text)) return 'an HTML page';
  if (text.trim() === '') return 'an empty body';
  return `'${oneLine(text).slice(0, 80)}'`;
}

/** a body as a short suffix for a message: an HTML page's title, or the start of a text */
function summarize(contentType: string, text: string): string {
  if (text.trim() === '') return '';
  if (/html/i.test(contentType) || /^\s*</.test(text)) {
    const title = text.match(/<title>([^<]*)<\/title>/i)?.[1]?.trim();
    // Flask's make_response answers plain text as text/html: keep a body without tags as it is
    if (!/<[a-z!/]/i.test(text)) return `: ${oneLine(text).slice(0, 300)}`;
    return title ? ` (an HTML page: ${title})` : ' (an HTML page)';
  }
  return `: ${oneLine(text).slice(0, 300)}`;
}
