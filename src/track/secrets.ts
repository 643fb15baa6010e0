// Credentials in tracking URIs: split off before a request is made, and redacted from every string
// run-sweep builds for a person (locations, errors, warnings, sync lines). A URI like
// http://bob:pw@host:5000 is written `http://***@host:5000`; query parameters that look like
// tokens keep their name and lose their value.
import { RunSweepError } from '../errors.js';
import { redactUserinfo } from '../config/redact.js';

export const REDACTED = '***';

/** The scheme and `//` of a URI with an authority. */
const SCHEME_SLASHES = /^([a-z][a-z0-9+.-]*:\/\/)/i;
/** Query parameter names whose values are secrets (signed URLs, API keys, tokens). */
const SECRET_PARAM = /token|secret|pass|pwd|key|sig|auth|credential/i;
/** Secrets shorter than this are removed from URIs only: replacing "pw" everywhere would mangle text. */
const MIN_FREE_TEXT_SECRET = 3;

/**
 * The URI with its userinfo (user name and password) replaced by `***` and the values of
 * token-like query parameters by `***`; any other URI or path is returned unchanged.
 * A URI that does not parse is redacted up to its last '@', so a password holding '/', '#' or '?'
 * still does not leak.
 */
export function redactUri(uri: string): string {
  let out = uri;
  if (URL.canParse(uri) && SCHEME_SLASHES.test(uri)) {
    const url = new URL(uri);
    // WHATWG ends the authority at the first '/', '?', '#' (or '\' for http): the userinfo is
    // everything before the authority's last '@'.
    if (url.username !== '' || url.password !== '') out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\\]*@/i, `$1${REDACTED}@`);
  } else {
    out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)\S*@/i, `$1${REDACTED}@`);
  }
  return redactQuery(out);
}

function redactQuery(uri: string): string {
  const q = uri.indexOf('?');
  if (q < 0) return uri;
  const hash = uri.indexOf('#', q);
  const query = uri.slice(q, hash < 0 ? undefined : hash);
  const redacted = query.replace(/([?&])([^=&#]*)=([^&#]*)/g, (whole, sep: string, name: string) =>
    (SECRET_PARAM.test(safeDecode(name)) ? `${sep}${name}=${REDACTED}` : whole));
  return uri.slice(0, q) + redacted + (hash < 0 ? '' : uri.slice(hash));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface SplitUri {
  /** the URI without its userinfo: what requests are sent to */
  uri: string;
  username?: string;
  password?: string;
}

/**
 * Splits a server URI into the URI without userinfo and the decoded user name and password.
 * Errors never echo the password: a URI that is not a URL, or whose userinfo has a bad % escape,
 * is a RunSweepError('tracking') naming the redacted URI.
 */
export function splitCredentials(uri: string): SplitUri {
  if (!URL.canParse(uri)) throw new RunSweepError('tracking', `the tracking URI is not a valid URL: ${redactUri(uri)}`);
  const url = new URL(uri);
  const decode = (part: string): string | undefined => {
    if (part === '') return undefined;
    try {
      return decodeURIComponent(part);
    } catch {
      throw new RunSweepError('tracking',
        `the user name or password in the tracking URI ${redactUri(uri)} has a bad % escape ` +
        '(write a literal % as %25, or pass the credentials in MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD)');
    }
  };
  const username = decode(url.username);
  const password = decode(url.password);
  url.username = '';
  url.password = '';
  return { uri: url.href, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

/**
 * Removes from free text every `scheme://userinfo@` and every known secret (also as it appears
 * percent-encoded in a URI). Use it on anything a server or a library wrote that may echo a request.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  // One rule for a URI's userinfo everywhere (config errors use it too): up to the last '@' before
  // the path, quotes included, since a password may hold one.
  let out = redactUserinfo(text);
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < MIN_FREE_TEXT_SECRET) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
  }
  // longest first, so a secret that contains another is removed whole
  for (const s of [...forms].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
  return out;
}
