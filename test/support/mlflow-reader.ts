// An independent port of the checks MLflow 2.17's FileStore (mlflow/store/tracking/file_store.py,
// mlflow/utils/file_utils.py, mlflow/utils/validation.py, mlflow/entities/run_info.py, and for run
// inputs mlflow/entities/dataset.py, dataset_input.py, input_tag.py, _mlflow_object.py) applies
// when it reads a store: what it rejects here, MLflow rejects, and one rejected run makes MLflow's
// run search fail for the whole experiment. It deliberately shares no code with src/track.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** What MLflow raises (MlflowException, TypeError, ValueError, ...) and does not swallow. */
export class MlflowReadError extends Error {
  override name = 'MlflowReadError';
}
/** MLflow's MissingConfigException: the directory is skipped with a warning. */
class MissingConfig extends Error {}

export interface Metric { key: string; value: number; timestamp: number; step: number }
export interface RunInfo {
  run_id: string; run_uuid: string; experiment_id: string; run_name: string | null; user_id: string;
  status: string; start_time: number; end_time: number | null; lifecycle_stage: string; artifact_uri: string | null;
}
/** mlflow.entities.Dataset: values as read from YAML, unchecked (MLflow does not check their types) */
export interface Dataset { name: unknown; digest: unknown; source_type: unknown; source: unknown; schema: unknown; profile: unknown }
export interface DatasetInput { dataset: Dataset; tags: Array<{ key: string; value: unknown }> }
export interface DatasetSummary { experiment_id: string; name: unknown; digest: unknown; context: unknown }
export interface Run {
  info: RunInfo;
  data: { metrics: Record<string, number>; params: Record<string, string>; tags: Record<string, string> };
  inputs: { dataset_inputs: DatasetInput[] };
}
export interface Experiment {
  experiment_id: string; name: string; artifact_location: string; lifecycle_stage: string;
  creation_time: number | null; last_update_time: number | null; tags: Record<string, string>;
}

const STATUS_TO_STRING = new Map([[1, 'RUNNING'], [2, 'SCHEDULED'], [3, 'FINISHED'], [4, 'FAILED'], [5, 'KILLED']]);
const RUN_ID_REGEX = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID_REGEX = /^[a-zA-Z0-9][\w-]{0,63}$/;
const VALID_NAME = /^[/\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}.\- ]*$/u;
const RESERVED_EXPERIMENT_FOLDERS = ['tags', 'datasets', 'traces'];
/** mlflow/protos/internal.proto InputVertexType */
const INPUT_VERTEX_TYPE = new Map([['RUN', 1], ['DATASET', 2]]);
const DATASET_PROPERTIES = ['digest', 'name', 'profile', 'schema', 'source', 'source_type'] as const;
// Python's str.strip() and str.splitlines() character sets
const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');
const PY_LINE_BREAK = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/;

function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

/** Python's int(str) for base 10 */
function pyInt(s: string): number {
  const t = pyStrip(s);
  if (!/^[+-]?\d+(?:_\d+)*$/.test(t)) throw new MlflowReadError(`ValueError: invalid literal for int() with base 10: '${s}'`);
  return Number(t.replaceAll('_', ''));
}

/** Python's float(str) */
function pyFloat(s: string): number {
  const t = pyStrip(s);
  const digits = '\\d(?:_?\\d)*';
  const num = new RegExp(`^[+-]?(?:(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?)$`);
  if (/^[+-]?(?:inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (!num.test(t)) throw new MlflowReadError(`ValueError: could not convert string to float: '${s}'`);
  return Number(t.replaceAll('_', ''));
}

function posixNormpath(p: string): string {
  if (p === '') return '.';
  const initial = p.startsWith('/') ? (p.startsWith('//') && !p.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c !== '..' || (initial === 0 && out.length === 0) || out.at(-1) === '..') out.push(c);
    else if (out.length > 0) out.pop();
  }
  const s = '/'.repeat(initial) + out.join('/');
  return s === '' ? '.' : s;
}

/** _validate_metric_name / _validate_param_name / _validate_tag_name */
function validateName(kind: string, name: string): void {
  // Python's re '$' also matches before one trailing newline
  if (!VALID_NAME.test(name.endsWith('\n') ? name.slice(0, -1) : name)) {
    throw new MlflowReadError(`Invalid ${kind} name: '${name}'`);
  }
  const norm = posixNormpath(name);
  if (norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw new MlflowReadError(`Invalid ${kind} name: '${name}'. It would resolve to '${norm}'`);
  }
}

/** read_yaml + FileStore._read_yaml: PyYAML's SafeLoader (YAML 1.1), strict UTF-8. */
function readYaml(dir: string, file: string): unknown {
  const p = path.join(dir, file);
  if (!fs.existsSync(dir) || !fs.existsSync(p)) throw new MissingConfig(`Yaml file '${p}' does not exist.`);
  try {
    // Python ints are exact: big integers stay bigint until we know what they are for.
    const data: unknown = parse(readUtf8(p), { version: '1.1', uniqueKeys: false, intAsBigInt: true }) ?? null;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
    return Object.fromEntries(Object.entries(data).map(([k, v]) =>
      [k, typeof v === 'bigint' ? (k === 'experiment_id' ? v : Number(v)) : v]));
  } catch (err) {
    throw new MlflowReadError(`${p}: YAML error: ${(err as Error).message}`);
  }
}

function readUtf8(p: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(p));
  } catch (err) {
    throw new MlflowReadError(`${p}: UnicodeDecodeError: ${(err as Error).message}`);
  }
}

function isDir(p: string): boolean {
  return fs.existsSync(p) && fs.statSync(p).isDirectory();
}

function listSubdirs(dir: string): string[] {
  if (!isDir(dir)) throw new MlflowReadError(`Invalid parent directory '${dir}'`);
  return fs.readdirSync(dir).filter((n) => isDir(path.join(dir, n)));
}

/** _get_resource_files: every file under root/sub, relative, via os.walk */
function resourceFiles(root: string, sub: string): string[] {
  if (!isDir(root)) throw new MlflowReadError(`Invalid parent directory '${root}'`);
  const base = path.join(root, sub);
  if (!fs.existsSync(base)) return [];
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(base, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out;
}

function requireMapping(data: unknown, what: string): Record<string, unknown> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new MlflowReadError(`${what}: TypeError: meta.yaml is not a mapping`);
  }
  return data as Record<string, unknown>;
}

/** RunStatus.to_string: a dict lookup, so Python's True (== 1) passes and strings fail. */
function statusToString(status: unknown, where: string): string {
  const key = status === true ? 1 : status;
  const s = typeof key === 'number' ? STATUS_TO_STRING.get(key) : undefined;
  if (s === undefined) throw new MlflowReadError(`${where}: Could not get string corresponding to run status ${String(status)}`);
  return s;
}

export class MlflowFileStoreReader {
  private readonly trash: string;

  constructor(readonly root: string) {
    this.trash = path.join(root, '.trash');
  }

  /** search_experiments(ACTIVE_ONLY) */
  searchExperiments(): Experiment[] {
    if (!isDir(this.root)) throw new MlflowReadError(`'${this.root}' does not exist.`);
    const ids = listSubdirs(this.root).filter((d) => !d.endsWith('.trash') && d !== 'models');
    const out: Experiment[] = [];
    for (const id of ids) {
      try {
        const exp = this.getExperimentFromDir(id, path.join(this.root, id));
        if (exp) out.push(exp);
      } catch (err) {
        if (!(err instanceof MissingConfig)) throw err;
      }
    }
    return out;
  }

  getExperimentByName(name: string): Experiment | undefined {
    return this.searchExperiments().find((e) => e.name === name);
  }

  /** _get_experiment */
  private getExperimentFromDir(id: string, dir: string): Experiment | null {
    if (!EXPERIMENT_ID_REGEX.test(id)) throw new MlflowReadError(`Invalid experiment ID: '${id}'`);
    const where = path.join(dir, 'meta.yaml');
    const meta = readYaml(dir, 'meta.yaml');
    if (meta === null) throw new MlflowReadError(`${where}: TypeError: 'NoneType' object does not support item assignment`);
    const m = requireMapping(meta, where);
    const tags: Record<string, string> = {};
    for (const t of resourceFiles(dir, 'tags')) {
      validateName('tag', t);
      tags[t] = readUtf8(path.join(dir, 'tags', t));
    }
    if (!('experiment_id' in m)) throw new MlflowReadError(`${where}: KeyError: 'experiment_id'`);
    for (const k of ['name', 'artifact_location', 'lifecycle_stage']) {
      if (!(k in m)) throw new MlflowReadError(`${where}: TypeError: Experiment.__init__() missing argument '${k}'`);
    }
    const expId = typeof m.experiment_id === 'bigint' ? String(m.experiment_id) : m.experiment_id;
    if (expId !== id) return null; // MLflow: "Experiment ID mismatch ... Experiment will be ignored."
    return {
      experiment_id: id,
      name: m.name as string,
      artifact_location: m.artifact_location as string,
      lifecycle_stage: m.lifecycle_stage as string,
      creation_time: (m.creation_time ?? null) as number | null,
      last_update_time: (m.last_update_time ?? null) as number | null,
      tags,
    };
  }

  /** _search_runs(experiment_ids, filter=None, ACTIVE_ONLY) */
  searchRuns(experimentIds: string[]): Run[] {
    const runs: Run[] = [];
    for (const expId of experimentIds) {
      for (const info of this.listRunInfos(expId)) runs.push(this.runFromInfo(info));
    }
    return runs;
  }

  /** get_run: finds the directory named run_id in any experiment */
  getRun(runId: string): Run {
    return this.runFromInfo(this.getRunInfo(runId));
  }

  getMetricHistory(runId: string, key: string): Metric[] {
    validateName('metric', key);
    const info = this.getRunInfo(runId);
    const runDir = this.runDir(info);
    if (!resourceFiles(runDir, 'metrics').includes(key)) return [];
    return this.metricLines(runDir, key, info.experiment_id);
  }

  /** the run's artifacts, relative to its artifact_uri (a local file: URI here) */
  listArtifacts(runId: string): string[] {
    const info = this.getRunInfo(runId);
    if (!info.artifact_uri?.startsWith('file:')) throw new MlflowReadError(`run ${runId}: artifact_uri is not local`);
    const dir = fileURLToPath(info.artifact_uri);
    return fs.existsSync(dir) ? resourceFiles(path.dirname(dir), path.basename(dir)).sort() : [];
  }

  readArtifact(runId: string, artifactPath: string): Buffer {
    return fs.readFileSync(path.join(fileURLToPath(this.getRunInfo(runId).artifact_uri ?? ''), artifactPath));
  }

  private experimentDir(expId: string): string | null {
    for (const parent of [this.root, this.trash]) {
      if (isDir(parent) && fs.readdirSync(parent).includes(expId)) return path.join(parent, expId);
    }
    return null;
  }

  private getRunInfo(runId: string): RunInfo {
    if (!RUN_ID_REGEX.test(runId)) throw new MlflowReadError(`Invalid run ID: '${runId}'`);
    const exps = [
      ...listSubdirs(this.root).filter((d) => !d.endsWith('.trash') && d !== 'models').map((d) => path.join(this.root, d)),
      ...(isDir(this.trash) ? listSubdirs(this.trash).map((d) => path.join(this.trash, d)) : []),
    ];
    for (const expDir of exps) {
      if (!fs.readdirSync(expDir).includes(runId)) continue;
      const info = this.runInfoFromDir(path.join(expDir, runId));
      if (info.experiment_id !== path.basename(expDir)) throw new MlflowReadError(`Run '${runId}' metadata is in invalid state.`);
      return info;
    }
    throw new MlflowReadError(`Run '${runId}' not found`);
  }

  /** _list_run_infos */
  private listRunInfos(expId: string): RunInfo[] {
    const expDir = this.experimentDir(expId);
    if (expDir === null) return [];
    const infos: RunInfo[] = [];
    for (const name of fs.readdirSync(expDir)) {
      const dir = path.join(expDir, name);
      if (RESERVED_EXPERIMENT_FOLDERS.includes(name) || !isDir(dir)) continue;
      try {
        const info = this.runInfoFromDir(dir);
        if (info.experiment_id !== expId) continue; // "Wrong experiment ID ... Run will be ignored."
        if (info.lifecycle_stage === 'active') infos.push(info);
      } catch (err) {
        if (!(err instanceof MissingConfig)) throw err;
      }
    }
    return infos;
  }

  /** _get_run_info_from_dir + _read_persisted_run_info_dict + RunInfo.from_dictionary */
  private runInfoFromDir(dir: string): RunInfo {
    const where = path.join(dir, 'meta.yaml');
    const meta = readYaml(dir, 'meta.yaml');
    if (meta === null) throw new MlflowReadError(`${where}: AttributeError: 'NoneType' object has no attribute 'copy'`);
    const m = requireMapping(meta, where);
    const status = statusToString('status' in m ? m.status : 1, where);
    if (!('experiment_id' in m)) throw new MlflowReadError(`${where}: KeyError: 'experiment_id'`);
    // RunInfo.__init__'s positional arguments must all be present as keys
    for (const k of ['run_uuid', 'user_id', 'start_time', 'end_time']) {
      if (!(k in m)) throw new MlflowReadError(`${where}: TypeError: RunInfo.__init__() missing required argument: '${k}'`);
    }
    for (const k of ['experiment_id', 'user_id', 'start_time']) {
      if (m[k] === null || m[k] === undefined) throw new MlflowReadError(`${where}: ${k} cannot be None`);
    }
    const runId = (m.run_id || m.run_uuid) as unknown;
    if (runId === null || runId === undefined) throw new MlflowReadError(`${where}: run_id and run_uuid cannot both be None`);
    const expId = typeof m.experiment_id === 'bigint' ? String(m.experiment_id) : m.experiment_id;
    return {
      run_id: runId as string,
      run_uuid: runId as string,
      experiment_id: expId as string,
      run_name: (m.run_name ?? null) as string | null,
      user_id: m.user_id as string,
      status,
      start_time: m.start_time as number,
      end_time: m.end_time as number | null,
      lifecycle_stage: (m.lifecycle_stage ?? 'active') as string,
      artifact_uri: (m.artifact_uri ?? null) as string | null,
    };
  }

  /** _get_run_dir: the directory is looked up by the run_id recorded in meta.yaml */
  private runDir(info: RunInfo): string {
    if (typeof info.run_id !== 'string' || !RUN_ID_REGEX.test(info.run_id)) {
      throw new MlflowReadError(`Invalid run ID: '${String(info.run_id)}'`);
    }
    const expDir = this.experimentDir(info.experiment_id);
    if (expDir === null) throw new MlflowReadError(`Experiment ${info.experiment_id} does not exist.`);
    return path.join(expDir, info.run_id);
  }

  /** _get_run_from_info */
  private runFromInfo(info: RunInfo): Run {
    const runDir = this.runDir(info);
    const metrics: Record<string, number> = {};
    for (const key of resourceFiles(runDir, 'metrics')) {
      validateName('metric', key);
      const points = this.metricLines(runDir, key, info.experiment_id);
      if (points.length === 0) throw new MlflowReadError(`ValueError: Metric '${key}' is malformed. No data found.`);
      // max by (step, timestamp, value)
      metrics[key] = points.reduce((a, b) =>
        (b.step !== a.step ? b.step > a.step : b.timestamp !== a.timestamp ? b.timestamp > a.timestamp : b.value > a.value) ? b : a).value;
    }
    const params = this.keyValues(runDir, 'params', 'parameter');
    const tags = this.keyValues(runDir, 'tags', 'tag');
    const inputs = this.allInputs(info);
    const runName = info.run_name || tags['mlflow.runName'] || info.run_name;
    return { info: { ...info, run_name: runName }, data: { metrics, params, tags }, inputs };
  }

  /** the log lines MLflow's logging.warning would print while reading inputs */
  readonly warnings: string[] = [];

  /** _get_all_inputs */
  private allInputs(info: RunInfo): { dataset_inputs: DatasetInput[] } {
    const runDir = this.runDir(info);
    const inputsParent = path.join(runDir, 'inputs');
    const expDir = this.experimentDir(info.experiment_id);
    if (expDir === null) throw new MlflowReadError(`Experiment ${info.experiment_id} does not exist.`);
    const datasetsParent = path.join(expDir, 'datasets');
    if (!fs.existsSync(inputsParent) || !fs.existsSync(datasetsParent)) return { dataset_inputs: [] };
    const datasetDirs = fs.readdirSync(datasetsParent);
    const out: DatasetInput[] = [];
    for (const inputDir of fs.readdirSync(inputsParent)) {
      const input = this.fileStoreInput(path.join(inputsParent, inputDir));
      if (input.source_type !== INPUT_VERTEX_TYPE.get('DATASET')) {
        this.warnings.push(`Encountered invalid run input source type '${input.source_type}'. Skipping.`);
        continue;
      }
      const matching = datasetDirs.filter((d) => d === input.source_id);
      if (matching.length === 0) {
        this.warnings.push(`Failed to find dataset with ID '${String(input.source_id)}' referenced as an input of the run with ID '${info.run_id}'. Skipping.`);
        continue;
      }
      const dataset = this.datasetFromDir(path.join(datasetsParent, matching[0]!));
      out.push({ dataset, tags: Object.entries(input.tags).map(([key, value]) => ({ key, value })) });
    }
    return { dataset_inputs: out };
  }

  /** FileStore._FileStoreInput.from_yaml */
  private fileStoreInput(dir: string): { source_type: number; source_id: unknown; destination_type: number; destination_id: unknown; tags: Record<string, unknown> } {
    const where = path.join(dir, 'meta.yaml');
    const d = this.readYamlRetrying(dir);
    if (d === null) throw new MlflowReadError(`${where}: TypeError: 'NoneType' object is not subscriptable`);
    if (typeof d !== 'object' || Array.isArray(d)) throw new MlflowReadError(`${where}: TypeError: indices must be integers`);
    const m = d as Record<string, unknown>;
    for (const k of ['source_type', 'source_id', 'destination_type', 'destination_id', 'tags']) {
      if (!(k in m)) throw new MlflowReadError(`${where}: KeyError: '${k}'`);
    }
    // protobuf's EnumTypeWrapper.Value: a name it does not know is a ValueError
    const vertex = (v: unknown): number => {
      const n = typeof v === 'string' ? INPUT_VERTEX_TYPE.get(v) : undefined;
      if (n === undefined) throw new MlflowReadError(`${where}: ValueError: Enum InputVertexType has no value defined for name ${JSON.stringify(v)}`);
      return n;
    };
    const tags = m.tags;
    // the dict comprehension over fs_input.tags.items()
    if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) {
      throw new MlflowReadError(`${where}: AttributeError: '${tags === null ? 'NoneType' : Array.isArray(tags) ? 'list' : typeof tags}' object has no attribute 'items'`);
    }
    return {
      source_type: vertex(m.source_type), source_id: m.source_id, destination_type: vertex(m.destination_type),
      destination_id: m.destination_id, tags: tags as Record<string, unknown>,
    };
  }

  /** FileStore._get_dataset_from_dir + Dataset.from_dictionary (_MLflowObject: keys filtered to the properties, then Dataset(**kwargs)) */
  private datasetFromDir(dir: string): Dataset {
    const where = path.join(dir, 'meta.yaml');
    const d = this.readYamlRetrying(dir);
    if (d === null || typeof d !== 'object' || Array.isArray(d)) {
      throw new MlflowReadError(`${where}: AttributeError: '${d === null ? 'NoneType' : typeof d}' object has no attribute 'items'`);
    }
    const m = d as Record<string, unknown>;
    for (const k of ['name', 'digest', 'source_type', 'source']) {
      if (!(k in m)) throw new MlflowReadError(`${where}: TypeError: Dataset.__init__() missing 1 required positional argument: '${k}'`);
    }
    const out = {} as Record<(typeof DATASET_PROPERTIES)[number], unknown>;
    for (const k of DATASET_PROPERTIES) out[k] = k in m ? m[k] : null;
    return out as unknown as Dataset;
  }

  /** FileStore._read_yaml: read_yaml, retried while the file reads as empty (None); big ints as numbers */
  private readYamlRetrying(dir: string): unknown {
    let v: unknown;
    try {
      v = readYaml(dir, 'meta.yaml');
    } catch (err) {
      // reading a run's inputs, nothing catches it: get_run and search_runs fail
      if (err instanceof MissingConfig) throw new MlflowReadError(`MissingConfigException: ${err.message}`);
      throw err;
    }
    return typeof v === 'bigint' ? Number(v) : v;
  }

  /** get_run(run_id).inputs */
  getRunInputs(runId: string): DatasetInput[] {
    return this.getRun(runId).inputs.dataset_inputs;
  }

  /**
   * _search_datasets: (experiment, name, digest, context) of every input of every run directory
   * (reserved folders aside) — what MLflow's UI offers in its dataset filter. Unlike run search,
   * a directory without a readable meta.yaml is not skipped here: it fails the whole call.
   */
  searchDatasets(experimentIds: string[]): DatasetSummary[] {
    const seen = new Map<string, DatasetSummary>();
    for (const expId of experimentIds) {
      const expDir = this.experimentDir(expId);
      if (expDir === null) throw new MlflowReadError(`Experiment ${expId} does not exist.`);
      for (const name of fs.readdirSync(expDir)) {
        const dir = path.join(expDir, name);
        if (RESERVED_EXPERIMENT_FOLDERS.includes(name) || !isDir(dir)) continue;
        let info: RunInfo;
        try {
          info = this.runInfoFromDir(dir);
        } catch (err) {
          if (err instanceof MissingConfig) throw new MlflowReadError(`MissingConfigException: ${err.message}`);
          throw err;
        }
        for (const input of this.allInputs(info).dataset_inputs) {
          const context = input.tags.find((t) => t.key === 'mlflow.data.context')?.value ?? null;
          const summary = { experiment_id: expId, name: input.dataset.name, digest: input.dataset.digest, context };
          seen.set(JSON.stringify(summary), summary);
        }
      }
    }
    return [...seen.values()];
  }

  private keyValues(runDir: string, sub: string, kind: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of resourceFiles(runDir, sub)) {
      validateName(kind, key);
      out[key] = readUtf8(path.join(runDir, sub, key));
    }
    return out;
  }

  /** read_file_lines + _get_metric_from_line */
  private metricLines(runDir: string, key: string, expId: string): Metric[] {
    const text = readUtf8(path.join(runDir, 'metrics', key));
    const lines = text.split(PY_LINE_BREAK);
    if (lines.at(-1) === '') lines.pop();
    return lines.map((line) => {
      const parts = pyStrip(line).split(' ');
      if (parts.length !== 2 && parts.length !== 3) {
        throw new MlflowReadError(`Metric '${key}' is malformed; persisted metric data contained ${parts.length} fields. ` +
          `Expected 2 or 3 fields. Experiment id: ${expId}`);
      }
      return {
        key,
        timestamp: pyInt(parts[0]!),
        value: pyFloat(parts[1]!),
        step: parts.length === 3 ? pyInt(parts[2]!) : 0,
      };
    });
  }
}
