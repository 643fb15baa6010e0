// Reads a local MLflow file store back: for finding experiments by name, resuming finished trials,
// reaping abandoned runs and replaying runs to a server. Anything MLflow could not read is a StoreError.
import fs from 'node:fs';
import path from 'node:path';
import type { MetricPoint, RunStatus } from './tracker.js';
import { META, StoreError, parseMetricLine, readYamlMapping, statusName } from './store-files.js';

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

function readExperiment(dir: string): StoredExperiment | null {
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

export function listExperiments(root: string, opts: { includeDeleted?: boolean } = {}): StoredExperiment[] {
  if (!fs.existsSync(root)) return [];
  const dirs = subdirs(root).filter((d) => !NOT_EXPERIMENTS.has(d)).map((d) => path.join(root, d));
  const trash = path.join(root, TRASH);
  if (opts.includeDeleted && fs.existsSync(trash)) dirs.push(...subdirs(trash).map((d) => path.join(trash, d)));
  return dirs.map(readExperiment).filter((e): e is StoredExperiment => e !== null);
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

export function listRuns(exp: StoredExperiment): StoredRun[] {
  return subdirs(exp.dir)
    .filter((d) => !NOT_RUNS.has(d))
    .map((d) => readRun(path.join(exp.dir, d), exp.id))
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

export function readMetricHistories(runDir: string): Record<string, MetricPoint[]> {
  const dir = path.join(runDir, 'metrics');
  const out: Record<string, MetricPoint[]> = {};
  for (const key of listFiles(dir)) {
    const file = path.join(dir, key);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (lines.length === 0) throw new StoreError(file, 'metric file is empty');
    out[key] = lines.map((l) => ({ key, ...parseMetricLine(l, file) }));
  }
  return out;
}

/** The value MLflow shows as a metric's latest: the point with the largest (step, timestamp, value). */
export function latestValue(points: MetricPoint[]): number {
  const later = (a: MetricPoint, b: MetricPoint): boolean =>
    a.step !== b.step ? a.step > b.step : a.timestamp !== b.timestamp ? a.timestamp > b.timestamp : a.value > b.value;
  return points.reduce((best, p) => (later(p, best) ? p : best)).value;
}
