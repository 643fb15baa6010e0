// `run-sweep status --queue …` lists the sweeps on the queue and their jobs;
// `run-sweep cancel --queue … <experiment>` stops one: its queued jobs are removed, and the workers
// training its trials stop them (their runs end KILLED) within a second.
import { hostname } from 'node:os';
import { Queue, type Job } from 'bullmq';
import { EXIT, RunSweepError } from '../errors.js';
import { cancelKey, type TrialJobData, type TrialJobResult } from '../queue/jobs.js';
import { connectOnce, evictionWarning, parseQueueUrl } from '../queue/redis.js';
import { closeSweepParent, readSweep, settleJobs, type Settled } from '../queue/sweep-record.js';
import { redactUri } from '../track/secrets.js';
import { openTracking } from '../track/tracking.js';
import { packageVersion, type Io } from './io.js';

export interface StatusOptions {
  /** redis://[user:pass@]host:port[/db][?queue=name] */
  queue: string;
  /** only this sweep (experiment name); null: every sweep on the queue */
  experiment: string | null;
  /** one JSON object on stdout instead of the table */
  json: boolean;
}

export interface CancelOptions {
  queue: string;
  /** the sweep's experiment name (tracking.experiment, else name) */
  experiment: string;
}

const STATES = ['active', 'waiting', 'prioritized', 'delayed', 'paused', 'waiting-children', 'completed', 'failed'] as const;
type State = (typeof STATES)[number];

interface JobRow {
  id: string;
  trial: string;
  label: string;
  state: State;
  attempts: number;
  worker: string | null;
  detail: string;
}

export async function statusCommand(options: StatusOptions, io: Io): Promise<number> {
  const address = parseQueueUrl(options.queue);
  const probe = await connectOnce(address);
  const queue = new Queue<TrialJobData, TrialJobResult>(address.queueName, { connection: { ...address.redis, maxRetriesPerRequest: 1 } });
  queue.on('error', () => {});
  try {
    const warning = await evictionWarning(probe);
    if (warning) io.err(`warning: ${warning}`);
    const sweeps = new Map<string, JobRow[]>();
    for (const state of STATES) {
      const jobs = (await queue.getJobs([state], 0, -1)) as (Job<TrialJobData, TrialJobResult> | undefined)[];
      for (const job of jobs) {
        if (!job?.data?.trial) continue;
        if (options.experiment !== null && job.data.experiment !== options.experiment) continue;
        const rows = sweeps.get(job.data.experiment) ?? [];
        rows.push({
          id: job.id!, trial: job.data.trial.id, label: job.data.trial.label, state, attempts: job.attemptsMade,
          worker: state === 'completed' ? job.returnvalue?.worker ?? null : null,
          detail: state === 'failed' ? (job.failedReason ?? '').split('\n')[0]! : state === 'active' ? progressOf(job) : '',
        });
        sweeps.set(job.data.experiment, rows);
      }
    }
    const workers = await queue.getWorkers().catch(() => []);
    // Each sweep's run, as its record in Redis has it (sweep-record.ts).
    const runs = new Map<string, SweepRun>();
    for (const name of sweeps.keys()) {
      const state = await readSweep(probe, address.queueName, name);
      if (state) {
        runs.set(name, {
          runId: state.record.parent.runId, store: state.record.trackingUri, unsettled: state.unsettled, watchers: state.watchers,
          closedBy: state.closedBy, settled: state.counts,
        });
      }
    }
    if (options.json) {
      io.out(JSON.stringify({ queue: address.queueName, redis: address.display, workers: workers.length, sweeps: Object.fromEntries(sweeps), runs: Object.fromEntries(runs) }));
      return EXIT.ok;
    }
    io.out(`queue '${address.queueName}' on ${address.display}: ${workers.length} worker connection(s)`);
    if (sweeps.size === 0) io.out(options.experiment === null ? 'no sweeps' : `no jobs of sweep '${options.experiment}'`);
    for (const [name, rows] of sweeps) {
      const counts = STATES.map((s) => [s, rows.filter((r) => r.state === s).length] as const).filter(([, n]) => n > 0);
      io.out(`\n${name}: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}`);
      const run = runs.get(name);
      if (run) io.out(`  sweep run ${run.runId} in ${redactUri(run.store)}: ${describeRun(run)}`);
      for (const r of rows) io.out(`  ${r.trial.slice(0, 10)}  ${r.state.padEnd(9)} ${r.label}${r.attempts > 0 ? `  (attempts ${r.attempts})` : ''}${r.detail ? `  ${r.detail}` : ''}`);
    }
    return EXIT.ok;
  } finally {
    await queue.close();
    probe.disconnect();
  }
}

interface SweepRun {
  runId: string;
  store: string;
  unsettled: number;
  watchers: number;
  closedBy: string | null;
  settled: Record<Settled, number>;
}

function describeRun(r: SweepRun): string {
  if (r.closedBy !== null) return `closed by ${r.closedBy}`;
  const who = r.watchers > 0 ? `its submit (watching) closes it` : 'the last to settle closes it';
  return `open, ${r.unsettled} job(s) to settle; ${who}`;
}

function progressOf(job: Job): string {
  const p = job.progress as { event?: string } | number;
  if (typeof p !== 'object' || typeof p.event !== 'string') return '';
  const m = /"type":"(\w[\w-]*)".*?"epoch":(\d+)/.exec(p.event);
  return m ? `epoch ${m[2]}` : '';
}

export async function cancelCommand(options: CancelOptions, io: Io): Promise<number> {
  const address = parseQueueUrl(options.queue);
  const probe = await connectOnce(address);
  const queue = new Queue<TrialJobData, TrialJobResult>(address.queueName, { connection: { ...address.redis, maxRetriesPerRequest: 1 } });
  queue.on('error', () => {});
  try {
    // First the flag (workers poll it every second), then the queued jobs: a worker that takes one
    // in between sees the flag and stops it.
    await probe.set(cancelKey(address.queueName, options.experiment), String(Date.now()), 'EX', 7 * 24 * 3600);
    let removed = 0;
    let running = 0;
    const removedIds: string[] = [];
    const jobs = (await queue.getJobs(['waiting', 'prioritized', 'delayed', 'paused', 'active'], 0, -1)) as (Job<TrialJobData, TrialJobResult> | undefined)[];
    for (const job of jobs) {
      if (job?.data?.experiment !== options.experiment) continue;
      const state = await job.getState();
      if (state === 'active') {
        running++;
        continue;
      }
      try {
        await job.remove();
        removed++;
        removedIds.push(job.id!);
      } catch {
        running++; // taken by a worker meanwhile: it sees the flag
      }
    }
    if (removed + running === 0) {
      io.err(`run-sweep: no queued or running jobs of sweep '${options.experiment}' on queue '${address.queueName}'`);
      return EXIT.failed;
    }
    io.out(`cancelled sweep '${options.experiment}': ${removed} queued job(s) removed, ${running} trial(s) in training stopping (their runs end KILLED)`);
    // Removed jobs are settled: if they were the sweep's last and nobody watches, its run ends here.
    if (await settleJobs(probe, address.queueName, options.experiment, removedIds, 'killed', `cancel ${hostname()}:${process.pid}`)) {
      const state = await readSweep(probe, address.queueName, options.experiment);
      if (state !== null) {
        const tracking = await openTracking(state.record.trackingUri, io.cwd, { env: io.env, experimentName: options.experiment, onWarning: (m) => io.err(`warning: ${m}`) });
        await closeSweepParent(state, tracking.shared, packageVersion());
        io.out(`the sweep's run ended KILLED`);
      }
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof RunSweepError) throw err;
    throw new RunSweepError('tracking', `cancel failed: ${(err as Error).message}`);
  } finally {
    await queue.close();
    probe.disconnect();
  }
}
