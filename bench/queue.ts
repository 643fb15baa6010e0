// Queue throughput: one sweep trained through the queue by 1 and then 2 worker processes on this
// machine (each worker one trial at a time), against the same sweep run locally with --workers 1.
// The trials are d2l-sized GRUs (256 hidden, batch 32, 35 steps, 30,000 tokens; ~11 s each alone at
// 20 epochs): trials of a fraction of a second would measure start-up, not throughput.
//
//   node dist/bench/queue.js [--trials N] [--epochs N]
//
// Prints the wall times (and a local --workers 2 sweep's, for what the machine allows right now),
// the speed-up of 2 worker processes over 1 (goal ≥ 1.8× on 2 idle cores),
// and the queue's overhead per trial: (queue with 1 worker − local with 1 worker) / trials, which
// covers enqueueing, a job's round trip through Redis, the worker's per-job thread pool and
// recorder, and the watcher noticing the end. Needs redis-server (started here on a free port).
// Run it on a quiet machine: another busy process skews every figure.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { RedisServer, redisMissing } from '../test/support/redis.js';
import type { TrialJobResult } from '../src/queue/jobs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const QUEUE_CLI = path.join(here, '..', 'test', 'support', 'queue-cli.js');
const MAIN = path.join(here, '..', 'src', 'cli', 'main.js');
// As src/cli/main.ts's shebang: V8's helper GC threads would steal the other worker's core.
const NODE = [process.execPath, '--single-threaded-gc'];

const { values } = parseArgs({ options: { trials: { type: 'string', default: '8' }, epochs: { type: 'string', default: '20' } } });
const trials = Number(values.trials);
const epochs = Number(values.epochs);

const seeds = Array.from({ length: trials }, (_, i) => i).join(', ');
const SWEEP = `
name: queue-bench
data: {max_tokens: 30000}
model: {cell: gru, hidden_size: 256}
train: {epochs: ${epochs}, batch_size: 32, num_steps: 35}
sample: {prefixes: ["the "], length: 5, every_epochs: 100}
sweep: {seeds: [${seeds}]}
`;

function run(args: string[], cwd: string): { child: ChildProcess; done: Promise<number | null>; out: () => string } {
  const child = spawn(NODE[0]!, [...NODE.slice(1), ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, done, out: () => out };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'queue-bench-'));
  writeFileSync(path.join(dir, 'sweep.yaml'), SWEEP);
  return dir;
}

async function local(workers: number): Promise<number> {
  const cwd = workspace();
  const t0 = performance.now();
  const r = run([MAIN, 'sweep.yaml', '--workers', String(workers), '--quiet'], cwd);
  const code = await r.done;
  if (code !== 0) throw new Error(`local sweep exited ${code}:\n${r.out()}`);
  return (performance.now() - t0) / 1000;
}

interface Overhead {
  /** per job: the worker's time around the trial (job taken → job done, less the trial's own wall time), ms */
  aroundTrial: number;
  /** per job after a worker's first: from its last job done to its next taken, ms */
  handoff: number;
}

/** From BullMQ's own timestamps: what the queue adds to each trial, whatever the machine's load. */
async function overheadOf(redis: RedisServer, db: number): Promise<Overhead> {
  const queue = new Queue<unknown, TrialJobResult>('run-sweep', { connection: { host: '127.0.0.1', port: redis.port, db } });
  try {
    const jobs = (await queue.getJobs(['completed'])).filter((j) => j?.processedOn && j.finishedOn && j.returnvalue);
    const around = jobs.map((j) => j.finishedOn! - j.processedOn! - j.returnvalue.wallSeconds * 1000);
    const byWorker = new Map<string, typeof jobs>();
    for (const j of jobs) byWorker.set(j.returnvalue.worker, [...(byWorker.get(j.returnvalue.worker) ?? []), j]);
    const gaps: number[] = [];
    for (const list of byWorker.values()) {
      list.sort((a, b) => a.processedOn! - b.processedOn!);
      for (let i = 1; i < list.length; i++) gaps.push(list[i]!.processedOn! - list[i - 1]!.finishedOn!);
    }
    const mean = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
    return { aroundTrial: mean(around), handoff: mean(gaps) };
  } finally {
    await queue.close();
  }
}

async function queued(redis: RedisServer, db: number, workers: number): Promise<number> {
  const cwd = workspace();
  const queue = `${redis.url}/${db}`;
  // Workers are started and connected first: a cluster's workers wait for work.
  const ws = Array.from({ length: workers }, () => run([QUEUE_CLI, 'worker', JSON.stringify({ queue, workers: 1, quiet: true })], cwd));
  await Promise.all(ws.map((w) => until(() => w.out().includes('trial(s) at a time'))));
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  const submit = run([QUEUE_CLI, 'submit', JSON.stringify({ file: 'sweep.yaml', queue, output: 'quiet' })], cwd);
  const code = await submit.done;
  const seconds = (performance.now() - t0) / 1000;
  for (const w of ws) w.child.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.done));
  if (code !== 0) throw new Error(`submit exited ${code}:\n${submit.out()}`);
  return seconds;
}

const missing = redisMissing();
if (missing) {
  console.log(`queue bench skipped: ${missing}`);
} else {
  const redis = await RedisServer.start();
  try {
    const load = loadavg()[0]!.toFixed(1);
    const tLocal = await local(1);
    const tLocal2 = await local(2);
    const t1 = await queued(redis, 1, 1);
    const o = await overheadOf(redis, 1);
    const t2 = await queued(redis, 2, 2);
    console.log(`\n### Queue throughput (${trials} trials: gru 256 hidden, batch 32, 35 steps, ${epochs} epochs, 30,000 tokens; load average ${load} at start)\n`);
    console.log('| run | wall s | trials/min |');
    console.log('|---|---:|---:|');
    for (const [name, t] of [['local, --workers 1', tLocal], ['local, --workers 2', tLocal2], ['queue, 1 worker process', t1], ['queue, 2 worker processes', t2]] as const) {
      console.log(`| ${name} | ${t.toFixed(1)} | ${((trials * 60) / t).toFixed(1)} |`);
    }
    console.log(`\n2 worker processes vs 1: ${(t1 / t2).toFixed(2)}× (goal ≥ 1.8×); a local sweep's 2 workers vs 1 on this machine now: ${(tLocal / tLocal2).toFixed(2)}×`);
    console.log(`queue overhead per trial, by wall time: ${(((t1 - tLocal) * 1000) / trials).toFixed(0)} ms (queue with 1 worker − local with 1 worker, / trials)`);
    console.log(`queue overhead per trial, by BullMQ's timestamps: ${(o.aroundTrial + o.handoff).toFixed(0)} ms = ${o.aroundTrial.toFixed(0)} ms in the worker around the trial + ${o.handoff.toFixed(0)} ms from one job done to the next taken`);
  } finally {
    await redis.stop();
  }
}
