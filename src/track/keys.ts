// MLflow's rules for metric, param and tag keys and its per-value limits (mlflow/utils/validation.py),
// applied by both sinks so a run that one sink accepts the other accepts too.

import { RunSweepError } from '../errors.js';

export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 5000;

/** A key or value MLflow would refuse: a config problem, found before any run exists (exit 2). */
export class InvalidKeyError extends RunSweepError {
  override name = 'InvalidKeyError';
  constructor(message: string) {
    super('config', message);
  }
}

/** Python's posixpath.normpath, which MLflow uses to reject names that would alias other files. */
export function posixNormpath(p: string): string {
  if (p === '') return '.';
  const initialSlashes = p.startsWith('/') ? (p.startsWith('//') && !p.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (initialSlashes === 0 && out.length === 0) || out.at(-1) === '..') out.push(comp);
    else if (out.length > 0) out.pop();
  }
  const joined = '/'.repeat(initialSlashes) + out.join('/');
  return joined === '' ? '.' : joined;
}

// Python's \w is Unicode-aware for str patterns: letters, digits and underscore of any script.
const VALID_NAME = /^[/\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}.\- ]*$/u;

export function validateKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  if (!VALID_NAME.test(key)) {
    throw new InvalidKeyError(
      `invalid ${kind} name '${key}': names may only contain alphanumerics, underscores (_), ` +
        'dashes (-), periods (.), spaces ( ), and slashes (/)',
    );
  }
  const norm = posixNormpath(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw new InvalidKeyError(
      `invalid ${kind} name '${key}': it must be a relative path without '.', '..', empty or ` +
        `trailing segments (it would resolve to '${norm}')`,
    );
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidKeyError(`${kind} name '${key.slice(0, 60)}...' is ${key.length} characters; the limit is ${MAX_KEY_LENGTH}`);
  }
}

/**
 * Over-long values are refused rather than truncated: a truncated param silently records a different
 * configuration than the one trained, and the two sinks would disagree.
 */
export function validateValue(kind: 'param' | 'tag', key: string, value: string): void {
  const limit = kind === 'param' ? MAX_PARAM_VALUE_LENGTH : MAX_TAG_VALUE_LENGTH;
  if (value.length > limit) {
    throw new InvalidKeyError(`${kind} '${key}' has a value of ${value.length} characters; MLflow's limit is ${limit}`);
  }
}

/** Artifact paths: relative, '/'-separated, no empty, '.' or '..' segments. */
export function validateArtifactPath(p: string): void {
  const segments = p.split('/');
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0') ||
      segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidKeyError(`invalid artifact path '${p}': use a relative '/'-separated path without '.' or '..'`);
  }
}

export function validateEntries(kind: 'param' | 'tag', entries: Record<string, string>): void {
  for (const [key, value] of Object.entries(entries)) {
    validateKey(kind, key);
    if (typeof value !== 'string') throw new InvalidKeyError(`${kind} '${key}': value must be a string`);
    validateValue(kind, key, value);
  }
}
