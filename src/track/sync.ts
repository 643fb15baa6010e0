// `run-sweep sync`: replays runs of a local file store that a tracking server lacks. A server run
// copies a local run when it carries run_sweep.local_run_id (the mirror and sync both set it), so a
// second sync finds everything and uploads nothing. A server run that a failure left incomplete is
// completed: missing params, tags and metric points, the artifacts, then status and end time.
import fs from 'node:fs';
import path from 'node:path';
import { MlflowApi, fromApiValue, type ApiMetric, type ApiRun } from './mlflow-api.js';
import { RestTracker, tagsOf } from './mlflow-rest.js';
import type { RestClientOptions } from './rest-client.js';
import { LOCAL_RUN_ID_TAG, PARENT_RUN_TAG } from './run-tags.js';
import {
  listExperiments, listFiles, listRuns, readKeyValues, readMetricHistories, type StoredRun,
} from './store-reader.js';
import { storeDirFromUri } from './file-store.js';
import { TrackingError } from './tracker.js';

export interface SyncOptions extends RestClientOptions {
  cwd?: string;
  /** one line per run uploaded, for the console */
  onRun?: (line: string) => void;
}

export interface SyncResult {
  runsUploaded: number;
  runsSkipped: number;
}

export async function syncStore(fromDir: string, to: RestTracker | string, opts: SyncOptions = {}): Promise<SyncResult> {
  const root = storeDirFromUri(fromDir, opts.cwd ?? process.cwd());
  if (!fs.existsSync(root)) throw new TrackingError(`no local store at ${root}`);
  const api = typeof to === 'string' ? new RestTracker(to, opts).api : to.api;
  const result: SyncResult = { runsUploaded: 0, runsSkipped: 0 };
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
      const uploaded = await syncRun(api, remoteExp, run, onServer.get(run.runId), remoteIds);
      if (uploaded) {
        result.runsUploaded++;
        opts.onRun?.(`uploaded ${exp.name}/${run.runName} (${run.runId})`);
      } else {
        result.runsSkipped++;
      }
    }
  }
  return result;
}

function parentsFirst(runs: StoredRun[]): StoredRun[] {
  const parentOf = new Map(runs.map((r) => [r.runId, readKeyValues(r.dir, 'tags')[PARENT_RUN_TAG]]));
  const depth = (id: string, seen = new Set<string>()): number => {
    const p = parentOf.get(id);
    return p === undefined || !parentOf.has(p) || seen.has(p) ? 0 : 1 + depth(p, seen.add(id));
  };
  return [...runs].sort((a, b) => depth(a.runId) - depth(b.runId) || a.startTime - b.startTime);
}

/** brings one server run up to its local copy; returns whether anything was sent */
async function syncRun(api: MlflowApi, remoteExp: string, run: StoredRun, existing: ApiRun | undefined,
  remoteIds: Map<string, string>): Promise<boolean> {
  const terminal = run.status !== 'RUNNING' && run.status !== 'SCHEDULED';
  // The mirror and sync both end a server run last: a matching end means everything before arrived.
  if (existing && terminal && existing.info.status === run.status && existing.info.end_time === run.endTime) return false;

  const tags = readKeyValues(run.dir, 'tags');
  const localParent = tags[PARENT_RUN_TAG];
  if (localParent !== undefined) {
    const remoteParent = remoteIds.get(localParent);
    if (remoteParent === undefined) throw new TrackingError(`run ${run.runId}: its parent ${localParent} is not on the server`);
    tags[PARENT_RUN_TAG] = remoteParent;
  }
  tags[LOCAL_RUN_ID_TAG] = run.runId;
  const params = readKeyValues(run.dir, 'params');
  const histories = readMetricHistories(run.dir);
  let sent = false;

  let remote = existing;
  if (!remote) {
    remote = await api.createRun({ experimentId: remoteExp, runName: run.runName, startTime: run.startTime, userId: run.userId, tags });
    remoteIds.set(run.runId, remote.info.run_id);
    sent = true;
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
  if (metrics.length + Object.keys(missingParams).length + Object.keys(changedTags).length > 0) {
    await api.logBatch(runId, { metrics, params: missingParams, tags: changedTags });
    sent = true;
  }
  const artifactRoot = path.join(run.dir, 'artifacts');
  const artifactUri = remote.info.artifact_uri ?? `mlflow-artifacts:/${remoteExp}/${runId}/artifacts`;
  for (const rel of listFiles(artifactRoot)) {
    await api.uploadArtifact(artifactUri, rel, fs.readFileSync(path.join(artifactRoot, ...rel.split('/'))));
    sent = true;
  }
  if (terminal) {
    await api.updateRun(runId, run.status as 'FINISHED' | 'FAILED' | 'KILLED', run.endTime ?? run.startTime);
    sent = true;
  }
  return sent;
}
