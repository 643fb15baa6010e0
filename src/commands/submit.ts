// `run-sweep submit <experiment.yaml> --queue redis://host:6379`: plans the sweep as a local run
// does, creates its parent run, puts one job per unfinished trial on the queue, then watches the
// workers train them, with the local sweep's views and exit codes. The tracking store decides what
// is finished; Redis only holds the work in flight.
import { hostname } from 'node:os';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseDuration } from '../config/duration.js';
import { EXIT, RunSweepError } from '../errors.js';
import type { Trial } from '../plan/expand.js';
import type { TrialSizing } from '../plan/preflight.js';
import { chooseReporterMode, createReporter, type Reporter } from '../report/reporter.js';
import { formatSummary, formatTrialPlan } from '../report/summary.js';
import { trialRef, type SweepEvent, type TrialReport } from '../scheduler/events.js';
import { cancelKey, CANCELLED, decodeEvent, JOB_NAME, jobId, parseFailure, reviveFigures, type TrialJobData, type TrialJobResult } from '../queue/jobs.js';
import { connectionOptions, connectOnce, evictionWarning, openClient, OutageWatch, parseQueueUrl, type QueueAddress } from '../queue/redis.js';
import { shipCorpora } from '../queue/corpus.js';
import { addJobs, closeSweepParent, settledAs, markWatching, readSweep, settleJobs, startSweep, sweepExitCode, type Settled } from '../queue/sweep-record.js';
import { queueTimings, type QueueTimings } from '../queue/timings.js';
import { storeDirFromUri } from '../track/file-store.js';
import { isServerUri } from '../track/open.js';
import { redactUri, splitCredentials } from '../track/secrets.js';
import { MirroredTracker } from '../track/mirror.js';
import { SweepRecorder } from '../track/sweep-recorder.js';
import type { RunRef, Tracker } from '../track/tracker.js';
import { openTracking } from '../track/tracking.js';
import { packageVersion, type Io } from './io.js';
import { checkBeforeTraining, planSweep } from './plan-sweep.js';
import { onStopSignals, SIGNAL_EXIT, signalGate } from './signals.js';

export interface SubmitOptions {
  file: string;
  /** redis://[user:pass@]host:port[/db][?queue=name] */
  queue: string;
  set: string[];
  only: string[];
  output: 'auto' | 'quiet' | 'json';
  dryRun: boolean;
  trackingUri: string | null;
  /** enqueue and return at once (exit 0); whoever settles the last job closes the sweep's run */
  detach: boolean;
  /** lockDuration / stalledInterval in ms; also sets the retry backoff (default RUN_SWEEP_QUEUE_LOCK_MS, else 60000) */
  lockMs: number | null;
}

/** How often the watcher asks Redis for the state of unsettled jobs (events may be missed while reconnecting). */
const POLL_MS = 1000;
/** Jobs kept in Redis after they settle, for `status` and for a watcher that comes back. */
const KEEP_SETTLED = { age: 7 * 24 * 3600, count: 50_000 };
/** How long a submit to a server waits for its sweep run to be created there, for workers to nest under. */
const SERVER_PARENT_WAIT_MS = 10_000;

export async function submitCommand(options: SubmitOptions, io: Io): Promise<number> {
  const address = parseQueueUrl(options.queue);
  const timings = queueTimings(options.lockMs, io.env);
  const plan = planSweep(options, io);
  const { config, file, dir, uri, all, trials, experiment } = plan;
  const say = options.output === 'json' ? io.err : io.out;
  say(`${config.name}: ${trials.length} trial(s)${trials.length < all.length ? ` of ${all.length} (--only)` : ''}, to queue '${address.queueName}' on ${address.display}`);
  if (options.dryRun) {
    say(formatTrialPlan(trials));
    return EXIT.ok;
  }
  const sizing = await checkBeforeTraining(plan);
  // Workers record where the job says: a directory as an absolute path (the same on every machine
  // that mounts it), a server as its URI without credentials (workers bring their own).
  const jobUri = uri !== null && isServerUri(uri) ? splitCredentials(uri).uri : storeDirFromUri(uri ?? 'runs', io.cwd);

  const probe = await connectOnce(address);
  const warning = await evictionWarning(probe);
  const mode = options.output === 'auto' ? chooseReporterMode({}, { isTTY: io.tty !== undefined }, io.env) : options.output;
  const reporter = createReporter(mode, io, { sizes: sizing });
  if (warning) reporter.err(`warning: ${warning}`);
  // From here on a signal stops the watching, not the sweep, whenever it comes: while trials are
  // being queued too (they are all queued, then submit exits with the signal's code).
  const signals = new StopSignals((line) => reporter.err(line), experiment);
  let queue: Queue<TrialJobData, TrialJobResult> | null = null;
  try {
    const tracking = await openTracking(uri, io.cwd, {
      env: io.env, requireServer: config.tracking.require_server, experimentName: experiment,
      onWarning: (m) => reporter.err(`warning: ${m}`),
    });
    const recorder = new SweepRecorder({
      tracker: tracking.tracker, experiment, config, file, trials, version: packageVersion(),
      isDegenerate: (id) => (sizing.get(id)?.unknownShare ?? 0) > 0.5,
      // Its sweep outlives this process (--detach, Ctrl-C): not this process's to be reaped with.
      parentOwner: `queued sweep (queue '${address.queueName}' on ${address.display})`,
    });
    recorder.check();
    await recorder.open();
    const reaped = await recorder.reap();
    const finished = await recorder.finished(trials);
    const pending = trials.filter((t) => !finished.has(t.id));
    queue = new Queue<TrialJobData, TrialJobResult>(address.queueName, { connection: { ...address.redis, maxRetriesPerRequest: 1, retryStrategy: () => null } });
    queue.on('error', () => {});

    // Jobs already queued or in training are this sweep's: a duplicate submit adds nothing.
    const existing = new Map<string, Job<TrialJobData, TrialJobResult>>();
    for (const trial of pending) {
      const job = await queue.getJob(jobId(experiment, trial.id));
      if (!job) continue;
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') await job.remove(); // settled, yet not finished in the store: again
      else existing.set(trial.id, job);
    }
    const now = Date.now();
    const events: SweepEvent[] = [];
    const emit = (e: SweepEvent): void => {
      events.push(e);
      reporter.onEvent(e);
    };
    emit({ type: 'sweep-start', time: now, experiment, location: redactUri(tracking.tracker.location), trials: trials.length, toTrain: pending.length, reused: finished.size, workers: await queue.getWorkersCount().catch(() => 0) });
    if (reaped > 0) emit({ type: 'reaped', time: now, count: reaped });
    for (const trial of trials) {
      const done = finished.get(trial.id);
      if (done) emit({ type: 'trial-reused', time: now, trial: trialRef(trial), figures: done.figures, degenerate: (sizing.get(trial.id)?.unknownShare ?? 0) > 0.5 });
    }
    // The parent run (sweep-record.ts says who closes it). A sweep still in flight keeps its
    // parent: a duplicate submit adds only what it lacks and watches. Otherwise this submit makes
    // one, also with --detach: in the store the jobs record to, or on the server, where workers
    // nest their trial runs under the server's copy.
    const fresh = pending.filter((t) => !existing.has(t.id));
    const closer = `submit ${hostname()}:${process.pid}`;
    let inFlight = await readSweep(probe, address.queueName, experiment);
    if (inFlight !== null && !inFlight.closing && inFlight.unsettled === 0) {
      // Every job of the last submit settled, yet nobody closed its run (its watcher was killed): now.
      if (await settleJobs(probe, address.queueName, experiment, [], 'finished', closer, true)) {
        await closeSweepParent(inFlight, tracking.shared, packageVersion()).catch((err: unknown) => reporter.err(`warning: could not close the last submit's run: ${(err as Error).message}`));
      }
      inFlight = null;
    }
    if (inFlight?.closing) inFlight = null;
    let ownParent: RunRef | null = null; // made here: closed through this submit's own tracking
    let jobsParent: RunRef | null = inFlight?.record.parent ?? null;
    if (inFlight === null && fresh.length > 0) {
      await recorder.record({ type: 'sweep-start', time: now, experiment, location: '', trials: trials.length, toTrain: pending.length, reused: finished.size, workers: 0 });
      ownParent = recorder.parentRef;
      jobsParent = ownParent === null ? null : tracking.server === null ? ownParent : await tracking.serverCopy(ownParent, SERVER_PARENT_WAIT_MS);
      if (ownParent !== null && jobsParent === null) {
        reporter.err(`warning: the sweep's run did not reach ${tracking.server} within ${SERVER_PARENT_WAIT_MS / 1000} s: trial runs will not be nested under it there`);
      }
      if (jobsParent !== null) {
        await startSweep(probe, address.queueName, {
          experiment, parent: jobsParent, trackingUri: jobUri, file, config, trials, submittedAt: now,
        }, fresh.map((t) => jobId(experiment, t.id)));
      }
    } else if (inFlight !== null) {
      await addJobs(probe, address.queueName, experiment, fresh.map((t) => jobId(experiment, t.id)));
    }
    // Watching before the first job is queued: a worker must not close a sweep that is watched.
    const unmark = options.detach || jobsParent === null ? null : markWatching(probe, address.queueName, experiment);
    const parent = jobsParent;
    await probe.del(cancelKey(address.queueName, experiment));
    // File corpora go with the sweep, for workers where their paths do not exist.
    const shipped = await shipCorpora(probe, address.queueName, fresh, dir, (m) => reporter.err(`warning: ${m}`));
    const enqueue = async (q: Queue<TrialJobData, TrialJobResult>, trial: Trial): Promise<void> => {
      await q.add(JOB_NAME, {
        v: 1, experiment, trackingUri: jobUri, parent, submittedAt: now, file, baseDir: dir, config, trial,
        sizing: sizing.get(trial.id) ?? null,
        trialTimeoutMs: config.sweep.trial_timeout === null ? null : parseDuration(config.sweep.trial_timeout),
        maxMemoryMb: config.sweep.max_memory_mb,
        ...(shipped.has(trial.config.data.corpus) ? { corpusSha1: shipped.get(trial.config.data.corpus)! } : {}),
      }, jobOptions(trial, experiment, config.sweep.retries, timings));
    };
    try {
      for (const trial of fresh) await enqueue(queue, trial);
    } catch (err) {
      // Redis went away while trials were being queued: the parent run this submit made ends
      // FAILED (not RUNNING for ever), and the user is told in one line; a submit again resumes.
      await unmark?.();
      if (ownParent !== null) await tracking.tracker.endRun(ownParent, 'FAILED', Date.now()).catch(() => undefined);
      if (err instanceof RunSweepError) throw err;
      throw new RunSweepError('tracking', `Redis at ${address.display} failed while trials were being queued (${(err as Error).message}); run the same submit again to queue the rest`);
    }
    const already = pending.length - fresh.length;
    reporter.out(`queued ${fresh.length} trial(s)` + (already > 0 ? `; ${already} already queued or in training` : '') + (finished.size > 0 ? `; ${finished.size} finished earlier` : ''));
    if (options.detach) {
      // Nobody watches: the process that settles the last job closes the sweep's run.
      if (ownParent !== null && tracking.server !== null) await tracking.finishUploads(parseDuration(config.tracking.upload_timeout));
      reporter.out(`detached: start workers with \`run-sweep worker --queue ${redactUri(options.queue)}\`; \`run-sweep status --queue …\` shows progress`);
      reporter.close();
      return signals.received !== null ? SIGNAL_EXIT[signals.received]! : EXIT.ok;
    }
    await queue.close();
    queue = null;
    return await watch({
      address, experiment, trials, pending, sizing, reporter, recorder, tracking, emit, io, ownParent, unmark, closer, enqueue, signals,
      uploadTimeout: parseDuration(config.tracking.upload_timeout), finished: new Map([...finished].map(([id, f]) => [id, f])),
    });
  } finally {
    signals.dispose();
    reporter.close();
    probe.disconnect();
    await queue?.close();
  }
}

export function jobOptions(trial: Trial, experiment: string, retries: number, timings: QueueTimings) {
  return {
    jobId: jobId(experiment, trial.id),
    attempts: retries + 1,
    backoff: { type: 'exponential' as const, delay: timings.backoffMs },
    removeOnComplete: KEEP_SETTLED,
    removeOnFail: KEEP_SETTLED,
  };
}

interface WatchContext {
  address: QueueAddress;
  experiment: string;
  trials: Trial[];
  pending: Trial[];
  sizing: Map<string, TrialSizing>;
  reporter: Reporter;
  recorder: SweepRecorder;
  tracking: Awaited<ReturnType<typeof openTracking>>;
  emit: (e: SweepEvent) => void;
  io: Io;
  /** the sweep's parent, when this submit made it (closed through its own tracking: local copy and server) */
  ownParent: RunRef | null;
  /** ends this watcher's mark (sweep-record.ts); null when the sweep has no record */
  unmark: (() => Promise<void>) | null;
  /** this submit's name, for the record of who closed the sweep */
  closer: string;
  signals: StopSignals;
  uploadTimeout: number;
  enqueue: (queue: Queue<TrialJobData, TrialJobResult>, trial: Trial) => Promise<void>;
  finished: Map<string, { runId: string; figures: TrialReport['figures'] }>;
}

/** Follows the sweep's jobs until each has settled: events from QueueEvents, states polled. */
async function watch(c: WatchContext): Promise<number> {
  const { address, experiment, reporter } = c;
  const outage = new OutageWatch(address.display, (line) => reporter.err(line));
  const client: Redis = openClient(address, outage);
  const queue = new Queue<TrialJobData, TrialJobResult>(address.queueName, { connection: connectionOptions(address, outage) });
  queue.on('error', () => {});
  const queueEvents = new QueueEvents(address.queueName, { connection: connectionOptions(address, outage) });
  queueEvents.on('error', () => {});
  const byJob = new Map(c.pending.map((t) => [jobId(experiment, t.id), t]));
  const reports = new Map<string, TrialReport>();
  const ended = new Set<string>(); // trials whose final trial-end the view has shown
  let settle: () => void = () => {};
  const allSettled = new Promise<void>((resolve) => (settle = resolve));
  const check = (): void => {
    if (reports.size === byJob.size) settle();
  };
  const degenerate = (t: Trial): boolean => (c.sizing.get(t.id)?.unknownShare ?? 0) > 0.5;
  const nan = { trainPerplexity: NaN, valPerplexity: NaN, tokensPerSecond: NaN };

  const settleTrial = (trial: Trial, report: TrialReport): void => {
    if (reports.has(trial.id)) return;
    reports.set(trial.id, report);
    if (!ended.has(trial.id)) {
      ended.add(trial.id);
      if (report.status === 'reused') c.emit({ type: 'trial-reused', time: Date.now(), trial: trialRef(trial), figures: report.figures, degenerate: report.degenerate });
      else c.emit({
        type: 'trial-end', time: Date.now(), trial: trialRef(trial), status: report.status, attempt: 1, willRetry: false, figures: report.figures,
        wallSeconds: report.wallSeconds, epochsDone: 0, ...(report.reason ? { reason: report.reason } : {}), ...(report.error ? { error: report.error } : {}),
      });
    }
    check();
  };

  const started = new Set<string>(); // trials whose trial-start the view has shown
  const synthesized = new Map<string, number>(); // trial-starts a poll made up, by the job's start time
  const fromJob = async (trial: Trial, job: Job<TrialJobData, TrialJobResult> | undefined, state: string): Promise<void> => {
    if (state === 'active' && job && !started.has(trial.id)) {
      // It started before this watcher listened (a duplicate submit, a reconnect): show it running.
      started.add(trial.id);
      synthesized.set(trial.id, job.processedOn ?? Date.now());
      c.emit({ type: 'trial-start', time: job.processedOn ?? Date.now(), trial: trialRef(trial), attempt: job.attemptsMade + 1 });
    }
    if (state === 'completed' && job) {
      const r = job.returnvalue;
      settleTrial(trial, { trial, status: r?.status === 'reused' ? 'reused' : 'finished', runId: r?.runId ?? null, figures: reviveFigures(r?.figures), wallSeconds: r?.wallSeconds ?? NaN, samples: r?.samples ?? [], degenerate: degenerate(trial) });
    } else if (state === 'failed' && job) {
      const cancelled = (job.failedReason ?? '').startsWith(CANCELLED);
      const f = parseFailure(job.failedReason);
      settleTrial(trial, cancelled
        ? { trial, status: 'killed', reason: 'interrupted', runId: null, figures: nan, wallSeconds: NaN, samples: [], degenerate: degenerate(trial) }
        : { trial, status: 'failed', reason: f.reason, error: f.message, runId: null, figures: nan, wallSeconds: NaN, samples: [], degenerate: degenerate(trial) });
    } else if (state === 'unknown') {
      // Gone from Redis: cancelled, or Redis lost it (restarted without persistence). The store decides.
      forgetServerAnswers(c.tracking.tracker);
      const done = (await c.recorder.finished([trial])).get(trial.id);
      if (done) return settleTrial(trial, { trial, status: 'finished', runId: done.runId, figures: done.figures, wallSeconds: NaN, samples: [], degenerate: degenerate(trial) });
      if ((await client.get(cancelKey(address.queueName, experiment))) !== null) {
        return settleTrial(trial, { trial, status: 'killed', reason: 'interrupted', runId: null, figures: nan, wallSeconds: NaN, samples: [], degenerate: degenerate(trial) });
      }
      reporter.err(`run-sweep: the job of trial ${trial.id} (${trial.label}) is gone from Redis and the trial is not finished: queueing it again`);
      await c.enqueue(queue, trial);
    }
  };

  queueEvents.on('progress', ({ jobId: id, data }) => {
    const trial = byJob.get(id);
    if (!trial || reports.has(trial.id)) return;
    const event = decodeEvent(data);
    if (event === null) return;
    if (event.type === 'trial-start') {
      // A poll showed this very start already (the event of the job it saw taken, arriving late).
      const shown = synthesized.get(trial.id);
      synthesized.delete(trial.id);
      if (shown !== undefined && Math.abs(event.time - shown) < 5000) return;
      started.add(trial.id);
    }
    if (event.type === 'trial-end' && !event.willRetry) ended.add(trial.id);
    c.emit(event);
  });
  let polling = false;
  const poll = async (): Promise<void> => {
    if (polling) return; // while Redis is away a poll waits: one at a time
    polling = true;
    try {
      for (const [id, trial] of byJob) {
        if (reports.has(trial.id)) continue;
        const job = await queue.getJob(id);
        await fromJob(trial, job, job ? await job.getState() : 'unknown');
      }
    } finally {
      polling = false;
    }
  };
  queueEvents.on('completed', ({ jobId: id }) => void (byJob.has(id) && poll().catch(() => {})));
  queueEvents.on('failed', ({ jobId: id }) => void (byJob.has(id) && poll().catch(() => {})));
  const timer = setInterval(() => void poll().catch(() => {}), POLL_MS);

  c.signals.whenReceived(settle);
  try {
    await queueEvents.waitUntilReady().catch(() => {});
    await poll().catch(() => {});
    check();
    await allSettled;
    await closeIfLast(c, client, [...reports.values()], c.signals.received !== null);
  } finally {
    clearInterval(timer);
    await queueEvents.close().catch(() => {});
    await queue.close().catch(() => {});
    client.disconnect();
  }

  const ordered = c.trials.map((t): TrialReport => {
    const done = c.finished.get(t.id);
    if (done) return { trial: t, status: 'reused', runId: done.runId, figures: done.figures, wallSeconds: NaN, samples: [], degenerate: degenerate(t) };
    return reports.get(t.id) ?? { trial: t, status: 'killed', reason: 'interrupted', runId: null, figures: nan, wallSeconds: NaN, samples: [], degenerate: degenerate(t) };
  });
  const cancelled = ordered.some((r) => r.status === 'killed');
  const stopped = c.signals.received;
  const exitCode = stopped !== null ? SIGNAL_EXIT[stopped]! : cancelled ? EXIT.interrupted : ordered.some((r) => r.status === 'failed') ? EXIT.failed : EXIT.ok;
  const count = (s: TrialReport['status']): number => ordered.filter((r) => r.status === s).length;
  const end: Extract<SweepEvent, { type: 'sweep-end' }> = {
    type: 'sweep-end', time: Date.now(), exitCode, trackingProblems: [],
    counts: { finished: count('finished'), failed: count('failed'), killed: count('killed'), reused: count('reused') },
  };
  const uploads = await c.tracking.finishUploads(stopped !== null ? 0 : c.uploadTimeout);
  reporter.onEvent({ ...end, trackingProblems: uploads.problems });
  reporter.close();
  reporter.out('');
  reporter.out(formatSummary(ordered));
  for (const line of uploads.lines) reporter.out(line);
  if (cancelled && stopped === null) reporter.err('cancelled: submit again to train the remaining trials');
  return exitCode;
}

/**
 * Ends this watcher's mark and closes the sweep's run if it falls to this watcher (sweep-record.ts):
 * having seen every job settle, it marks them settled (a job a worker could not mark, one failed by
 * BullMQ's stalled check say, counts too); stopped early, it closes only if the last job settled
 * while it watched. A run this submit made is closed through its own tracking (its local copy and
 * the server); another submit's, in the store the jobs record to.
 */
async function closeIfLast(c: WatchContext, client: Redis, settled: TrialReport[], stopped: boolean): Promise<void> {
  const { address, experiment } = c;
  try {
    await c.unmark?.();
    // No record: the server had not shown the sweep's run in time, or Redis lost it (restarted
    // without persistence). A run made here is then this watcher's alone to close.
    if (c.unmark === null || (await readSweep(client, address.queueName, experiment)) === null) {
      if (c.ownParent === null || stopped) return;
      const counts = { finished: 0, failed: 0, killed: 0 };
      for (const r of settled) counts[settledAs(r.status)]++;
      return await closeOwnParent(c, counts);
    }
    let mine = false;
    if (stopped) {
      mine = await settleJobs(client, address.queueName, experiment, [], 'finished', c.closer);
    } else {
      for (const outcome of ['finished', 'failed', 'killed'] as const) {
        const ids = settled.filter((r) => settledAs(r.status) === outcome).map((r) => jobId(experiment, r.trial.id));
        if (await settleJobs(client, address.queueName, experiment, ids, outcome, c.closer, true)) mine = true;
      }
    }
    const state = mine ? await readSweep(client, address.queueName, experiment) : null;
    if (state === null) return;
    if (c.ownParent === null) await closeSweepParent(state, c.tracking.shared, packageVersion());
    else await closeOwnParent(c, state.counts);
  } catch (err) {
    c.reporter.err(`run-sweep: could not close the sweep's run: ${(err as Error).message}`);
  }
}

/** Closes the sweep run this submit made, through its own recorder: its best trial from what the workers recorded. */
async function closeOwnParent(c: WatchContext, counts: Record<Settled, number>): Promise<void> {
  forgetServerAnswers(c.tracking.tracker); // workers have finished trials since the first lookup
  const time = Date.now();
  for (const [id, f] of await c.recorder.finished(c.trials)) {
    const trial = c.trials.find((t) => t.id === id)!;
    await c.recorder.record({ type: 'trial-reused', time, trial: trialRef(trial), figures: f.figures, degenerate: (c.sizing.get(id)?.unknownShare ?? 0) > 0.5 });
  }
  await c.recorder.record({ type: 'sweep-end', time, exitCode: sweepExitCode(counts), trackingProblems: [], counts: { ...counts, reused: 0 } });
}

/**
 * submit's stop signals: the first stops the watching (the workers go on with the sweep), a second
 * one later quits at once. Installed once planning is done, so that a signal while trials are being
 * queued is heard too.
 */
class StopSignals {
  received: NodeJS.Signals | null = null;
  private onStop: () => void = () => {};
  private readonly remove: () => void;

  constructor(say: (line: string) => void, experiment: string) {
    const gate = signalGate();
    this.remove = onStopSignals((signal) => {
      const action = gate.receive(signal, Date.now());
      if (action === 'duplicate') return;
      if (action === 'quit') process.exit(SIGNAL_EXIT[signal] ?? EXIT.terminated);
      this.received = signal;
      say(`\n${signal}: no longer watching; the workers go on with the sweep (\`run-sweep cancel --queue … ${experiment}\` stops it)`);
      this.onStop();
    });
  }

  /** Calls `fn` on the first stop signal, or now if it has come. */
  whenReceived(fn: () => void): void {
    this.onStop = fn;
    if (this.received !== null) fn();
  }

  dispose(): void {
    this.remove();
  }
}

/** A server's list of finished trials changes while workers train: ask it again, not the first answer. */
function forgetServerAnswers(tracker: Tracker): void {
  if (tracker instanceof MirroredTracker) tracker.forgetServerAnswers();
}
