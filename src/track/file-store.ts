// The local sink: MLflow 2.x's file-store layout, written so that `mlflow ui --backend-store-uri DIR`
// shows every run, and so that a process killed at any instant leaves a store MLflow can still read.
//
// All disk work is synchronous on purpose: each call finishes before the next starts, so concurrent
// tracker calls from the main thread cannot interleave half-done updates of one run.
//
// Several sweeps may share a store (liveness.ts has the rules): experiments are created under a
// lock file, so a name maps to one experiment; trials are claimed before they are trained; RUNNING
// runs are kept alive by a heartbeat and reaped when their owner is gone. Reading is tolerant:
// damage (a torn metric line, garbage in a meta.yaml) is reported through onWarning and skipped or
// repaired, never blocking the rest of the store. A filesystem failure the user can cause (disk full,
// permissions, read-only, a file where a directory should be) is a StoreError: one line naming the
// path, with no temp file left behind.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isUserFsError } from '../errors.js';
import {
  TrackingError, type DatasetInput, type FinishedTrial, type MetricPoint, type NewRun, type RunRef, type RunStatus, type TrialClaim, type Tracker,
} from './tracker.js';
import { validateArtifactPath, validateEntries, validateKey } from './keys.js';
import { HEARTBEAT_INTERVAL_MS, Heartbeat, staleAfterMs } from './liveness.js';
import {
  META, STATUS_CODE, StoreError, TEMP_PREFIX, appendWholeLines, dumpYaml, formatMetricLine, readYamlMapping,
  storeFsError, writeAtomic,
} from './store-files.js';
import { breakStale, isStale, readOwned, releaseOwned, tryTake, withStoreLock } from './store-lock.js';
import {
  heartbeatTime, lastEventTime, latestValue, listExperiments, listRuns, readExperiment, readKeyValues, readMetricHistories,
  readRun, type StoredRun,
} from './store-reader.js';
import { OWNER_TAG, RUN_NAME_TAG, TRIAL_ID_TAG, USER_TAG, ownerState, runTags } from './run-tags.js';

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

/** A claim file in the experiment's directory: a file, so MLflow (which lists directories) ignores it. */
export const CLAIM_PREFIX = '.claim-';
const TRIAL_ID = /^[A-Za-z0-9_-]{1,200}$/;

export interface FileStoreOptions {
  /** the clock for creation times and for judging heartbeats (tests); default Date.now */
  now?: () => number;
  /**
   * One line per problem found and worked around: a damaged experiment or run skipped, a torn
   * metric line dropped and repaired, a heartbeat lost. Default: printed to stderr.
   */
  onWarning?: (message: string) => void;
  /** when an unverifiable heartbeat is stale (ms); default RUN_SWEEP_STALE_AFTER, else 10 minutes */
  staleAfterMs?: number;
  /** default HEARTBEAT_INTERVAL_MS */
  heartbeatMs?: number;
  /** the longest wait for the experiment-creation lock (ms); default STORE_LOCK_WAIT_MS */
  lockWaitMs?: number;
}

export class FileStoreTracker implements Tracker {
  readonly location: string;
  readonly root: string;
  private readonly runs = new Map<string, StoredRun>();
  private readonly now: () => number;
  private readonly warned = new Set<string>();
  private readonly heartbeat: Heartbeat;

  constructor(dirOrUri: string, cwd: string = process.cwd(), private readonly options: FileStoreOptions = {}) {
    this.root = storeDirFromUri(dirOrUri, cwd);
    this.location = this.root;
    this.now = options.now ?? Date.now;
    this.heartbeat = new Heartbeat(options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS, (file, err) =>
      this.warn(`${file}: heartbeat stopped: ${err.code === 'ENOENT' ? 'the file is gone (taken over or removed)' : err.message}`));
  }

  /** Reports a problem once per tracker (the same damage is met by several calls of one sweep). */
  private readonly warn = (message: string): void => {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    if (this.options.onWarning) this.options.onWarning(message);
    else process.stderr.write(`run-sweep: warning: ${message}\n`);
  };

  async experiment(name: string): Promise<string> {
    if (name === '' || name.length > MAX_EXPERIMENT_NAME_LENGTH) {
      throw new TrackingError(`invalid experiment name '${name.slice(0, 60)}': 1 to ${MAX_EXPERIMENT_NAME_LENGTH} characters`);
    }
    return this.guard(async () => {
      this.ensureStore();
      // Creating takes the lock and looks again: another sweep may have created it meanwhile.
      return this.findExperiment(name) ?? (await withStoreLock(this.root,
        () => this.findExperiment(name) ?? this.createExperiment(name),
        { now: this.now, waitMs: this.options.lockWaitMs }));
    });
  }

  /** The name of an experiment of this store (for the mirror), or undefined if it has none or is damaged. */
  experimentName(experimentId: string): string | undefined {
    return this.guard(() => {
      try {
        return readExperiment(path.join(this.root, experimentId))?.name;
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        this.warn(`skipping a damaged experiment: ${err.message}`);
        return undefined;
      }
    });
  }

  private findExperiment(name: string): string | undefined {
    const found = listExperiments(this.root, { includeDeleted: true, onWarning: this.warn }).find((e) => e.name === name);
    if (found?.lifecycleStage === 'active') return found.id;
    if (found) {
      throw new StoreError(path.join(found.dir, META),
        `experiment '${name}' is deleted; restore it, or remove it from .trash to reuse the name`);
    }
    return undefined;
  }

  private createExperiment(name: string): string {
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
    return this.guard(() => {
      fs.mkdirSync(dir);
      try {
        this.writeNewRun(dir, experimentId, runId, run, tags);
      } catch (err) {
        // A run that could not be written whole leaves nothing (MLflow would skip it anyway: no meta.yaml).
        try {
          fs.rmSync(dir, { recursive: true, force: true });
        } catch {
          // the write's own error is the one to report
        }
        throw err;
      }
      const stored = readRun(dir, experimentId);
      if (stored === null) throw new StoreError(path.join(dir, META), 'vanished while being created');
      this.runs.set(runId, stored);
      this.heartbeat.add(path.join(dir, META));
      return { experimentId, runId };
    });
  }

  private writeNewRun(dir: string, experimentId: string, runId: string, run: NewRun, tags: Record<string, string>): void {
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
    this.guard(() => {
      for (const [key, text] of lines) {
        const file = path.join(run.dir, 'metrics', key);
        // An empty metric file makes MLflow fail the whole experiment: a new file appears with its
        // first lines in place (rename); later lines are appended whole, or not at all.
        if (!fs.existsSync(file)) {
          writeAtomic(run.dir, file, text);
          continue;
        }
        const torn = appendWholeLines(file, text);
        if (torn !== '') this.warn(`${file}: cut a torn last line ${JSON.stringify(torn)} before appending`);
      }
    });
  }

  async logParams(ref: RunRef, params: Record<string, string>): Promise<void> {
    const run = this.activeRun(ref);
    validateEntries('param', params);
    this.guard(() => {
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
    });
  }

  async setTags(ref: RunRef, tags: Record<string, string>): Promise<void> {
    const run = this.activeRun(ref);
    validateEntries('tag', tags);
    this.guard(() => {
      for (const [key, value] of Object.entries(tags)) writeAtomic(run.dir, path.join(run.dir, 'tags', key), value);
      const name = tags[RUN_NAME_TAG];
      if (name !== undefined && name !== run.runName) this.rewriteMeta(run, { run_name: name });
    });
  }

  /**
   * MLflow's FileStore.log_inputs, written as it writes them (mlflow/store/tracking/file_store.py):
   * the dataset once per experiment in <exp>/datasets/<md5(name + digest)>/meta.yaml, the input in
   * <run>/inputs/<md5(dataset id + run id)>/meta.yaml; an existing directory is left as it is. Each
   * directory appears whole (built under a temp name, then renamed), so MLflow never meets one
   * without its meta.yaml, which would make it fail to read the run.
   */
  async logInputs(ref: RunRef, inputs: DatasetInput[]): Promise<void> {
    const run = this.activeRun(ref);
    for (const input of inputs) validateDatasetInput(input);
    this.guard(() => {
      const expDir = path.dirname(run.dir);
      for (const { dataset, tags } of inputs) {
        const datasetId = md5Hex(dataset.name, dataset.digest);
        const datasets = path.join(expDir, DATASETS_DIR);
        placeDirectory(datasets, path.join(datasets, datasetId), dumpFlatYamlAsPyYaml({
          digest: dataset.digest,
          name: dataset.name,
          profile: dataset.profile ?? null,
          schema: dataset.schema ?? null,
          source: dataset.source,
          source_type: dataset.sourceType,
        }));
        // MLflow writes the dataset id as destination_id too (its _FileStoreInput.write_yaml uses
        // source_id for both); its reader ignores destination_id. Written as MLflow writes it.
        placeDirectory(run.dir, path.join(run.dir, INPUTS_DIR, md5Hex(datasetId, run.runId)), dumpYaml({
          destination_id: datasetId,
          destination_type: 'RUN',
          source_id: datasetId,
          source_type: 'DATASET',
          tags: { ...tags },
        }));
      }
    });
  }

  async logArtifact(ref: RunRef, artifactPath: string, content: string | Uint8Array): Promise<void> {
    const run = this.activeRun(ref);
    validateArtifactPath(artifactPath);
    writeAtomic(run.dir, path.join(run.dir, 'artifacts', ...artifactPath.split('/')), content);
  }

  /** endTime is kept as given (a run killed by a signal ends when the signal came, not when it is recorded). */
  async endRun(ref: RunRef, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    const run = this.activeRun(ref);
    this.guard(() => this.rewriteMeta(run, { status: STATUS_CODE[status], end_time: Math.trunc(endTime) }));
    this.heartbeat.delete(path.join(run.dir, META));
  }

  async finishedTrials(experimentId: string, trialIds: string[]): Promise<Map<string, FinishedTrial>> {
    const wanted = new Set(trialIds);
    const best = new Map<string, { run: StoredRun; trial: FinishedTrial }>();
    return this.guard(() => {
      for (const run of this.runsOf(experimentId)) {
        if (run.status !== 'FINISHED' || run.lifecycleStage !== 'active') continue;
        const trialId = this.runTags(run)?.[TRIAL_ID_TAG];
        if (trialId === undefined || !wanted.has(trialId)) continue;
        const prev = best.get(trialId);
        if (prev && (prev.run.endTime ?? 0) >= (run.endTime ?? 0)) continue;
        const histories = this.endedRunMetrics(run);
        if (histories === null) continue;
        const metrics = Object.fromEntries(Object.entries(histories).map(([k, points]) => [k, latestValue(points)]));
        best.set(trialId, { run, trial: { trialId, run: { experimentId, runId: run.runId }, metrics } });
      }
      return new Map([...best].map(([id, { trial }]) => [id, trial]));
    });
  }

  keepAlive(run: RunRef): () => void {
    const meta = path.join(this.root, run.experimentId, run.runId, META);
    try {
      const now = new Date();
      fs.utimesSync(meta, now, now); // now, before this process reaps anything
    } catch {
      return () => {}; // not in this store (yet): nothing to keep
    }
    this.heartbeat.add(meta);
    return () => this.heartbeat.delete(meta);
  }

  /**
   * Marks KILLED each RUNNING run whose owner is gone: dead on this host, or (another host, or no
   * owner) silent for longer than RUN_SWEEP_STALE_AFTER. Its end time is its last event, not now.
   * Its metric files are repaired, its temp files removed; stale trial claims are removed too.
   */
  async reapAbandoned(experimentId: string): Promise<RunRef[]> {
    const staleMs = this.staleAfterMs();
    return this.guard(() => {
      const now = this.now();
      const reaped: RunRef[] = [];
      for (const run of this.runsOf(experimentId)) {
        if (run.status !== 'RUNNING' || run.lifecycleStage !== 'active') continue;
        const tags = this.runTags(run);
        if (tags === null) continue;
        const state = ownerState(tags[OWNER_TAG]);
        if (state === 'alive') continue;
        if (state === 'unknown' && now - (heartbeatTime(run.dir) ?? run.startTime) <= staleMs) continue;
        const endTime = Math.max(run.startTime, lastEventTime(run.dir) ?? run.startTime);
        this.rewriteMeta(run, { status: STATUS_CODE.KILLED, end_time: endTime });
        this.removeTempFiles(run.dir, Infinity, now); // its writer is gone
        this.endedRunMetrics(run);
        reaped.push({ experimentId, runId: run.runId });
      }
      const expDir = path.join(this.root, experimentId);
      this.removeTempFiles(expDir, staleMs, now);
      for (const name of fs.readdirSync(expDir)) {
        if (!name.startsWith(CLAIM_PREFIX)) continue;
        const seen = readOwned(path.join(expDir, name));
        if (seen && isStale(seen, staleMs, now, false)) breakStale(seen);
      }
      return reaped;
    });
  }

  /**
   * Claims a trial for this process: null when a live owner holds it. A claim whose owner is dead
   * on this host, or (another host) whose heartbeat is older than RUN_SWEEP_STALE_AFTER, is taken
   * over. Keep it until the trial's run has ended, then release it.
   */
  async claimTrial(experimentId: string, trialId: string): Promise<TrialClaim | null> {
    const file = this.claimFile(experimentId, trialId);
    const staleMs = this.staleAfterMs();
    return this.guard(() => {
      // A few tries: others may be breaking the same stale claim, or releasing it, meanwhile.
      for (let attempt = 0; attempt < 5; attempt++) {
        const mine = tryTake(file, this.now());
        if (mine !== null) {
          this.heartbeat.add(file);
          let held = true;
          return {
            experimentId,
            trialId,
            release: (): void => {
              if (!held) return;
              held = false;
              this.heartbeat.delete(file);
              withStoreFsErrorsQuiet(() => releaseOwned(file, mine), this.warn);
            },
          };
        }
        const seen = readOwned(file);
        if (seen === null) continue;
        if (!isStale(seen, staleMs, this.now(), false)) return null;
        breakStale(seen);
      }
      return null;
    });
  }

  /** Whether a live owner (this process included) holds the trial's claim. */
  trialClaimed(experimentId: string, trialId: string): boolean {
    const file = this.claimFile(experimentId, trialId);
    const staleMs = this.staleAfterMs();
    try {
      const seen = readOwned(file);
      return seen !== null && !isStale(seen, staleMs, this.now(), false);
    } catch (err) {
      throw storeFsError(err, file, 'read');
    }
  }

  private claimFile(experimentId: string, trialId: string): string {
    if (!TRIAL_ID.test(trialId)) throw new TypeError(`trial id '${trialId}': expected 1-200 letters, digits, '_' or '-'`);
    const expDir = path.join(this.root, experimentId);
    if (!fs.existsSync(path.join(expDir, META))) throw new Error(`experiment ${experimentId} does not exist in ${this.root}`);
    return path.join(expDir, `${CLAIM_PREFIX}${trialId}`);
  }

  private staleAfterMs(): number {
    return this.options.staleAfterMs ?? staleAfterMs();
  }

  /** A run's tags; null (with a warning) when they cannot be read. */
  private runTags(run: StoredRun): Record<string, string> | null {
    try {
      return readKeyValues(run.dir, 'tags');
    } catch (err) {
      const damage = storeFsError(err);
      if (!(damage instanceof StoreError)) throw damage;
      this.warn(`skipping a damaged run: ${damage.message}`);
      return null;
    }
  }

  /**
   * The metrics of a run nobody writes to any more, torn last lines dropped and repaired; null
   * (with a warning) when a metric file is damaged beyond its last line.
   */
  private endedRunMetrics(run: StoredRun): ReturnType<typeof readMetricHistories> | null {
    try {
      return readMetricHistories(run.dir, { onWarning: this.warn, repair: true });
    } catch (err) {
      const damage = storeFsError(err);
      if (!(damage instanceof StoreError)) throw damage;
      this.warn(`skipping a damaged run: ${damage.message}; MLflow cannot read this experiment until the file is fixed or removed`);
      return null;
    }
  }

  /** Removes temp files in dir (not below) older than maxAgeMs: left by a process killed mid-write. */
  private removeTempFiles(dir: string, maxAgeMs: number, now: number): void {
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const file = path.join(dir, name);
      try {
        if (maxAgeMs === Infinity || now - fs.statSync(file).mtimeMs > maxAgeMs) fs.rmSync(file, { force: true });
      } catch (err) {
        if (!isUserFsError(err)) throw err;
      }
    }
  }

  /** Runs work; a user-caused filesystem failure comes out as a StoreError naming the path. */
  private guard<T>(work: () => T): T {
    try {
      const result = work();
      if (result instanceof Promise) return result.catch((err: unknown) => { throw storeFsError(err); }) as T;
      return result;
    } catch (err) {
      throw storeFsError(err);
    }
  }

  private ensureStore(): void {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (stat && !stat.isDirectory()) {
      throw new StoreError(this.root, 'is a file, not a directory; the store must be a directory (move the file away, or choose another --tracking-uri)');
    }
    if (!stat) {
      fs.mkdirSync(path.dirname(this.root), { recursive: true });
      let created = true;
      try {
        fs.mkdirSync(this.root);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        created = false; // another sweep made it at the same moment, and makes Default
      }
      // A new store gets MLflow's Default experiment, as MLflow's FileStore creates it.
      if (created) this.createExperimentDir('0', 'Default');
    }
    fs.mkdirSync(path.join(this.root, '.trash'), { recursive: true });
  }

  private createExperimentDir(id: string, name: string): void {
    const dir = path.join(this.root, id);
    fs.mkdirSync(dir); // throws EEXIST for a taken id
    const t = this.now();
    try {
      writeAtomic(dir, path.join(dir, META), dumpYaml({
        artifact_location: pathToFileURL(dir).href,
        creation_time: t,
        experiment_id: id,
        last_update_time: t,
        lifecycle_stage: 'active',
        name,
      }));
    } catch (err) {
      try {
        fs.rmdirSync(dir); // MLflow would skip it (no meta.yaml), but it is clutter
      } catch {
        // the write's own error is the one to report
      }
      throw err;
    }
  }

  /** The runs of our experiment; a damaged run is skipped with a warning. */
  private runsOf(experimentId: string): StoredRun[] {
    const exp = readExperiment(path.join(this.root, experimentId));
    if (!exp) throw new Error(`experiment ${experimentId} does not exist in ${this.root}`);
    return listRuns(exp, { onWarning: this.warn });
  }

  private activeRun(ref: RunRef): StoredRun {
    let run = this.runs.get(ref.runId);
    if (!run) {
      const dir = path.join(this.root, ref.experimentId, ref.runId);
      const found = this.guard(() => readRun(dir, ref.experimentId));
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

const DATASETS_DIR = 'datasets';
const INPUTS_DIR = 'inputs';

/** MLflow's FileStore._get_dataset_id / _get_input_id: the MD5 of two UTF-8 strings, concatenated. */
function md5Hex(a: string, b: string): string {
  return createHash('md5').update(a, 'utf8').update(b, 'utf8').digest('hex');
}

// mlflow/utils/validation.py: what MLflow's stores and server refuse in log_inputs
const DATASET_LIMITS = { name: 500, digest: 36, source: 65535, schema: 1048575, profile: 16777215 };
const INPUT_TAG_KEY_MAX = 255;
const INPUT_TAG_VALUE_MAX = 500;

export function validateDatasetInput({ dataset, tags }: DatasetInput): void {
  for (const field of ['name', 'digest', 'source', 'sourceType'] as const) {
    if (typeof dataset[field] !== 'string' || dataset[field] === '') throw new TypeError(`dataset: ${field} must be a non-empty string`);
  }
  for (const [field, max] of Object.entries(DATASET_LIMITS) as Array<[keyof typeof DATASET_LIMITS, number]>) {
    const v = dataset[field];
    if (v !== undefined && v.length > max) throw new TypeError(`dataset '${dataset.name.slice(0, 60)}': ${field} is longer than MLflow's ${max} characters`);
  }
  if (dataset.sourceType.length > 36) throw new TypeError(`dataset '${dataset.name}': source type is longer than 36 characters`);
  for (const [key, value] of Object.entries(tags)) {
    if (key === '' || key.length > INPUT_TAG_KEY_MAX) throw new TypeError(`input tag '${key.slice(0, 60)}': 1 to ${INPUT_TAG_KEY_MAX} characters`);
    if (typeof value !== 'string' || value.length > INPUT_TAG_VALUE_MAX) throw new TypeError(`input tag '${key}': a string of at most ${INPUT_TAG_VALUE_MAX} characters`);
  }
}

/**
 * Makes dir holding one meta.yaml, unless dir exists (MLflow's rule: the first write stands). The
 * directory is built under a temp name in tmpParent (a place MLflow's reader ignores, on the same
 * filesystem) and renamed into place, so no reader sees it without its meta.yaml; a concurrent
 * writer that placed it first wins, and ours is removed.
 */
function placeDirectory(tmpParent: string, dir: string, meta: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(tmpParent, { recursive: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // not TEMP_PREFIX: the reaper removes those as files
  const tmp = path.join(tmpParent, `.tmpdir-${randomUUID().slice(0, 12)}`);
  try {
    fs.mkdirSync(tmp);
    writeAtomic(tmpParent, path.join(tmp, META), meta);
    fs.renameSync(tmp, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && fs.existsSync(path.join(dir, META))) return;
    throw storeFsError(err, dir, 'create');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * A flat mapping of strings and nulls as MLflow's write_yaml (PyYAML's safe_dump, block style, keys
 * sorted) writes it, byte for byte where it matters: PyYAML folds a long single-quoted scalar (the
 * JSON of a dataset's source and profile) at a space once past column 80, continuing 2 columns
 * in. A value PyYAML would not single-quote keeps dumpYaml's form (the same value when read).
 * (PyYAML single-quotes any one-line printable ASCII string it cannot write plain.)
 */
export function dumpFlatYamlAsPyYaml(data: Record<string, string | null>): string {
  let out = '';
  for (const key of Object.keys(data).sort()) {
    const value = data[key]!;
    const line = dumpYaml({ [key]: value });
    const quoted = line.startsWith(`${key}: '`) || line.startsWith(`${key}: "`);
    if (value !== null && quoted && !/[\n\x85\u2028\u2029]/.test(value) && /^[\x20-\x7e]*$/.test(value)) {
      out += `${key}: ${pyYamlSingleQuoted(value, key.length + 3)}\n`;
    } else {
      out += line;
    }
  }
  return out;
}

/** PyYAML's Emitter.write_single_quoted for one line of printable ASCII; column: where the text starts. */
function pyYamlSingleQuoted(text: string, column: number): string {
  const BEST_WIDTH = 80;
  const INDENT = 2;
  let out = "'";
  let spaces = false;
  let start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = end < text.length ? text[end]! : null;
    if (spaces) {
      if (ch !== ' ') {
        if (start + 1 === end && column > BEST_WIDTH && start !== 0 && end !== text.length) {
          out += `\n${' '.repeat(INDENT)}`;
          column = INDENT;
        } else {
          out += text.slice(start, end);
          column += end - start;
        }
        start = end;
      }
    } else if ((ch === null || ch === ' ' || ch === "'") && start < end) {
      out += text.slice(start, end);
      column += end - start;
      start = end;
    }
    if (ch === "'") {
      out += "''";
      column += 2;
      start = end + 1;
    }
    if (ch !== null) spaces = ch === ' ';
  }
  return `${out}'`;
}

/** Runs work; a filesystem failure is reported as a warning instead (for cleanup that must not fail a sweep). */
function withStoreFsErrorsQuiet(work: () => void, warn: (message: string) => void): void {
  try {
    work();
  } catch (err) {
    const e = storeFsError(err);
    if (!(e instanceof StoreError)) throw e;
    warn(e.message);
  }
}
