// Reads a local MLflow file store back: for finding experiments by name, resuming finished trials,
// reaping abandoned runs and replaying runs to a server. Anything MLflow could not read is a
// StoreError naming the file. Called with onWarning, the readers are tolerant instead: a damaged
// experiment, run or metric file is reported there and skipped, so it never blocks the others.
import fs from 'node:fs';
import path from 'node:path';
import { isUserFsError } from '../errors.js';
import type { DatasetInput, MetricPoint, RunStatus } from './tracker.js';
import {
  META, StoreError, parseMetricLine, readYamlMapping, removeQuietly, statusName, storeFsError, writeAtomic,
} from './store-files.js';

export interface ReadOptions {
  /**
   * When given, damage is skipped and reported here (one line naming the file) instead of thrown:
   * an experiment or run whose meta.yaml is unreadable, a run with a malformed metric line.
   */
  onWarning?: (message: string) => void;
}

/** Calls read; damage (a StoreError or a user-caused fs error) is thrown, or reported and null. */
function tolerate<T>(read: () => T, what: string, opts: ReadOptions): T | null {
  try {
    return read();
  } catch (err) {
    const damage = storeFsError(err);
    if (!(damage instanceof StoreError) || !opts.onWarning) throw damage;
    opts.onWarning(`skipping ${what}: ${damage.message}`);
    return null;
  }
}

export interface StoredExperiment {
  id: string;
  name: string;
  lifecycleStage: string;
  dir: string;
}

export interface StoredRun {
  experimentId: string;
  runId: string;
  dir: string;
  runName: string;
  userId: string;
  status: RunStatus | 'SCHEDULED';
  startTime: number;
  endTime: number | null;
  lifecycleStage: string;
  artifactUri: string;
  /** meta.yaml as read, to rewrite it with only status and end_time changed */
  meta: Record<string, unknown>;
}

const TRASH = '.trash';
// Directories MLflow itself keeps beside experiments and runs; never experiments or runs.
const NOT_EXPERIMENTS = new Set([TRASH, 'models']);
const NOT_RUNS = new Set(['tags', 'datasets', 'traces']);

function subdirs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** The experiment in dir, or null if it has no meta.yaml (being created); throws StoreError on damage. */
export function readExperiment(dir: string): StoredExperiment | null {
  const file = path.join(dir, META);
  // MLflow skips a directory without meta.yaml (an experiment being created); so do we.
  if (!fs.existsSync(file)) return null;
  const meta = readYamlMapping(file);
  const id = meta.experiment_id;
  if (typeof meta.name !== 'string' || meta.name === '') throw new StoreError(file, 'experiment has no name');
  if (id !== path.basename(dir)) {
    throw new StoreError(file, `experiment_id ${JSON.stringify(meta.experiment_id)} does not match its directory '${path.basename(dir)}'`);
  }
  const lifecycleStage = typeof meta.lifecycle_stage === 'string' ? meta.lifecycle_stage : 'active';
  return { id, name: meta.name, lifecycleStage, dir };
}

export function listExperiments(root: string, opts: ReadOptions & { includeDeleted?: boolean } = {}): StoredExperiment[] {
  if (!fs.existsSync(root)) return [];
  const dirs = subdirs(root).filter((d) => !NOT_EXPERIMENTS.has(d)).map((d) => path.join(root, d));
  const trash = path.join(root, TRASH);
  if (opts.includeDeleted && fs.existsSync(trash)) dirs.push(...subdirs(trash).map((d) => path.join(trash, d)));
  return dirs.map((d) => tolerate(() => readExperiment(d), 'a damaged experiment', opts))
    .filter((e): e is StoredExperiment => e !== null);
}

function requireKey(meta: Record<string, unknown>, key: string, file: string): unknown {
  if (!(key in meta)) throw new StoreError(file, `run meta.yaml lacks '${key}'`);
  return meta[key];
}

export function readRun(dir: string, experimentId: string): StoredRun | null {
  const file = path.join(dir, META);
  if (!fs.existsSync(file)) return null;
  const meta = readYamlMapping(file);
  const runUuid = requireKey(meta, 'run_uuid', file);
  const runId = (meta.run_id ?? runUuid) as unknown;
  if (runId !== path.basename(dir)) {
    throw new StoreError(file, `run_id ${JSON.stringify(runId)} does not match its directory '${path.basename(dir)}'`);
  }
  const expId = requireKey(meta, 'experiment_id', file);
  if (String(expId) !== experimentId) {
    throw new StoreError(file, `experiment_id ${JSON.stringify(expId)} does not match its experiment directory '${experimentId}'`);
  }
  const userId = requireKey(meta, 'user_id', file);
  const startTime = requireKey(meta, 'start_time', file);
  const endTime = requireKey(meta, 'end_time', file);
  if (typeof userId !== 'string') throw new StoreError(file, 'user_id must be a string');
  if (typeof startTime !== 'number') throw new StoreError(file, 'start_time must be an integer');
  if (endTime !== null && typeof endTime !== 'number') throw new StoreError(file, 'end_time must be an integer or null');
  return {
    experimentId,
    runId: runId as string,
    dir,
    runName: typeof meta.run_name === 'string' ? meta.run_name : '',
    userId,
    status: statusName(requireKey(meta, 'status', file), file),
    startTime,
    endTime,
    lifecycleStage: typeof meta.lifecycle_stage === 'string' ? meta.lifecycle_stage : 'active',
    artifactUri: typeof meta.artifact_uri === 'string' ? meta.artifact_uri : '',
    meta,
  };
}

export function listRuns(exp: StoredExperiment, opts: ReadOptions = {}): StoredRun[] {
  return subdirs(exp.dir)
    .filter((d) => !NOT_RUNS.has(d))
    .map((d) => tolerate(() => readRun(path.join(exp.dir, d), exp.id), 'a damaged run', opts))
    .filter((r): r is StoredRun => r !== null);
}

/** Every file under dir, as '/'-separated paths relative to it. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** params/ or tags/ of a run: key → raw value. */
export function readKeyValues(runDir: string, kind: 'params' | 'tags'): Record<string, string> {
  const dir = path.join(runDir, kind);
  return Object.fromEntries(listFiles(dir).map((k) => [k, fs.readFileSync(path.join(dir, k), 'utf8')]));
}

export interface MetricReadOptions extends ReadOptions {
  /**
   * Rewrite a metric file whose last line is torn without it (or remove a file left with no line),
   * so that MLflow reads it. Only for runs nobody writes to any more (ended, or reaped): a live
   * run's last line may be one being appended.
   */
  repair?: boolean;
}

/**
 * Every metric of a run, key → points. A torn last line (no final newline, or malformed: what a
 * process killed mid-write or a full disk leaves) is dropped, and reported with onWarning (thrown
 * without it); with repair the file is fixed on disk. A malformed line before the last is damage:
 * a StoreError, for the caller to skip the run (see listRuns).
 */
export function readMetricHistories(runDir: string, opts: MetricReadOptions = {}): Record<string, MetricPoint[]> {
  const dir = path.join(runDir, 'metrics');
  const out: Record<string, MetricPoint[]> = {};
  for (const key of listFiles(dir)) {
    const points = readMetricFile(path.join(dir, key), key, runDir, opts);
    if (points !== null) out[key] = points;
  }
  return out;
}

function readMetricFile(file: string, key: string, runDir: string, opts: MetricReadOptions): MetricPoint[] | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw storeFsError(err, file, 'read');
  }
  const lines = text.split('\n');
  let torn = lines.pop()!; // '' when the file ends with a newline
  const points: MetricPoint[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      points.push({ key, ...parseMetricLine(lines[i]!, file) });
    } catch (err) {
      if (i < lines.length - 1 || torn !== '') throw err; // damage before the last line
      torn = `${lines[i]}\n`;
      lines.length = i;
    }
  }
  if (torn === '' && points.length > 0) return points;
  const problem = torn === '' ? 'metric file is empty' : `torn last line ${JSON.stringify(torn)}`;
  if (!opts.onWarning) throw new StoreError(file, problem);
  if (!opts.repair) {
    opts.onWarning(`${file}: ${problem}: dropped it (the file is left as it is)`);
  } else if (points.length === 0) {
    removeQuietly(file);
    opts.onWarning(`${file}: ${problem}: ${fs.existsSync(file) ? 'could not remove' : 'removed'} the file, which held no whole line`);
  } else {
    try {
      writeAtomic(runDir, file, lines.map((l) => `${l}\n`).join(''));
      opts.onWarning(`${file}: ${problem}: dropped it and repaired the file`);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      opts.onWarning(`${file}: ${problem}: dropped it, but could not repair the file (${err.message})`);
    }
  }
  return points.length > 0 ? points : null;
}

/** The newest modification time (ms) of any file under dir's subdirectories subs (all of dir if none), or null. */
export function newestMtime(dir: string, subs?: string[]): number | null {
  let newest: number | null = null;
  const roots = subs ? subs.map((s) => path.join(dir, s)) : [dir];
  for (const root of roots) {
    for (const rel of listFiles(root)) {
      try {
        const t = fs.statSync(path.join(root, rel)).mtimeMs;
        if (newest === null || t > newest) newest = t;
      } catch (err) {
        if (!isUserFsError(err)) throw err; // a file replaced meanwhile (rename) is fine to miss
      }
    }
  }
  return newest === null ? null : Math.trunc(newest);
}

/** When a run last recorded something: the newest file of its metrics, params, tags and artifacts (ms), or null. */
export function lastEventTime(runDir: string): number | null {
  return newestMtime(runDir, ['metrics', 'params', 'tags', 'artifacts']);
}

/** A run's heartbeat: the newest modification time of any file in it, meta.yaml included (ms), or null. */
export function heartbeatTime(runDir: string): number | null {
  return newestMtime(runDir);
}

/** The value MLflow shows as a metric's latest: the point with the largest (step, timestamp, value). */
export function latestValue(points: MetricPoint[]): number {
  const later = (a: MetricPoint, b: MetricPoint): boolean =>
    a.step !== b.step ? a.step > b.step : a.timestamp !== b.timestamp ? a.timestamp > b.timestamp : a.value > b.value;
  return points.reduce((best, p) => (later(p, best) ? p : best)).value;
}

/**
 * A run's dataset inputs, as MLflow's FileStore._get_all_inputs reads them: each directory under
 * <run>/inputs holds a meta.yaml naming (source_id) a dataset directory under <exp>/datasets.
 * An input whose dataset is missing, or that is not a dataset, is skipped, as MLflow skips it.
 */
export function readRunInputs(runDir: string): DatasetInput[] {
  const inputsDir = path.join(runDir, 'inputs');
  const datasetsDir = path.join(path.dirname(runDir), 'datasets');
  if (!fs.existsSync(inputsDir) || !fs.existsSync(datasetsDir)) return [];
  const datasetIds = new Set(fs.readdirSync(datasetsDir));
  const out: DatasetInput[] = [];
  for (const name of fs.readdirSync(inputsDir).sort()) {
    const input = readYamlMapping(path.join(inputsDir, name, META));
    const sourceId = input.source_id;
    if (input.source_type !== 'DATASET' || typeof sourceId !== 'string' || !datasetIds.has(sourceId)) continue;
    const d = readYamlMapping(path.join(datasetsDir, sourceId, META));
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const tags = input.tags !== null && typeof input.tags === 'object' && !Array.isArray(input.tags)
      ? Object.fromEntries(Object.entries(input.tags as Record<string, unknown>).map(([k, v]) => [k, String(v)])) : {};
    out.push({
      dataset: {
        name: str(d.name) ?? '', digest: str(d.digest) ?? '', sourceType: str(d.source_type) ?? '', source: str(d.source) ?? '',
        ...(str(d.schema) !== undefined ? { schema: str(d.schema)! } : {}),
        ...(str(d.profile) !== undefined ? { profile: str(d.profile)! } : {}),
      },
      tags,
    });
  }
  return out;
}
