// Maps a tracking URI (already chosen by precedence: flag, file, environment, default) to a sink.
import path from 'node:path';
import { RunSweepError } from '../errors.js';
import type { Tracker } from './tracker.js';
import { FileStoreTracker } from './file-store.js';
import { MirroredTracker, type UploadProblem } from './mirror.js';
import { RestTracker } from './mlflow-rest.js';
import { anySignal, type RestClientOptions, type RetryPolicy } from './rest-client.js';
import { redactUri } from './secrets.js';

/** The mirror's server calls run in the background: a few quick tries, then the rest waits for sync. */
export const MIRROR_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 4_000 };
export const MIRROR_TIMEOUT_MS = 10_000;

export interface OpenTrackerOptions extends RestClientOptions {
  /** the local store a server's runs are also written to (default: ./runs) */
  localDir?: string;
  /** told once when the server is given up on, and once per run it rejects; local writing goes on */
  onRemoteFailure?: (problem: UploadProblem) => void;
  /** how long the start of a sweep waits for the server's list of finished trials (ms) */
  lookupTimeoutMs?: number;
}

/** `http://` or `https://`: a tracking server (mirrored to a local store), not a directory */
export function isServerUri(uri: string | null): boolean {
  return uri !== null && /^https?:\/\//i.test(uri);
}

export function openTracker(uri: string | null, cwd: string, opts: OpenTrackerOptions = {}): Tracker {
  // MLflow reads a bare 'databricks' as a workspace, not a directory: writing ./databricks/ would surprise.
  if (uri !== null && /^databricks(:|$)/i.test(uri)) {
    throw new RunSweepError('tracking', `tracking URI '${redactUri(uri)}': Databricks workspaces are not supported; use an http(s):// MLflow server`);
  }
  if (uri !== null && isServerUri(uri)) {
    const local = new FileStoreTracker(opts.localDir ?? path.join(cwd, 'runs'), cwd);
    const controller = new AbortController();
    const remote = new RestTracker(uri, {
      ...opts,
      retry: { ...MIRROR_RETRY, ...opts.retry },
      timeoutMs: opts.timeoutMs ?? MIRROR_TIMEOUT_MS,
      signal: opts.signal ? anySignal(opts.signal, controller.signal) : controller.signal,
    });
    return new MirroredTracker(local, remote, { onRemoteFailure: opts.onRemoteFailure, controller, lookupTimeoutMs: opts.lookupTimeoutMs });
  }
  const scheme = uri?.match(/^([a-z][a-z0-9+.-]*):/i)?.[1]?.toLowerCase();
  if (uri !== null && scheme !== undefined && scheme !== 'file' && scheme.length > 1) {
    throw new RunSweepError('tracking', `tracking URI '${redactUri(uri)}': run-sweep writes to a directory, a file: URI, or an http(s):// MLflow server`);
  }
  return new FileStoreTracker(uri ?? 'runs', cwd);
}
