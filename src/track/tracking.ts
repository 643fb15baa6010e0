// Tracking for one `run-sweep` invocation: the sink for a URI, the server checked before training,
// its problems worded for the console, and at the end, what reached the server and what waits for
// `run-sweep sync`. This is the CLI's one door into src/track/ for a sweep.
//
//   const tracking = await openTracking(uri, cwd, { env, requireServer, onWarning });
//   ... train, recording through tracking.tracker ...
//   const uploads = await tracking.finishUploads(uploadTimeoutMs);   // or abandonUploads() on a signal
//   for (const line of uploads.lines) print(line);
//
// Exit codes follow from what is thrown or returned: credentials refused, not an MLflow server, a
// bad URI, or an unreachable server with requireServer → RunSweepError('tracking') from
// openTracking (exit 2, nothing written); a run the server rejected → `uploads.rejected` non-empty
// (the CLI exits 1). An unreachable server without requireServer is a warning: training goes on.
import path from 'node:path';
import { RunSweepError } from '../errors.js';
import type { Claim } from '../scheduler/ledger.js';
import { MirroredTracker, type UploadReport } from './mirror.js';
import { isServerUri, openTracker, type OpenTrackerOptions } from './open.js';
import { checkServer } from './server-check.js';
import { redactUri } from './secrets.js';
import type { RunRef, Tracker } from './tracker.js';

export interface TrackingOptions extends Pick<OpenTrackerOptions, 'retry' | 'timeoutMs' | 'localDir' | 'lookupTimeoutMs'> {
  env?: NodeJS.ProcessEnv;
  /** tracking.require_server: an unreachable server is an error (exit 2) instead of a warning */
  requireServer?: boolean;
  /** a problem worth a line on stderr, without the "warning: " prefix; never holds a credential */
  onWarning: (message: string) => void;
  /** the preflight request's timeout (default 5 s) */
  checkTimeoutMs?: number;
  /** the experiment the sweep will use: the preflight looks it up (default MLflow's 'Default') */
  experimentName?: string;
}

export interface UploadOutcome {
  /** one line per run the server rejected: non-empty → exit 1 */
  rejected: string[];
  /** every tracking problem, one line each, for the sweep's end event and the summary's last lines */
  problems: string[];
  /** what to print after the summary: runs on the server, runs waiting for `run-sweep sync --to ...` */
  lines: string[];
  /** the counts behind the lines; null without a server */
  report: UploadReport | null;
}

export interface Tracking {
  tracker: Tracker;
  /** claims trials in the local store, so sweeps sharing it train each trial once; absent if the sink has none */
  claim?: (experimentId: string, trialId: string) => Promise<Claim | null>;
  /** a server URI (the local store mirrored to it), credentials redacted; null for a local store */
  server: string | null;
  /**
   * Where a run another process made is written (a queued sweep's parent, closed by whoever settles
   * its last job): the server itself when there is one (this machine's store does not hold that
   * run), else the store.
   */
  shared: Tracker;
  /**
   * The server's copy of a run made here, once the background upload has created it: waits at most
   * timeoutMs; null without a server or when it is not there in time.
   */
  serverCopy(run: RunRef, timeoutMs: number): Promise<RunRef | null>;
  /**
   * A run on the server made by another process, as the parent of runs made here (see
   * MirroredTracker.adoptServerRun); null without a server.
   */
  adoptServerRun(localExperimentId: string, server: RunRef): RunRef | null;
  /** Ctrl-C / SIGTERM: stop uploading at once (in-flight requests aborted); local writing goes on */
  abandonUploads(): void;
  /**
   * Waits at most timeoutMs (0: not at all) for the uploads, then stops them and says how many runs
   * are on the server and how many wait for `run-sweep sync`.
   */
  finishUploads(timeoutMs: number): Promise<UploadOutcome>;
}

export async function openTracking(uri: string | null, cwd: string, opts: TrackingOptions): Promise<Tracking> {
  const env = opts.env ?? process.env;
  const server = uri !== null && isServerUri(uri) ? redactUri(uri) : null;
  const syncHint = `\`run-sweep sync --to ${server ?? ''}\``;
  const problems: string[] = [];
  const tracker = openTracker(uri, cwd, {
    env,
    retry: opts.retry,
    timeoutMs: opts.timeoutMs,
    localDir: opts.localDir,
    lookupTimeoutMs: opts.lookupTimeoutMs,
    onRemoteFailure: (problem) => {
      problems.push(problem.message);
      opts.onWarning(problem.problem === 'unreachable'
        ? `the tracking server failed (${problem.message}); runs go on in the local store — upload them later with ${syncHint}`
        : `${problem.message}; the sweep goes on, and will exit 1`);
    },
  });
  const claimTrial = tracker.claimTrial?.bind(tracker);
  const tracking: Tracking = {
    tracker,
    ...(claimTrial ? { claim: (experimentId: string, trialId: string) => claimTrial(experimentId, trialId) } : {}),
    server,
    shared: tracker instanceof MirroredTracker ? tracker.remote : tracker,
    serverCopy: async (run, timeoutMs) => {
      if (!(tracker instanceof MirroredTracker)) return null;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const copy = tracker.serverRun(run.runId);
        if (copy !== undefined || Date.now() >= deadline || !tracker.remoteHealthy) return copy ?? null;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    adoptServerRun: (localExperimentId, server) =>
      tracker instanceof MirroredTracker ? tracker.adoptServerRun(localExperimentId, server) : null,
    abandonUploads: () => {
      if (tracker instanceof MirroredTracker) tracker.abandon();
    },
    finishUploads: async (timeoutMs) => {
      if (!(tracker instanceof MirroredTracker)) return { rejected: [], problems: [], lines: [], report: null };
      const report = await tracker.drain(timeoutMs);
      const lines: string[] = [];
      if (report.runsOnServer + report.runsPending === 0) {
        // nothing was recorded (every trial reused): nothing to say about uploads
      } else if (report.runsPending === 0) {
        lines.push(`${report.runsOnServer} run(s) on the server ${report.location}`);
      } else {
        lines.push(`${report.runsOnServer} run(s) on the server, ${report.runsPending} wait for \`run-sweep sync --to ${report.location}\`` +
          (report.unreachable === null && report.rejected.length === 0 ? ` (uploads stopped after ${formatSeconds(timeoutMs)})` : ''));
      }
      const all = [...problems];
      if (report.unreachable !== null && !all.includes(report.unreachable)) all.push(report.unreachable);
      for (const r of report.rejected) {
        lines.push(`the server rejected ${r}`);
        if (!all.some((p) => p.includes(r))) all.push(`the server rejected ${r}`);
      }
      if (report.unreachable !== null) lines.push(`tracking server problem: ${report.unreachable}`);
      return { rejected: report.rejected, problems: all, lines, report };
    },
  };
  if (server === null || !(tracker instanceof MirroredTracker)) return tracking;

  // One request before anything is trained or written.
  const check = await checkServer(uri!, { env, timeoutMs: opts.checkTimeoutMs, experimentName: opts.experimentName });
  if (check !== 'ok') {
    if (opts.requireServer) {
      throw new RunSweepError('tracking', `${check.unreachable}; tracking.require_server is true, so nothing was trained`);
    }
    const local = opts.localDir ?? path.join(cwd, 'runs');
    problems.push(check.unreachable);
    tracker.markUnreachable(check.unreachable);
    opts.onWarning(`${check.unreachable}; training goes on and runs are recorded in ${local} only — upload them later with ${syncHint}`);
  }
  return tracking;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
