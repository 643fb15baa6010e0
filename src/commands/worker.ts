// `run-sweep worker --queue redis://host:6379`: takes trial jobs from the queue and trains each
// with exactly the code a local sweep uses (runSweep over one trial, recording through the
// SweepRecorder), into the store or server the job names (or --tracking-uri).
//
// SIGINT / SIGTERM: no new job is taken, the trials in training end KILLED in the store and their
// jobs go back to the wait list for another worker; exit 130 / 143. A second signal quits at once
// (BullMQ's stalled check then hands the jobs on, and the next sweep on the store reaps the runs).
import { availableParallelism, hostname } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Piscina } from 'piscina';
import { EXIT } from '../errors.js';
import { createReporter } from '../report/reporter.js';
import type { SweepEvent } from '../scheduler/events.js';
import { runSweep, type StopReason, type SweepOptions } from '../scheduler/sweep.js';
import { JobLedger } from '../queue/job-ledger.js';
import {
  CANCELLED, cancelKey, encodeEvent, failureMessage, isInfrastructureFailure, type TrialJobData, type TrialJobResult,
} from '../queue/jobs.js';
import { connectionOptions, evictionWarning, openClient, OutageWatch, parseQueueUrl, shortError } from '../queue/redis.js';
import { localCorpus } from '../queue/corpus.js';
import { closeSweepParent, readSweep, settledAs, settleJobs, type Settled } from '../queue/sweep-record.js';
import { queueTimings } from '../queue/timings.js';
import type { RunRef } from '../track/tracker.js';
import { redactUri } from '../track/secrets.js';
import { SweepRecorder } from '../track/sweep-recorder.js';
import { MirroredTracker } from '../track/mirror.js';
import { openTracking, type Tracking } from '../track/tracking.js';
import { packageVersion, type Io } from './io.js';
import { onStopSignals, SIGNAL_EXIT, signalGate } from './signals.js';

export interface WorkerOptions {
  /** redis://[user:pass@]host:port[/db][?queue=name] */
  queue: string;
  /** trials trained at once by this process (default: the machine's parallelism) */
  workers: number | null;
  /** record here instead of where each job says (a shared directory mounted elsewhere, a server) */
  trackingUri: string | null;
  /** lockDuration = stalledInterval in ms (default RUN_SWEEP_QUEUE_LOCK_MS, else 60000) */
  lockMs: number | null;
  /** only warnings and the worker's own lines, no per-trial lines */
  quiet: boolean;
}

/** How often a worker looks whether the sweep of a job it trains was cancelled. */
const CANCEL_POLL_MS = 1000;
/** At most this often a trial's per-batch progress is sent to the watcher. */
const PROGRESS_EVERY_MS = 500;

interface Active {
  stop: AbortController;
  /** why it was stopped: handed back (the worker stops), cancelled (run-sweep cancel), or its lock lost (another worker may have it) */
  why: 'handback' | 'cancelled' | 'lost' | null;
}

export async function workerCommand(options: WorkerOptions, io: Io): Promise<number> {
  const address = parseQueueUrl(options.queue);
  const timings = queueTimings(options.lockMs, io.env);
  const concurrency = options.workers ?? availableParallelism();
  const me = `${hostname()}:${process.pid}`;
  const watch = new OutageWatch(address.display, io.err);
  const client = openClient(address, watch);
  const active = new Map<string, Active>();
  const trackings = new Map<string, Promise<Tracking>>();
  const version = packageVersion();
  // One thread pool per memory limit for the worker's life: a trial's thread (tfjs and its
  // WebAssembly loaded) is reused by the next job instead of started again for each. runSweep uses
  // it through SweepOptions.pool.
  const pools = new Map<number | null, Piscina>();
  const poolFor = (maxMemoryMb: number | null): Piscina => {
    let pool = pools.get(maxMemoryMb);
    if (!pool) {
      pool = new Piscina({
        // RUN_SWEEP_WORKER_MODULE: tests put a trial module there that crashes once, to see a
        // dead thread's job retried through the queue (documented in docs/cluster/README.md).
        filename: io.env['RUN_SWEEP_WORKER_MODULE'] ? pathToFileURL(path.resolve(io.cwd, io.env['RUN_SWEEP_WORKER_MODULE'])).href : new URL('../scheduler/worker.js', import.meta.url).href,
        minThreads: concurrency,
        maxThreads: concurrency,
        ...(maxMemoryMb !== null ? { resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb } } : {}),
      });
      pool.on('error', (err: unknown) => io.err(`warning: a worker thread died: ${(err as Error).message}`));
      pools.set(maxMemoryMb, pool);
    }
    return pool;
  };

  const trackingFor = async (uri: string, experiment: string): Promise<Tracking> => {
    let t = trackings.get(uri);
    // A server given up on (one blip) stays given up on for that connection: a worker lives for
    // days, so the next job opens tracking afresh; what the old one had not sent waits for sync.
    const current = t ? await t.catch(() => undefined) : undefined;
    if (current && current.tracker instanceof MirroredTracker && !current.tracker.remoteHealthy) {
      for (const line of (await current.finishUploads(0)).lines) io.err(line);
      trackings.delete(uri);
      t = undefined;
    }
    if (!t) {
      t = openTracking(uri, io.cwd, { env: io.env, experimentName: experiment, onWarning: (m) => io.err(`warning: ${m}`) });
      t.catch(() => trackings.delete(uri));
      trackings.set(uri, t);
    }
    return t;
  };

  const process_ = async (job: Job<TrialJobData, TrialJobResult>, token?: string, bullSignal?: AbortSignal): Promise<TrialJobResult> => {
    const data = job.data;
    const attempt = job.attemptsMade + 1;
    const entry: Active = { stop: new AbortController(), why: null };
    active.set(job.id!, entry);
    const stop = (why: Active['why'], signal: StopReason['signal'] = 'SIGTERM'): void => {
      if (entry.stop.signal.aborted) return;
      entry.why = why;
      entry.stop.abort({ signal, time: Date.now() } satisfies StopReason);
    };
    bullSignal?.addEventListener('abort', () => stop('cancelled'), { once: true });
    const poll = setInterval(() => {
      client.get(cancelKey(address.queueName, data.experiment)).then((at) => {
        if (at !== null && Number(at) >= data.submittedAt) stop('cancelled');
      }, () => {});
    }, CANCEL_POLL_MS);
    let releaseParent = (): void => {};
    try {
      const uri = options.trackingUri ?? data.trackingUri;
      const tracking = await trackingFor(uri, data.experiment);
      // Trial runs nest under the submitter's parent: in a shared store as it is, on a server as the
      // server's run (adopted by this worker's mirror). Recording elsewhere (--tracking-uri), alone.
      let parent: RunRef | null = null;
      if (options.trackingUri === null && data.parent !== null) {
        parent = tracking.server === null
          ? data.parent
          : tracking.adoptServerRun(await tracking.tracker.experiment(data.experiment), data.parent);
      }
      // A file corpus not on this machine: the copy shipped with the sweep (fetched once, cached).
      const corpus = data.trial.config.data.corpus;
      let corpusFile: string | null;
      try {
        corpusFile = await localCorpus(client, address.queueName, corpus, data.baseDir, data.corpusSha1, io.env);
      } catch (err) {
        throw new Error(failureMessage('error', (err as Error).message));
      }
      const corpusFiles = new Map(corpusFile === null ? [] : [[corpus, corpusFile]]);
      const recorder = new SweepRecorder({
        tracker: tracking.tracker, experiment: data.experiment, config: data.config, file: data.file, trials: [data.trial], version,
        isDegenerate: () => (data.sizing?.unknownShare ?? 0) > 0.5, claim: tracking.claim, corpusFiles,
        ...(parent !== null ? { parent } : {}),
      });
      await recorder.open();
      // The sweep's run lives while its trials train: this worker's heartbeat keeps it from being reaped.
      releaseParent = parent !== null && tracking.tracker.keepAlive ? tracking.tracker.keepAlive(parent) : releaseParent;
      const ledger = new JobLedger(recorder, attempt);
      const reporter = createReporter(options.quiet ? 'quiet' : 'plain', io);
      const attemptsLeft = (job.opts.attempts ?? 1) - attempt;
      let lastProgress = 0;
      let sending: Promise<unknown> = Promise.resolve();
      const send = (event: SweepEvent): void => {
        sending = sending.then(() => job.updateProgress(encodeEvent(event))).catch(() => {});
      };
      const onEvent = (raw: SweepEvent): void => {
        const event = ledger.adapt(raw);
        if (event === null) return;
        let shown = event;
        if (event.type === 'trial-end') {
          // Another attempt follows: a retry after an infrastructure failure, or another worker
          // taking over a trial handed back.
          const retry = (event.status === 'failed' && attemptsLeft > 0 && isInfrastructureFailure(event.reason, event.error)) ||
            (event.status === 'killed' && entry.why === 'handback');
          shown = { ...event, willRetry: retry };
        }
        reporter.onEvent(shown);
        if (shown.type === 'weights' || shown.type === 'reaped') return;
        if (shown.type === 'progress') {
          if (shown.time - lastProgress < PROGRESS_EVERY_MS) return;
          lastProgress = shown.time;
        }
        send(shown);
      };
      const sweepOptions: SweepOptions = {
        corpusFiles,
        pool: poolFor(data.maxMemoryMb),
        trials: [data.trial],
        baseDir: data.baseDir,
        sizing: new Map(data.sizing ? [[data.trial.id, data.sizing]] : []),
        ledger,
        workers: 1,
        rerun: false,
        trialTimeoutMs: data.trialTimeoutMs,
        maxMemoryMb: data.maxMemoryMb,
        retries: 0, // BullMQ retries, with backoff, on another worker if need be
        signal: entry.stop.signal,
        experiment: data.experiment,
        location: redactUri(tracking.tracker.location),
        onEvent,
      };
      const { reports, storeFailure } = await runSweep(sweepOptions);
      reporter.close();
      await sending;
      const r = reports[0]!;
      // Will this job run again? If not, it is settled, and the last settled job closes the sweep's parent.
      const retried = storeFailure !== undefined || entry.why === 'handback' || entry.why === 'lost' ||
        (r.status === 'failed' && isInfrastructureFailure(r.reason, r.error)) || r.status === 'killed';
      if (!retried || attemptsLeft <= 0 || entry.why === 'cancelled') {
        await settle(data, job.id!, entry.why === 'cancelled' ? 'killed' : settledAs(r.status), tracking);
      }
      if (storeFailure !== undefined) throw new Error(`the tracking store failed: ${(storeFailure as Error).message}`);
      if (entry.why === 'handback') {
        // Back to the wait list, not an attempt used: another worker (or this one, restarted) trains it.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (entry.why === 'cancelled') throw new UnrecoverableError(CANCELLED);
      if (entry.why === 'lost') throw new Error(failureMessage('interrupted', 'the job\'s lock was lost; the queue gives the trial to another worker'));
      if (r.status === 'finished' || r.status === 'reused') {
        return { status: r.status, figures: r.figures, wallSeconds: r.wallSeconds, samples: r.samples, runId: recorder.runIdOf(data.trial.id) ?? null, worker: me };
      }
      if (r.status === 'failed') {
        const message = failureMessage(r.reason ?? 'error', r.error ?? 'failed');
        // A diverged, misconfigured or timed-out trial fails the same way every time: not retried.
        if (isInfrastructureFailure(r.reason, r.error)) throw new Error(message);
        throw new UnrecoverableError(message);
      }
      throw new Error(failureMessage('interrupted', 'the trial was stopped'));
    } finally {
      releaseParent();
      clearInterval(poll);
      active.delete(job.id!);
    }
  };

  /** Marks a job settled; if it was the sweep's last and nobody watches, closes the sweep's parent run. */
  const settle = async (data: TrialJobData, id: string, outcome: Settled, tracking: Tracking): Promise<void> => {
    try {
      if (!(await settleJobs(client, address.queueName, data.experiment, [id], outcome, `worker ${me}`))) return;
      const state = await readSweep(client, address.queueName, data.experiment);
      if (state === null) return;
      // Recording elsewhere (--tracking-uri): the sweep's run is in the store the job names.
      const store = options.trackingUri === null ? tracking : await trackingFor(state.record.trackingUri, data.experiment);
      const status = await closeSweepParent(state, store.shared, version);
      io.err(`sweep '${data.experiment}': its last trial settled here; its run ended ${status}`);
    } catch (err) {
      io.err(`warning: could not close the run of sweep '${data.experiment}': ${shortError(err as Error)}`);
    }
  };

  io.err(`run-sweep worker ${me}: ${concurrency} trial(s) at a time from queue '${address.queueName}' on ${address.display}` +
    ` (lock ${timings.lockDuration / 1000} s, stalled check every ${timings.stalledInterval / 1000} s)`);
  const worker = new Worker<TrialJobData, TrialJobResult>(address.queueName, process_, {
    connection: connectionOptions(address, watch),
    concurrency,
    lockDuration: timings.lockDuration,
    stalledInterval: timings.stalledInterval,
    maxStalledCount: timings.maxStalledCount,
    autorun: false,
    name: me,
  });
  worker.on('error', (err: Error) => {
    if (isConnectionError(err)) watch.down(shortError(err));
    else io.err(`run-sweep: worker: ${shortError(err)}`);
  });
  // Redis was away longer than the lock, or the lock was taken: the stalled check may have handed
  // the job to another worker. Stop training it here (its run ends KILLED) rather than twice.
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      const a = active.get(id);
      if (!a || a.stop.signal.aborted) continue;
      io.err(`run-sweep: lost the lock of job ${id}: its trial ends KILLED here; the queue gives it to another worker`);
      a.why = 'lost';
      a.stop.abort({ signal: 'SIGTERM', time: Date.now() } satisfies StopReason);
    }
  });
  worker.on('failed', (job, err) => {
    if (job && !(err instanceof WaitingError) && err.name !== 'WaitingError') io.err(`job ${job.id} (${job.data.trial.label}) failed: ${err.message.split('\n')[0]}`);
  });

  let stopped: NodeJS.Signals | null = null;
  const gate = signalGate();
  const removeHandlers = onStopSignals((signal) => {
    const action = gate.receive(signal, Date.now());
    if (action === 'duplicate') return;
    if (action === 'quit') {
      io.err(`${signal} again: exiting at once; the queue hands the jobs on after its stalled check`);
      process.exit(SIGNAL_EXIT[signal] ?? EXIT.terminated);
    }
    stopped = signal;
    io.err(`${signal}: taking no more jobs; ${active.size} trial(s) in training end KILLED and go back to the queue`);
    for (const a of active.values()) {
      a.why = 'handback';
      a.stop.abort({ signal, time: Date.now() } satisfies StopReason);
    }
    void worker.close();
  });

  try {
    await client.ping();
    const warning = await evictionWarning(client);
    if (warning) io.err(`warning: ${warning}`);
    await worker.run();
  } finally {
    removeHandlers();
    await worker.close();
    for (const t of trackings.values()) {
      const tracking = await t.catch(() => null);
      if (!tracking) continue;
      const uploads = await tracking.finishUploads(stopped ? 5000 : 60_000);
      for (const line of uploads.lines) io.err(line);
    }
    client.disconnect();
    for (const pool of pools.values()) await pool.destroy();
  }
  return stopped !== null ? SIGNAL_EXIT[stopped] ?? EXIT.terminated : EXIT.ok;
}


function isConnectionError(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code) || /Connection is closed|connect ETIMEDOUT/.test(err.message);
}
