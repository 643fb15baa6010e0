// Low-level pieces of MLflow's file-store layout: status codes, meta.yaml and metric-line formats,
// and writes that never leave a half-written file where MLflow's reader would find it.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import type { RunStatus } from './tracker.js';

/** A store on disk that MLflow (and we) cannot read; the message names the file. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

export const STATUS_CODE: Record<RunStatus | 'SCHEDULED', number> = {
  RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5,
};
const STATUS_NAME = new Map(Object.entries(STATUS_CODE).map(([k, v]) => [v, k]));

export function statusName(code: unknown, file: string): RunStatus | 'SCHEDULED' {
  const name = typeof code === 'number' ? STATUS_NAME.get(code) : undefined;
  if (name === undefined) throw new StoreError(file, `status must be an integer 1-5, found ${JSON.stringify(code)}`);
  return name as RunStatus | 'SCHEDULED';
}

export const META = 'meta.yaml';

// MLflow reads meta.yaml with PyYAML (YAML 1.1): writing as 1.1 quotes every string that 1.1 would
// read as something else ('123', 'on', '1e3'), so experiment ids stay strings.
export function dumpYaml(data: Record<string, unknown>): string {
  return stringify(data, { version: '1.1', sortMapEntries: true, singleQuote: true, lineWidth: 0 });
}

export function readYamlMapping(file: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = parse(fs.readFileSync(file, 'utf8'), { version: '1.1', intAsBigInt: true });
  } catch (err) {
    throw new StoreError(file, `not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new StoreError(file, 'expected a YAML mapping');
  }
  // An unquoted experiment id may exceed 2^53: keep it exact as a string; other integers are ms or codes.
  return Object.fromEntries(Object.entries(data).map(([k, v]) =>
    [k, typeof v === 'bigint' ? (k === 'experiment_id' ? String(v) : Number(v)) : v]));
}

/**
 * Writes content to a temp file in tmpDir, then renames it onto target, so a reader sees the old
 * file or the new one, never a part. tmpDir must be on the same filesystem and be a place MLflow's
 * reader ignores (a run or experiment directory's top level, which it scans only for directories).
 */
export function writeAtomic(tmpDir: string, target: string, content: string | Uint8Array): void {
  const tmp = path.join(tmpDir, `.tmp-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(tmp, content);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Python's repr of a float, which is what MLflow writes for a metric value. */
export function formatMetricValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${Object.is(v, -0) ? '-0' : v.toFixed(0)}.0`;
  return String(v);
}

export function formatMetricLine(timestamp: number, value: number, step: number): string {
  return `${timestamp} ${formatMetricValue(value)} ${step}\n`;
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf|infinity|nan)$/i;

/** One metric line as MLflow parses it; throws StoreError on anything MLflow rejects. */
export function parseMetricLine(line: string, file: string): { timestamp: number; value: number; step: number } {
  const parts = line.trim().split(' ');
  if (parts.length !== 2 && parts.length !== 3) {
    throw new StoreError(file, `malformed metric line ${JSON.stringify(line)}: expected 'timestamp value step'`);
  }
  const [ts, val, step = '0'] = parts as [string, string, string?];
  if (!INT.test(ts) || !FLOAT.test(val) || !INT.test(step)) {
    throw new StoreError(file, `malformed metric line ${JSON.stringify(line)}`);
  }
  const lower = val.toLowerCase().replace(/^\+/, '');
  const value = lower.endsWith('nan') ? NaN : lower.endsWith('inf') || lower.endsWith('infinity')
    ? (lower.startsWith('-') ? -Infinity : Infinity) : Number(val);
  return { timestamp: Number(ts), value, step: Number(step) };
}
