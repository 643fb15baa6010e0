// The one call before training that tells whether the tracking server will take the sweep's runs:
// GET experiments/get-by-name, one try, a short timeout. Credentials refused and "this is not an
// MLflow server" are errors (exit 2, nothing trained); a server that does not answer is a
// problem the caller weighs (warn and train, or exit 2 when tracking.require_server is set).
import { RunSweepError } from '../errors.js';
import {
  MlflowApiError, MlflowUnavailableError, RestClient, type RestClientOptions,
} from './rest-client.js';

export const CHECK_TIMEOUT_MS = 5_000;

export interface CheckServerOptions {
  env?: NodeJS.ProcessEnv;
  /** the one request's timeout (default 5 s) */
  timeoutMs?: number;
  /** the experiment the sweep will use (its lookup is the check; default MLflow's 'Default') */
  experimentName?: string;
  signal?: AbortSignal;
}

export type ServerCheck = 'ok' | { unreachable: string };

/**
 * One request to the server. Resolves 'ok' when it answers as MLflow does (the experiment found
 * or RESOURCE_DOES_NOT_EXIST), `{ unreachable }` when it cannot be reached (refused, timeout, DNS,
 * TLS, 5xx, 429, a proxy's HTML 502). Throws RunSweepError('tracking') when it refuses the
 * credentials (401, 403), answers with something that is not MLflow's API (an HTML page, a 404 or
 * 405 from another kind of server), or the URI is malformed. No message holds a credential.
 */
export async function checkServer(uri: string, opts: CheckServerOptions = {}): Promise<ServerCheck> {
  const clientOpts: RestClientOptions = { env: opts.env, timeoutMs: opts.timeoutMs ?? CHECK_TIMEOUT_MS, signal: opts.signal };
  const client = new RestClient(uri, clientOpts);
  const endpoint = 'experiments/get-by-name';
  try {
    const answer = await client.once<{ experiment?: { experiment_id?: unknown } }>('GET', endpoint,
      { experiment_name: opts.experimentName ?? 'Default' });
    if (typeof answer?.experiment?.experiment_id !== 'string') {
      throw new RunSweepError('tracking', `${client.location} answered ${endpoint} with JSON that is not MLflow's: ` +
        'is this the URI of an MLflow tracking server?');
    }
    return 'ok';
  } catch (err) {
    if (err instanceof MlflowUnavailableError) return { unreachable: err.message };
    if (err instanceof MlflowApiError) {
      if (err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return 'ok';
      if (err.isAuth) throw credentialsRefused(client, err);
      throw new RunSweepError('tracking', `${client.location} answered ${endpoint} with ${err.status} ${err.errorCode}` +
        `${err.errorCode.startsWith('HTTP_') ? '' : `: ${err.apiMessage}`}: ` +
        'is this the URI of an MLflow tracking server (check its path)?');
    }
    throw err; // NotMlflowError (an HTML page), a malformed URI: RunSweepError('tracking') already
  }
}

function credentialsRefused(client: RestClient, err: MlflowApiError): RunSweepError {
  const what = err.status === 403
    ? 'refused access (403 Forbidden): the account lacks permission to read experiments'
    : client.hasCredentials
      ? 'refused the credentials (401 Unauthorized)'
      : 'requires credentials (401 Unauthorized), and none were given';
  return new RunSweepError('tracking', `the MLflow server at ${client.location} ${what}; ` +
    'set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN for a bearer token) ' +
    'to an account it accepts');
}
