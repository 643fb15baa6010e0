// HTTP for MLflow's REST API on Node's fetch: auth from the environment, a per-request timeout,
// and bounded retries with exponential backoff and full jitter on network errors, 429 and 5xx.
// Secrets never appear in an error: URLs lose their credentials and messages are redacted.

import { TrackingError } from './tracker.js';

export interface RetryPolicy {
  /** total tries per request, first included */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RestClientOptions {
  env?: NodeJS.ProcessEnv;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 10_000 };

/** A 4xx answer from MLflow, with its error_code and message. */
export class MlflowApiError extends Error {
  override name = 'MlflowApiError';
  constructor(readonly status: number, readonly errorCode: string, readonly apiMessage: string, readonly endpoint: string) {
    super(`MLflow ${endpoint} failed: ${status} ${errorCode}: ${apiMessage}`);
  }
}

/** The server could not be reached or kept failing (network errors, timeouts, 429, 5xx) after every retry. */
export class MlflowUnavailableError extends Error {
  override name = 'MlflowUnavailableError';
  constructor(readonly endpoint: string, readonly attempts: number, readonly lastProblem: string) {
    super(`MLflow ${endpoint} unavailable after ${attempts} attempt(s): ${lastProblem}`);
  }
}

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
  readonly baseUrl: string;
  private readonly authHeader: string | undefined;
  private readonly secrets: string[];
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;

  constructor(uri: string, opts: RestClientOptions = {}) {
    const env = opts.env ?? process.env;
    const url = URL.canParse(uri) ? new URL(uri) : undefined;
    // The URI is not echoed: it may hold a password.
    if (url === undefined) throw new TrackingError('the tracking URI is not a valid URL');
    // fetch refuses URLs with credentials: they become Basic auth instead
    const urlUser = decodeURIComponent(url.username);
    const urlPass = decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    this.baseUrl = url.href.replace(/\/+$/, '');
    const token = env.MLFLOW_TRACKING_TOKEN;
    const user = env.MLFLOW_TRACKING_USERNAME ?? (urlUser || undefined);
    const pass = env.MLFLOW_TRACKING_PASSWORD ?? (urlPass || undefined);
    if (token) this.authHeader = `Bearer ${token}`;
    else if (user !== undefined && pass !== undefined) this.authHeader = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    this.secrets = [token, pass, this.authHeader?.split(' ')[1]].filter((s): s is string => !!s && s.length >= 3);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.timeoutMs ?? 30_000;
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

  redact(text: string): string {
    return this.secrets.reduce((t, s) => t.split(s).join('***'), text);
  }

  private async call<T>(method: string, pathAndQuery: string, body: unknown, endpoint: string, beforeRetry?: BeforeRetry<T>): Promise<T> {
    let payload = body;
    let last: Attempt | undefined;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (attempt > 1) {
        await sleep(this.backoff(attempt - 1, last?.retryAfterMs));
        if (last?.ambiguous && beforeRetry) {
          const next = await beforeRetry();
          if ('answer' in next) return next.answer;
          payload = next.send;
        }
      }
      const result = await this.once<T>(method, pathAndQuery, payload, endpoint);
      if ('value' in result) return result.value;
      last = result;
    }
    throw new MlflowUnavailableError(endpoint, this.retry.attempts, last?.problem ?? 'no attempt made');
  }

  private async once<T>(method: string, pathAndQuery: string, body: unknown, endpoint: string): Promise<{ value: T } | Attempt> {
    const headers: Record<string, string> = {};
    if (this.authHeader) headers.authorization = this.authHeader;
    let data: string | Uint8Array | undefined;
    if (body instanceof Uint8Array) {
      data = body;
      headers['content-type'] = 'application/octet-stream';
    } else if (body !== undefined) {
      data = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.baseUrl + pathAndQuery, { method, headers, body: data, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      const refused = e.cause?.code === 'ECONNREFUSED';
      const problem = timedOut ? `no answer within ${this.timeoutMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      return { ambiguous: !refused, problem: this.redact(problem) };
    }
    if (res.ok) {
      try {
        return { value: (text.trim() === '' ? {} : JSON.parse(text)) as T };
      } catch {
        throw new TrackingError(`${this.redact(res.url)} answered 200 with a body that is not JSON: is this an MLflow server?`);
      }
    }
    const problem = this.redact(`${res.status} ${res.statusText}: ${text.slice(0, 300)}`);
    if (res.status === 429 || res.status >= 500) {
      const retryAfter = Number(res.headers.get('retry-after'));
      return { ambiguous: res.status !== 429, problem, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined };
    }
    let code = `HTTP_${res.status}`;
    let message = text.slice(0, 500);
    try {
      const parsed = JSON.parse(text) as { error_code?: string; message?: string };
      code = parsed.error_code ?? code;
      message = parsed.message ?? message;
    } catch {
      // not JSON (a proxy's HTML page): keep the raw text
    }
    throw new MlflowApiError(res.status, code, this.redact(message), endpoint);
  }

  private backoff(retryNumber: number, retryAfterMs?: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (retryNumber - 1));
    const jittered = Math.random() * cap; // full jitter: clients that failed together do not retry together
    return Math.min(this.retry.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
