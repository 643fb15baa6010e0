// `run-sweep sync`: replays runs of a local file store that a tracking server lacks. A server run
// copies a local run when it carries run_sweep.local_run_id (the mirror and sync both set it).
// Each local run is one of:
// - uploaded: new on the server (created, then everything logged);
// - updated: already there but incomplete (a mirror that gave up, a run still RUNNING when last
//   synced): only what the server lacks is sent — params, changed tags, metric points it does not
//   hold, dataset inputs it lacks, artifacts it lacks or holds at another size (its artifact
//   proxy's list), status and end;
// - unchanged: nothing to send. A second sync of unchanged runs, RUNNING ones included, only reads.
import fs from 'node:fs';
import path from 'node:path';
import { RunSweepError } from '../errors.js';
import { MlflowApi, fromApiValue, type ApiMetric, type ApiRun } from './mlflow-api.js';
import { RestTracker, tagsOf } from './mlflow-rest.js';
import type { RestClientOptions } from './rest-client.js';
import { LOCAL_RUN_ID_TAG, PARENT_RUN_TAG } from './run-tags.js';
import {
  listExperiments, listFiles, listRuns, readKeyValues, readMetricHistories, readRunInputs, type StoredRun,
} from './store-reader.js';
import type { DatasetInput } from './tracker.js';
import { storeDirFromUri } from './file-store.js';

export type SyncOutcome = 'uploaded' | 'updated' | 'unchanged';

export interface SyncOptions extends RestClientOptions {
  cwd?: string;
  /**
   * One line per run uploaded or updated, for the console, e.g. `uploaded sweep/cell=gru seed=0
   * (3f2a...)` or `updated sweep/cell=gru seed=0 (3f2a...): 2 metric point(s), 1 artifact(s), status
   * FINISHED`. Unchanged runs get no line.
   */
  onRun?: (line: string, outcome: SyncOutcome) => void;
}

export interface SyncResult {
  /** runs new on the server */
  uploaded: number;
  /** runs that were on the server, incomplete, and are complete now */
  updated: number;
  /** runs the server already held whole: nothing was sent */
  unchanged: number;
  /** the server, credentials redacted: for the summary line */
  location: string;
}

export async function syncStore(fromDir: string, to: RestTracker | string, opts: SyncOptions = {}): Promise<SyncResult> {
  const root = storeDirFromUri(fromDir, opts.cwd ?? process.cwd());
  if (!fs.existsSync(root)) throw new RunSweepError('store', `no local store at ${root}`);
  const tracker = typeof to === 'string' ? new RestTracker(to, opts) : to;
  const api = tracker.api;
  const counts: Record<SyncOutcome, number> = { uploaded: 0, updated: 0, unchanged: 0 };
  for (const exp of listExperiments(root)) {
    const runs = listRuns(exp).filter((r) => r.lifecycleStage === 'active');
    if (runs.length === 0) continue;
    const remoteExp = await api.ensureExperiment(exp.name);
    const onServer = new Map<string, ApiRun>();
    for (const r of await api.searchRuns(remoteExp, `tags.\`${LOCAL_RUN_ID_TAG}\` LIKE '%'`)) {
      onServer.set(tagsOf(r)[LOCAL_RUN_ID_TAG]!, r);
    }
    const remoteIds = new Map([...onServer].map(([local, r]) => [local, r.info.run_id]));
    for (const run of parentsFirst(runs)) {
      const { outcome, sent } = await syncRun(api, remoteExp, run, onServer.get(run.runId), remoteIds);
      counts[outcome]++;
      const name = `${exp.name}/${run.runName} (${run.runId})`;
      if (outcome === 'uploaded') opts.onRun?.(`uploaded ${name}`, outcome);
      else if (outcome === 'updated') opts.onRun?.(`updated ${name}: ${sent.join(', ')}`, outcome);
    }
  }
  return {
    ...counts, location: tracker.location,
  };
}

function parentsFirst(runs: StoredRun[]): StoredRun[] {
  const parentOf = new Map(runs.map((r) => [r.runId, readKeyValues(r.dir, 'tags')[PARENT_RUN_TAG]]));
  const depth = (id: string, seen = new Set<string>()): number => {
    const p = parentOf.get(id);
    return p === undefined || !parentOf.has(p) || seen.has(p) ? 0 : 1 + depth(p, seen.add(id));
  };
  return [...runs].sort((a, b) => depth(a.runId) - depth(b.runId) || a.startTime - b.startTime);
}

/** brings one server run up to its local copy; says what it did, and what it sent to an existing run */
async function syncRun(api: MlflowApi, remoteExp: string, run: StoredRun, existing: ApiRun | undefined,
  remoteIds: Map<string, string>): Promise<{ outcome: SyncOutcome; sent: string[] }> {
  const terminal = run.status !== 'RUNNING' && run.status !== 'SCHEDULED';
  // MLflow keeps one input per (dataset, run): what the server lacks is a dataset (name, digest) it
  // does not list for the run. Checked even for an ended run: one uploaded before inputs existed.
  const inputs = readRunInputs(run.dir);
  const missingInputs = missingFrom(inputs, existing);
  // The mirror and sync both end a server run last: a matching end means everything before arrived.
  if (existing && terminal && existing.info.status === run.status && existing.info.end_time === run.endTime && missingInputs.length === 0) {
    return { outcome: 'unchanged', sent: [] };
  }

  const tags = readKeyValues(run.dir, 'tags');
  const localParent = tags[PARENT_RUN_TAG];
  if (localParent !== undefined) {
    // A queue worker's trial runs name their parent by its server id (the submitter made it there).
    const remoteParent = remoteIds.get(localParent) ?? ([...remoteIds.values()].includes(localParent) ? localParent : undefined);
    if (remoteParent === undefined) {
      throw new RunSweepError('server-rejected', `run ${run.runId}: its parent ${localParent} is neither on the server nor in the local store`);
    }
    tags[PARENT_RUN_TAG] = remoteParent;
  }
  tags[LOCAL_RUN_ID_TAG] = run.runId;
  const params = readKeyValues(run.dir, 'params');
  const histories = readMetricHistories(run.dir);
  const sent: string[] = [];

  let remote = existing;
  if (!remote) {
    remote = await api.createRun({ experimentId: remoteExp, runName: run.runName, startTime: run.startTime, userId: run.userId, tags });
    remoteIds.set(run.runId, remote.info.run_id);
  }
  const runId = remote.info.run_id;
  const serverTags = tagsOf(remote);
  const serverParams = Object.fromEntries((remote.data?.params ?? []).map((p) => [p.key, p.value]));
  const missingParams = Object.fromEntries(Object.entries(params).filter(([k]) => !(k in serverParams)));
  const changedTags = Object.fromEntries(Object.entries(tags).filter(([k, v]) => serverTags[k] !== v));
  const metrics = [];
  for (const [key, points] of Object.entries(histories)) {
    const held = existing ? await api.metricHistory(runId, key) : [];
    metrics.push(...points.filter((p) => !held.some((h: ApiMetric) =>
      h.step === p.step && h.timestamp === p.timestamp && Object.is(fromApiValue(h.value), p.value))));
  }
  const nParams = Object.keys(missingParams).length;
  const nTags = Object.keys(changedTags).length;
  if (metrics.length + nParams + nTags > 0) {
    await api.logBatch(runId, { metrics, params: missingParams, tags: changedTags });
    if (metrics.length > 0) sent.push(`${metrics.length} metric point(s)`);
    if (nParams > 0) sent.push(`${nParams} param(s)`);
    if (nTags > 0) sent.push(`${nTags} tag(s)`);
  }
  const newInputs = existing ? missingInputs : inputs;
  if (newInputs.length > 0) {
    await api.logInputs(runId, newInputs);
    sent.push(`${newInputs.length} dataset input(s)`);
  }
  const artifactRoot = path.join(run.dir, 'artifacts');
  const artifactUri = remote.info.artifact_uri ?? `mlflow-artifacts:/${remoteExp}/${runId}/artifacts`;
  const local = listFiles(artifactRoot);
  // what the server holds, by size: a file it lacks or holds at another size is sent again
  const held = existing && local.length > 0 ? await api.listArtifactSizes(artifactUri) : new Map<string, number>();
  let nArtifacts = 0;
  for (const rel of local) {
    const file = path.join(artifactRoot, ...rel.split('/'));
    if (held.get(rel) === fs.statSync(file).size) continue;
    await api.uploadArtifact(artifactUri, rel, fs.readFileSync(file));
    nArtifacts++;
  }
  if (nArtifacts > 0) sent.push(`${nArtifacts} artifact(s)`);
  // A run that FINISHED on the server stays so: a local copy that never saw its end (a queued
  // sweep's run, closed on the server by the worker that settled its last trial, and reaped KILLED
  // here) does not overwrite it.
  const keepServerEnd = existing?.info.status === 'FINISHED' && run.status !== 'FINISHED';
  if (terminal && !keepServerEnd && (existing?.info.status !== run.status || existing.info.end_time !== run.endTime)) {
    await api.updateRun(runId, run.status as 'FINISHED' | 'FAILED' | 'KILLED', run.endTime ?? run.startTime);
    sent.push(`status ${run.status}`);
  }
  if (!existing) return { outcome: 'uploaded', sent };
  return { outcome: sent.length > 0 ? 'updated' : 'unchanged', sent };
}

/** the local inputs whose dataset (name and digest) the server run does not list */
function missingFrom(inputs: DatasetInput[], remote: ApiRun | undefined): DatasetInput[] {
  const held = new Set((remote?.inputs?.dataset_inputs ?? []).map((i) => JSON.stringify([i.dataset.name, i.dataset.digest])));
  return inputs.filter((i) => !held.has(JSON.stringify([i.dataset.name, i.dataset.digest])));
}
