// Maps a tracking URI (already chosen by precedence: flag, file, environment, default) to a sink.
import path from 'node:path';
import { TrackingError, type Tracker } from './tracker.js';
import { FileStoreTracker } from './file-store.js';
import { MirroredTracker } from './mirror.js';
import { RestTracker } from './mlflow-rest.js';
import type { RestClientOptions } from './rest-client.js';

export interface OpenTrackerOptions extends RestClientOptions {
  /** the local store a server's runs are also written to (default: ./runs) */
  localDir?: string;
  /** told once when the server fails; local writing goes on */
  onRemoteFailure?: (err: unknown) => void;
}

export function openTracker(uri: string | null, cwd: string, opts: OpenTrackerOptions = {}): Tracker {
  // MLflow reads a bare 'databricks' as a workspace, not a directory: writing ./databricks/ would surprise.
  if (uri !== null && /^databricks(:|$)/i.test(uri)) {
    throw new TrackingError(`tracking URI '${uri}': Databricks workspaces are not supported; use an http(s):// MLflow server`);
  }
  if (uri !== null && /^https?:\/\//i.test(uri)) {
    const local = new FileStoreTracker(opts.localDir ?? path.join(cwd, 'runs'), cwd);
    return new MirroredTracker(local, new RestTracker(uri, opts), opts.onRemoteFailure);
  }
  const scheme = uri?.match(/^([a-z][a-z0-9+.-]*):/i)?.[1]?.toLowerCase();
  if (uri !== null && scheme !== undefined && scheme !== 'file' && scheme.length > 1) {
    throw new TrackingError(`tracking URI '${uri}': run-sweep writes to a directory, a file: URI, or an http(s):// MLflow server`);
  }
  return new FileStoreTracker(uri ?? 'runs', cwd);
}
