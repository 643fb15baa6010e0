// The local sink: MLflow 2.x's file-store layout, written so that `mlflow ui --backend-store-uri DIR`
// shows every run, and so that a process killed at any instant leaves a store MLflow can still read.
//
// All disk work is synchronous on purpose: each call finishes before the next starts, so concurrent
// tracker calls from the main thread cannot interleave half-done updates of one run.
import fs from 'node:fs';
import path from 'node:path';
import { randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TrackingError, type FinishedTrial, type MetricPoint, type NewRun, type RunRef, type RunStatus, type Tracker } from './tracker.js';
import { validateArtifactPath, validateEntries, validateKey } from './keys.js';
import {
  META, STATUS_CODE, StoreError, dumpYaml, formatMetricLine, readYamlMapping, writeAtomic,
} from './store-files.js';
import {
  latestValue, listExperiments, listRuns, readKeyValues, readMetricHistories, readRun, type StoredRun,
} from './store-reader.js';
import { OWNER_TAG, RUN_NAME_TAG, TRIAL_ID_TAG, USER_TAG, isAbandoned, runTags } from './run-tags.js';

export { StoreError } from './store-files.js';

export class ParamChangedError extends Error {
  override name = 'ParamChangedError';
}

const MAX_EXPERIMENT_NAME_LENGTH = 500;

/** A directory path or a file: URI, resolved against cwd. */
export function storeDirFromUri(uri: string, cwd: string): string {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (uri.startsWith('file:')) return path.resolve(cwd, decodeURIComponent(uri.slice('file:'.length)));
  return path.resolve(cwd, uri);
}

export class FileStoreTracker implements Tracker {
  readonly location: string;
  readonly root: string;
  private readonly runs = new Map<string, StoredRun>();

  constructor(dirOrUri: string, cwd: string = process.cwd(), private readonly now: () => number = Date.now) {
    this.root = storeDirFromUri(dirOrUri, cwd);
    this.location = this.root;
  }

  async experiment(name: string): Promise<string> {
    if (name === '' || name.length > MAX_EXPERIMENT_NAME_LENGTH) {
      throw new TrackingError(`invalid experiment name '${name.slice(0, 60)}': 1 to ${MAX_EXPERIMENT_NAME_LENGTH} characters`);
    }
    this.ensureStore();
    const found = listExperiments(this.root, { includeDeleted: true }).find((e) => e.name === name);
    if (found?.lifecycleStage === 'active') return found.id;
    if (found) {
      throw new StoreError(path.join(found.dir, META),
        `experiment '${name}' is deleted; restore it, or remove it from .trash to reuse the name`);
    }
    for (;;) {
      // MLflow's own ids are random 18-19 digit integers; collisions only cost a retry.
      let id = String(randomInt(1, 10));
      for (let i = 17 + randomInt(0, 2); i > 0; i--) id += String(randomInt(0, 10));
      try {
        this.createExperimentDir(id, name);
        return id;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  async createRun(experimentId: string, run: NewRun): Promise<RunRef> {
    const expDir = path.join(this.root, experimentId);
    if (!fs.existsSync(path.join(expDir, META))) throw new Error(`experiment ${experimentId} does not exist in ${this.root}`);
    const tags = runTags(run, run.parent?.runId);
    validateEntries('tag', tags);
    validateEntries('param', run.params);
    const runId = randomUUID().replaceAll('-', '');
    const dir = path.join(expDir, runId);
    fs.mkdirSync(dir);
    // Tags and params go first and meta.yaml last: MLflow skips a run directory without meta.yaml,
    // and a run killed in between must already carry the owner tag that lets it be reaped.
    for (const [key, value] of Object.entries(tags)) writeAtomic(dir, path.join(dir, 'tags', key), value);
    for (const [key, value] of Object.entries(run.params)) writeAtomic(dir, path.join(dir, 'params', key), value);
    for (const sub of ['tags', 'metrics', 'params', 'artifacts']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const meta = {
      artifact_uri: pathToFileURL(path.join(dir, 'artifacts')).href,
      end_time: null,
      entry_point_name: '',
      experiment_id: experimentId,
      lifecycle_stage: 'active',
      run_id: runId,
      run_name: run.runName,
      run_uuid: runId,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: Math.trunc(run.startTime),
      status: STATUS_CODE.RUNNING,
      tags: [],
      user_id: tags[USER_TAG] ?? '',
    };
    // MLflow's create_run also writes deleted_time: null; a later update drops it, as MLflow's does.
    writeAtomic(dir, path.join(dir, META), dumpYaml({ ...meta, deleted_time: null }));
    const stored = readRun(dir, experimentId);
    if (stored === null) throw new StoreError(path.join(dir, META), 'vanished while being created');
    this.runs.set(runId, stored);
    return { experimentId, runId };
  }

  async logMetrics(ref: RunRef, metrics: MetricPoint[]): Promise<void> {
    const run = this.activeRun(ref);
    const lines = new Map<string, string>();
    for (const m of metrics) {
      validateKey('metric', m.key);
      if (typeof m.value !== 'number') throw new TypeError(`metric '${m.key}': value must be a number`);
      if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) throw new TypeError(`metric '${m.key}': timestamp must be a non-negative integer (ms)`);
      if (!Number.isSafeInteger(m.step)) throw new TypeError(`metric '${m.key}': step must be an integer`);
      lines.set(m.key, (lines.get(m.key) ?? '') + formatMetricLine(m.timestamp, m.value, m.step));
    }
    for (const [key, text] of lines) {
      const file = path.join(run.dir, 'metrics', key);
      // An empty metric file makes MLflow fail the whole experiment: a new file appears with its
      // first lines in place (rename); later lines are appended whole.
      if (fs.existsSync(file)) fs.appendFileSync(file, text);
      else writeAtomic(run.dir, file, text);
    }
  }

  async logParams(ref: RunRef, params: Record<string, string>): Promise<void> {
    const run = this.activeRun(ref);
    validateEntries('param', params);
    for (const [key, value] of Object.entries(params)) {
      const file = path.join(run.dir, 'params', key);
      if (fs.existsSync(file)) {
        const current = fs.readFileSync(file, 'utf8');
        if (current !== value) {
          throw new ParamChangedError(`param '${key}' of run ${ref.runId} is '${current}'; it cannot change to '${value}'`);
        }
        continue;
      }
      writeAtomic(run.dir, file, value);
    }
  }

  async setTags(ref: RunRef, tags: Record<string, string>): Promise<void> {
    const run = this.activeRun(ref);
    validateEntries('tag', tags);
    for (const [key, value] of Object.entries(tags)) writeAtomic(run.dir, path.join(run.dir, 'tags', key), value);
    const name = tags[RUN_NAME_TAG];
    if (name !== undefined && name !== run.runName) this.rewriteMeta(run, { run_name: name });
  }

  async logArtifact(ref: RunRef, artifactPath: string, content: string | Uint8Array): Promise<void> {
    const run = this.activeRun(ref);
    validateArtifactPath(artifactPath);
    writeAtomic(run.dir, path.join(run.dir, 'artifacts', ...artifactPath.split('/')), content);
  }

  async endRun(ref: RunRef, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    this.rewriteMeta(this.activeRun(ref), { status: STATUS_CODE[status], end_time: Math.trunc(endTime) });
  }

  async finishedTrials(experimentId: string, trialIds: string[]): Promise<Map<string, FinishedTrial>> {
    const wanted = new Set(trialIds);
    const best = new Map<string, { run: StoredRun; trial: FinishedTrial }>();
    for (const run of this.runsOf(experimentId)) {
      if (run.status !== 'FINISHED' || run.lifecycleStage !== 'active') continue;
      const trialId = readKeyValues(run.dir, 'tags')[TRIAL_ID_TAG];
      if (trialId === undefined || !wanted.has(trialId)) continue;
      const prev = best.get(trialId);
      if (prev && (prev.run.endTime ?? 0) >= (run.endTime ?? 0)) continue;
      const metrics = Object.fromEntries(
        Object.entries(readMetricHistories(run.dir)).map(([k, points]) => [k, latestValue(points)]),
      );
      best.set(trialId, { run, trial: { trialId, run: { experimentId, runId: run.runId }, metrics } });
    }
    return new Map([...best].map(([id, { trial }]) => [id, trial]));
  }

  async reapAbandoned(experimentId: string): Promise<RunRef[]> {
    const reaped: RunRef[] = [];
    for (const run of this.runsOf(experimentId)) {
      if (run.status !== 'RUNNING' || run.lifecycleStage !== 'active') continue;
      if (!isAbandoned(readKeyValues(run.dir, 'tags')[OWNER_TAG])) continue;
      this.rewriteMeta(run, { status: STATUS_CODE.KILLED, end_time: this.now() });
      reaped.push({ experimentId, runId: run.runId });
    }
    return reaped;
  }

  private ensureStore(): void {
    if (!fs.existsSync(this.root)) {
      // A new store gets MLflow's Default experiment, as MLflow's FileStore creates it.
      fs.mkdirSync(this.root, { recursive: true });
      this.createExperimentDir('0', 'Default');
    }
    fs.mkdirSync(path.join(this.root, '.trash'), { recursive: true });
  }

  private createExperimentDir(id: string, name: string): void {
    const dir = path.join(this.root, id);
    fs.mkdirSync(dir); // throws EEXIST for a taken id
    const t = this.now();
    writeAtomic(dir, path.join(dir, META), dumpYaml({
      artifact_location: pathToFileURL(dir).href,
      creation_time: t,
      experiment_id: id,
      last_update_time: t,
      lifecycle_stage: 'active',
      name,
    }));
  }

  private runsOf(experimentId: string): StoredRun[] {
    const exp = listExperiments(this.root).find((e) => e.id === experimentId);
    if (!exp) throw new Error(`experiment ${experimentId} does not exist in ${this.root}`);
    return listRuns(exp);
  }

  private activeRun(ref: RunRef): StoredRun {
    let run = this.runs.get(ref.runId);
    if (!run) {
      const found = readRun(path.join(this.root, ref.experimentId, ref.runId), ref.experimentId);
      if (!found) throw new Error(`run ${ref.runId} does not exist in experiment ${ref.experimentId} of ${this.root}`);
      run = found;
      this.runs.set(ref.runId, run);
    }
    if (run.lifecycleStage !== 'active') throw new Error(`run ${ref.runId} is deleted`);
    return run;
  }

  private rewriteMeta(run: StoredRun, changes: Record<string, unknown>): void {
    const file = path.join(run.dir, META);
    const { deleted_time: _dropped, ...meta } = { ...readYamlMapping(file), ...changes };
    writeAtomic(run.dir, file, dumpYaml(meta));
    const updated = readRun(run.dir, run.experimentId);
    if (updated) this.runs.set(run.runId, updated);
  }
}
