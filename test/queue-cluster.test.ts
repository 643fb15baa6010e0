// Sweeps on a BullMQ queue, with a real redis-server and every party a separate process, as on a
// cluster: submit + two workers finish a sweep, a duplicate submit adds nothing, a worker killed
// mid-trial hands its trial on (one FINISHED run per trial id, the dead attempt KILLED, none
// RUNNING), cancel stops a sweep, and a Redis restart mid-sweep loses nothing.
// Timings: RUN_SWEEP_QUEUE_LOCK_MS=2000, so a dead worker's job moves on within seconds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from './support/workspace.js';
import { trialRuns, parentRuns } from './support/store-runs.js';
import { redisMissing, RedisServer } from './support/redis.js';
import { FakeMlflowServer, type FakeRun } from './support/fake-mlflow.js';

const QUEUE_CLI = fileURLToPath(new URL('./support/queue-cli.js', import.meta.url));
const missing = redisMissing();

const QUICK = `
name: cluster
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 3, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
sweep: {grid: {model.cell: [rnn, gru, lstm]}}
`;

// A few seconds per trial: long enough to act in the middle of one.
const longer = (name: string, epochs: number, cells = '[rnn, gru]'): string => `
name: ${name}
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: ${epochs}, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5, every_epochs: 100}
sweep: {grid: {model.cell: ${cells}}}
`;

interface Proc {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
  out: () => string;
}

const procs: Proc[] = [];

function start(command: 'submit' | 'worker' | 'status' | 'cancel', options: Record<string, unknown>, cwd: string, env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [QUEUE_CLI, command, JSON.stringify(options)], {
    cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '', RUN_SWEEP_QUEUE_LOCK_MS: '2000', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out })));
  const p = { child, done, out: () => out };
  procs.push(p);
  return p;
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopWorkers(...workers: Proc[]): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.done));
}

/** `status --json`: each sweep's job states. */
async function jobStates(queue: string, cwd: string): Promise<Record<string, string[]>> {
  const status = await start('status', { queue, json: true }, cwd).done;
  assert.equal(status.code, 0, status.out);
  const sweeps = (JSON.parse(status.out.trim().split('\n').pop()!) as { sweeps: Record<string, { state: string }[]> }).sweeps;
  return Object.fromEntries(Object.entries(sweeps).map(([name, jobs]) => [name, jobs.map((j) => j.state)]));
}

/** `status --json`: a sweep's run as Redis records it. */
async function sweepRun(queue: string, cwd: string, name: string): Promise<{ runId: string; unsettled: number; watchers: number; closedBy: string | null } | undefined> {
  const status = await start('status', { queue, json: true }, cwd).done;
  assert.equal(status.code, 0, status.out);
  return (JSON.parse(status.out.trim().split('\n').pop()!) as { runs: Record<string, { runId: string; unsettled: number; watchers: number; closedBy: string | null }> }).runs[name];
}

function statuses(cwd: string, experiment: string): Map<string, string[]> {
  const byTrial = new Map<string, string[]>();
  for (const r of trialRuns(cwd, experiment)) {
    const id = r.data.tags['run_sweep.trial_id']!;
    byTrial.set(id, [...(byTrial.get(id) ?? []), r.info.status].sort());
  }
  return byTrial;
}

describe('sweeps on a queue (redis-server, separate processes)', { skip: missing ?? false }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await redis?.stop();
  });

  test('submit + two workers finish a sweep; a duplicate submit adds nothing; submitting it again once done trains nothing', async () => {
    const cwd = workspace({ 'sweep.yaml': QUICK });
    const queue = `${redis.url}/1`;
    const submit = start('submit', { file: 'sweep.yaml', queue }, cwd);
    await until(() => /queued 3 trial\(s\)/.test(submit.out()), 'the first submit to queue 3 trials');
    const again = await start('submit', { file: 'sweep.yaml', queue, detach: true }, cwd).done;
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /queued 0 trial\(s\); 3 already queued or in training/);
    const w1 = start('worker', { queue }, cwd);
    const w2 = start('worker', { queue }, cwd);
    const result = await submit.done;
    await stopWorkers(w1, w2);
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /3 finished, 0 failed/);
    assert.match(result.out, /best configuration/);
    for (const w of [w1, w2]) assert.match(w.out(), /\] started/, `each worker trained a trial:\n${w.out()}`);
    const runs = trialRuns(cwd, 'cluster');
    assert.deepEqual(runs.map((r) => r.info.status), ['FINISHED', 'FINISHED', 'FINISHED']);
    assert.equal(new Set(runs.map((r) => r.data.tags['run_sweep.trial_id'])).size, 3, 'one run per trial: the duplicate submit queued nothing');
    const [parent, ...others] = parentRuns(cwd, 'cluster');
    assert.equal(others.length, 0, 'one sweep run');
    assert.equal(parent!.info.status, 'FINISHED');
    assert.ok(runs.every((r) => r.data.tags['mlflow.parentRunId'] === parent!.info.run_id), 'trial runs nest under the sweep run');
    assert.ok(parent!.data.tags['run_sweep.best_trial_id'], 'the sweep run names its best trial');

    const done = await start('submit', { file: 'sweep.yaml', queue, detach: true }, cwd).done;
    assert.equal(done.code, 0, done.out);
    assert.match(done.out, /queued 0 trial\(s\); 3 finished earlier/);
    assert.equal(trialRuns(cwd, 'cluster').length, 3, 'nothing trained again');
  });

  test('SIGKILL of a worker mid-trial: another worker finishes the trial; one FINISHED run per trial id, the dead attempt KILLED, none RUNNING', async () => {
    const cwd = workspace({ 'sweep.yaml': longer('killed', 25, '[gru]') });
    const queue = `${redis.url}/2`;
    const a = start('worker', { queue }, cwd);
    const submit = start('submit', { file: 'sweep.yaml', queue }, cwd);
    await until(() => /epoch 3\/25/.test(a.out()), 'worker A to be mid-trial');
    a.child.kill('SIGKILL');
    await a.done;
    const b = start('worker', { queue }, cwd);
    const result = await submit.done;
    await stopWorkers(b);
    assert.equal(result.code, 0, result.out);
    assert.match(b.out(), /\] finished in/, `worker B finished the trial:\n${b.out()}`);
    assert.match(b.out(), /marked 1|1 run/i, `worker B reaped the dead attempt's run:\n${b.out()}`);
    const byTrial = statuses(cwd, 'killed');
    assert.equal(byTrial.size, 1);
    assert.deepEqual([...byTrial.values()][0], ['FINISHED', 'KILLED'], 'the dead attempt KILLED, the second FINISHED');
    assert.deepEqual(parentRuns(cwd, 'killed').map((r) => r.info.status), ['FINISHED']);
  });

  test('a worker frozen past its lock (SIGSTOP): another takes the trial, the frozen one stops it on waking; never trained twice at once', async () => {
    const cwd = workspace({ 'sweep.yaml': longer('frozen', 25, '[gru]') });
    const queue = `${redis.url}/7`;
    const a = start('worker', { queue }, cwd);
    const submit = start('submit', { file: 'sweep.yaml', queue }, cwd);
    await until(() => /epoch 3\/25/.test(a.out()), 'worker A to be mid-trial');
    a.child.kill('SIGSTOP');
    const b = start('worker', { queue }, cwd);
    await until(() => /\] started/.test(b.out()) || /waiting for it/.test(b.out()), 'worker B to take the stalled job', 20_000);
    a.child.kill('SIGCONT');
    const result = await submit.done;
    await stopWorkers(a, b);
    assert.equal(result.code, 0, result.out);
    assert.match(a.out(), /lost the lock of job/, `worker A stopped the trial it no longer held:\n${a.out()}`);
    assert.deepEqual([...statuses(cwd, 'frozen').values()], [['FINISHED', 'KILLED']]);
    assert.deepEqual(parentRuns(cwd, 'frozen').map((r) => r.info.status), ['FINISHED']);
  });

  test('SIGTERM to a worker mid-trial: it exits 143 at once, its run ends KILLED, and its job goes back to the queue for another worker', async () => {
    const cwd = workspace({ 'sweep.yaml': longer('handback', 25, '[gru]') });
    const queue = `${redis.url}/5`;
    const a = start('worker', { queue }, cwd);
    const submit = start('submit', { file: 'sweep.yaml', queue }, cwd);
    await until(() => /epoch 3\/25/.test(a.out()), 'worker A to be mid-trial');
    const sent = Date.now();
    a.child.kill('SIGTERM');
    const ended = await a.done;
    assert.equal(ended.code, 143, ended.out);
    assert.ok(Date.now() - sent < 3000, 'the worker stops without finishing the trial');
    assert.deepEqual([...statuses(cwd, 'handback').values()], [['KILLED']], 'its run ended KILLED');
    assert.deepEqual((await jobStates(queue, cwd)).handback, ['waiting'], 'the job is back on the wait list, not left to the stalled check');
    const b = start('worker', { queue }, cwd);
    const result = await submit.done;
    await stopWorkers(b);
    assert.equal(result.code, 0, result.out);
    assert.match(b.out(), /\] finished in/, 'worker B trained the trial handed back');
    assert.deepEqual([...statuses(cwd, 'handback').values()], [['FINISHED', 'KILLED']]);
    assert.deepEqual(parentRuns(cwd, 'handback').map((r) => r.info.status), ['FINISHED'], 'a trial handed back is not settled: the sweep run waits for it');
  });

  test('a diverged trial fails once, not retried (sweep.retries is for infrastructure failures): submit exits 1', async () => {
    const cwd = workspace({ 'sweep.yaml': `
name: diverged
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 3, batch_size: 8, num_steps: 10, lr: 1e9, clip_norm: 0}
sweep: {grid: {model.cell: [rnn]}, retries: 2}
` });
    const queue = `${redis.url}/6`;
    const w = start('worker', { queue }, cwd);
    const result = await start('submit', { file: 'sweep.yaml', queue }, cwd).done;
    await stopWorkers(w);
    assert.equal(result.code, 1, result.out);
    assert.match(result.out, /failed \(diverged\)/);
    assert.equal(w.out().match(/\] started/g)?.length, 1, `trained once, not retried:\n${w.out()}`);
    assert.deepEqual([...statuses(cwd, 'diverged').values()], [['FAILED']]);
    assert.deepEqual((await jobStates(queue, cwd)).diverged, ['failed']);
    assert.deepEqual(parentRuns(cwd, 'diverged').map((r) => r.info.status), ['FAILED']);
  });

  test('cancel: the running trial ends KILLED, queued ones are removed, the watcher exits 130, the worker goes on', async () => {
    const cwd = workspace({ 'sweep.yaml': longer('cancelled', 200, '[rnn, gru, lstm]') });
    const queue = `${redis.url}/3`;
    const w = start('worker', { queue }, cwd);
    const submit = start('submit', { file: 'sweep.yaml', queue }, cwd);
    await until(() => /epoch 2\/200/.test(w.out()), 'a trial in training');
    const cancel = await start('cancel', { queue, experiment: 'cancelled' }, cwd).done;
    assert.equal(cancel.code, 0, cancel.out);
    assert.match(cancel.out, /2 queued job\(s\) removed, 1 trial\(s\) in training stopping/);
    const result = await submit.done;
    assert.equal(result.code, 130, result.out);
    assert.match(result.out, /cancelled/);
    assert.equal(w.child.exitCode, null, 'the worker is still running');
    assert.deepEqual((await jobStates(queue, cwd)).cancelled, ['failed'], 'only the stopped trial is left, failed');
    await stopWorkers(w);
    assert.equal(w.child.exitCode, 143);
    assert.deepEqual([...statuses(cwd, 'cancelled').values()], [['KILLED']], 'one run, KILLED; the queued trials never started');
    assert.deepEqual(parentRuns(cwd, 'cancelled').map((r) => r.info.status), ['KILLED'], 'the sweep run ends KILLED');
  });

  test('--detach: the sweep run exists at once; the worker that settles the last trial closes it, with the best trial', async () => {
    const cwd = workspace({ 'sweep.yaml': QUICK.replace('name: cluster', 'name: detached') });
    const queue = `${redis.url}/8`;
    const submit = await start('submit', { file: 'sweep.yaml', queue, detach: true }, cwd).done;
    assert.equal(submit.code, 0, submit.out);
    assert.deepEqual(parentRuns(cwd, 'detached').map((r) => r.info.status), ['RUNNING'], 'the sweep run is made before any worker starts');
    const open = await sweepRun(queue, cwd, 'detached');
    assert.deepEqual({ ...open, runId: undefined }, { runId: undefined, store: join(cwd, 'runs'), unsettled: 3, watchers: 0, closedBy: null, settled: { finished: 0, failed: 0, killed: 0 } });
    assert.equal(open!.runId, parentRuns(cwd, 'detached')[0]!.info.run_id, 'status names the sweep run');
    const w1 = start('worker', { queue }, cwd);
    const w2 = start('worker', { queue }, cwd);
    await until(() => parentRuns(cwd, 'detached')[0]?.info.status !== 'RUNNING', 'a worker to close the sweep run', 60_000);
    await stopWorkers(w1, w2);
    const [parent, ...more] = parentRuns(cwd, 'detached');
    assert.equal(more.length, 0, 'one sweep run');
    assert.equal(parent!.info.status, 'FINISHED');
    assert.ok(parent!.data.tags['run_sweep.best_trial_id'], 'it names the best trial');
    assert.ok(Number.isFinite(parent!.data.metrics['best_val_perplexity']), 'with its figures');
    const runs = trialRuns(cwd, 'detached');
    assert.deepEqual(runs.map((r) => r.info.status), ['FINISHED', 'FINISHED', 'FINISHED']);
    assert.ok(runs.every((r) => r.data.tags['mlflow.parentRunId'] === parent!.info.run_id), 'trial runs nest under it');
    assert.equal((w1.out() + w2.out()).match(/its last trial settled here; its run ended FINISHED/g)?.length, 1, `exactly one worker closed it:\n${w1.out()}\n${w2.out()}`);
    assert.match((await sweepRun(queue, cwd, 'detached'))?.closedBy ?? '', /^worker .+:\d+$/, 'status says who closed it');
  });

  test('Ctrl-C on the watcher leaves the sweep run to the workers; a second submit watches the same run, which ends FINISHED once', async () => {
    const cwd = workspace({ 'sweep.yaml': longer('rewatched', 6) });
    const queue = `${redis.url}/9`;
    const first = start('submit', { file: 'sweep.yaml', queue }, cwd);
    // The moment its trials are queued (not at the next poll): submit must already be listening.
    const interrupt = (): void => void (/queued 2 trial\(s\)/.test(first.out()) && first.child.kill('SIGINT'));
    first.child.stdout!.on('data', interrupt);
    first.child.stderr!.on('data', interrupt);
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.out);
    assert.match(stopped.out, /no longer watching/);
    assert.deepEqual(parentRuns(cwd, 'rewatched').map((r) => r.info.status), ['RUNNING'], 'the sweep goes on without its watcher');
    const second = start('submit', { file: 'sweep.yaml', queue }, cwd);
    await until(() => /2 already queued or in training/.test(second.out()), 'the second submit to find the first one\'s jobs');
    const w = start('worker', { queue }, cwd);
    const watched = await second.done;
    await stopWorkers(w);
    assert.equal(watched.code, 0, watched.out);
    const parents = parentRuns(cwd, 'rewatched');
    assert.deepEqual(parents.map((r) => r.info.status), ['FINISHED'], 'one sweep run, closed');
    assert.ok(trialRuns(cwd, 'rewatched').every((r) => r.data.tags['mlflow.parentRunId'] === parents[0]!.info.run_id));
    assert.doesNotMatch(w.out(), /its last trial settled here/, 'a watched sweep is closed by its watcher');
  });

  test('Ctrl-C on the watcher, no second submit: the worker that settles the last trial closes the sweep run', async () => {
    const cwd = workspace({ 'sweep.yaml': longer('unwatched', 6) });
    const queue = `${redis.url}/10`;
    const w = start('worker', { queue }, cwd);
    const submit = start('submit', { file: 'sweep.yaml', queue }, cwd);
    await until(() => /epoch 2\/6/.test(w.out()), 'a trial in training');
    submit.child.kill('SIGINT');
    assert.equal((await submit.done).code, 130);
    await until(() => parentRuns(cwd, 'unwatched')[0]?.info.status !== 'RUNNING', 'the worker to close the sweep run', 60_000);
    await stopWorkers(w);
    assert.deepEqual(parentRuns(cwd, 'unwatched').map((r) => r.info.status), ['FINISHED']);
    assert.match(w.out(), /its last trial settled here; its run ended FINISHED/);
  });

  test('cancel of a detached sweep no worker has started: the queued jobs go, and the sweep run ends KILLED', async () => {
    const cwd = workspace({ 'sweep.yaml': QUICK.replace('name: cluster', 'name: dropped') });
    const queue = `${redis.url}/11`;
    assert.equal((await start('submit', { file: 'sweep.yaml', queue, detach: true }, cwd).done).code, 0);
    const cancel = await start('cancel', { queue, experiment: 'dropped' }, cwd).done;
    assert.equal(cancel.code, 0, cancel.out);
    assert.match(cancel.out, /3 queued job\(s\) removed, 0 trial\(s\) in training/);
    assert.match(cancel.out, /the sweep's run ended KILLED/);
    assert.deepEqual(parentRuns(cwd, 'dropped').map((r) => r.info.status), ['KILLED']);
    assert.equal(trialRuns(cwd, 'dropped').length, 0);
  });

  test('with an MLflow server: workers on other machines nest their trial runs under the submitter\'s sweep run there, and the last one closes it', async () => {
    const server = await new FakeMlflowServer().start();
    try {
      const cwd = workspace({ 'sweep.yaml': QUICK.replace('name: cluster', 'name: served') });
      const queue = `${redis.url}/13`;
      const submit = await start('submit', { file: 'sweep.yaml', queue, detach: true, trackingUri: server.uri }, cwd).done;
      assert.equal(submit.code, 0, submit.out);
      // Each worker in a directory of its own, as on another machine: its own write-ahead store.
      const w1 = start('worker', { queue }, workspace({}));
      const w2 = start('worker', { queue }, workspace({}));
      const onServer = (): FakeRun[] => [...server.runs.values()];
      const parentOf = (): FakeRun | undefined => onServer().find((r) => r.tags.get('run_sweep.role') === 'sweep');
      await until(() => parentOf() !== undefined && parentOf()!.info.status !== 'RUNNING', 'the sweep run on the server to be closed', 60_000);
      await stopWorkers(w1, w2);
      const parent = parentOf()!;
      assert.equal(parent.info.status, 'FINISHED', `${w1.out()}\n${w2.out()}`);
      assert.ok(parent.tags.get('run_sweep.best_trial_id'), 'it names the best trial');
      const trials = onServer().filter((r) => r.tags.has('run_sweep.trial_id'));
      assert.equal(trials.length, 3);
      assert.deepEqual(trials.map((r) => r.info.status), ['FINISHED', 'FINISHED', 'FINISHED']);
      assert.deepEqual(trials.map((r) => r.tags.get('mlflow.parentRunId')), [parent.info.run_id, parent.info.run_id, parent.info.run_id], 'nested under the server\'s sweep run');
      assert.equal(onServer().filter((r) => r.tags.get('run_sweep.role') === 'sweep').length, 1, 'one sweep run');
    } finally {
      await server.stop();
    }
  });

  test('a file corpus travels with the sweep: a worker where its path does not exist trains on the copy from Redis', async () => {
    const text = Array.from({ length: 400 }, (_, i) => `the time traveller ${i % 7 === 0 ? 'smiled' : 'spoke'} of the ${['fourth', 'third', 'other'][i % 3]} dimension.`).join(' ');
    const cwd = workspace({ 'sweep.yaml': longer('shipped', 2, '[rnn]').replace('data: {max_tokens: 3000}', 'data: {corpus: my-corpus.txt, max_tokens: 3000}'), 'my-corpus.txt': text });
    const queue = `${redis.url}/14`;
    const submit = await start('submit', { file: 'sweep.yaml', queue, detach: true }, cwd).done;
    assert.equal(submit.code, 0, submit.out);
    rmSync(join(cwd, 'my-corpus.txt')); // as on a machine without it
    const cache = workspace({});
    const w = start('worker', { queue }, cwd, { XDG_CACHE_HOME: cache });
    await until(() => parentRuns(cwd, 'shipped')[0]?.info.status === 'FINISHED', 'the sweep to finish', 60_000);
    await stopWorkers(w);
    const [run] = trialRuns(cwd, 'shipped');
    assert.equal(run?.info.status, 'FINISHED', w.out());
    assert.equal(run!.data.params['data.corpus'], 'my-corpus.txt', 'the run names the corpus as the experiment does');
    const copies = readdirSync(join(cache, 'run-sweep', 'corpora'));
    assert.equal(copies.length, 1, 'one cached copy');
    assert.equal(readFileSync(join(cache, 'run-sweep', 'corpora', copies[0]!, 'my-corpus.txt'), 'utf8'), text);
  });

  test('a worker recording elsewhere (--tracking-uri) still settles its jobs: the last one closes the sweep run where the submit made it', async () => {
    const cwd = workspace({ 'sweep.yaml': QUICK.replace('name: cluster', 'name: elsewhere').replace('[rnn, gru, lstm]', '[rnn]') });
    const queue = `${redis.url}/15`;
    assert.equal((await start('submit', { file: 'sweep.yaml', queue, detach: true }, cwd).done).code, 0);
    const other = workspace({});
    const w = start('worker', { queue, trackingUri: join(other, 'runs') }, cwd);
    await until(() => parentRuns(cwd, 'elsewhere')[0]?.info.status !== 'RUNNING', 'the worker to close the sweep run', 60_000);
    await stopWorkers(w);
    assert.deepEqual(parentRuns(cwd, 'elsewhere').map((r) => r.info.status), ['FINISHED']);
    assert.deepEqual(trialRuns(other, 'elsewhere').map((r) => r.info.status), ['FINISHED'], 'the trial run went where the worker records');
  });

  test('a trial whose thread dies is retried through the queue (sweep.retries), and the retry finishes it', async () => {
    const cwd = workspace({ 'sweep.yaml': `${QUICK.replace('name: cluster', 'name: crashed').replace('[rnn, gru, lstm]', '[rnn]')}` });
    const queue = `${redis.url}/12`;
    const markers = workspace({});
    const env = { RUN_SWEEP_WORKER_MODULE: fileURLToPath(new URL('./support/workers/crash-once.js', import.meta.url)), RUN_SWEEP_TEST_MARKERS: markers };
    const w = start('worker', { queue }, cwd, env);
    const result = await start('submit', { file: 'sweep.yaml', queue }, cwd).done;
    await stopWorkers(w);
    assert.equal(result.code, 0, result.out);
    assert.match(w.out(), /the worker thread died/, 'the first attempt died');
    assert.deepEqual([...statuses(cwd, 'crashed').values()], [['FAILED', 'FINISHED']], 'the dead attempt FAILED, the retry FINISHED');
    assert.deepEqual(parentRuns(cwd, 'crashed').map((r) => r.info.status), ['FINISHED']);
  });

  test('Redis restarted mid-sweep: workers and the watcher say so, wait, reconnect, and the sweep finishes', async () => {
    const cwd = workspace({ 'sweep.yaml': longer('restart', 30) });
    const queue = `${redis.url}/4`;
    const w = start('worker', { queue }, cwd);
    const submit = start('submit', { file: 'sweep.yaml', queue }, cwd);
    await until(() => /epoch 2\/30/.test(w.out()), 'a trial in training');
    await redis.stop(true);
    await new Promise((r) => setTimeout(r, 1000));
    await redis.up();
    const result = await submit.done;
    await stopWorkers(w);
    assert.equal(result.code, 0, result.out);
    for (const p of [result.out, w.out()]) {
      assert.match(p, /lost Redis at 127\.0\.0\.1:\d+\/4 .*waiting for it and reconnecting/);
      assert.match(p, /reconnected to Redis/);
    }
    const byTrial = statuses(cwd, 'restart');
    assert.equal(byTrial.size, 2, 'both trials recorded');
    for (const s of byTrial.values()) {
      assert.equal(s.filter((x) => x === 'FINISHED').length, 1, `one FINISHED run per trial: ${s}`);
      assert.ok(!s.includes('RUNNING'));
    }
    assert.deepEqual(parentRuns(cwd, 'restart').map((r) => r.info.status), ['FINISHED']);
  });
  test('Redis restarted empty (no persistence) mid-sweep: the watcher re-queues what the store lacks, and the sweep finishes', async () => {
    const own = await RedisServer.start();
    try {
      const cwd = workspace({ 'sweep.yaml': longer('wiped', 25) });
      const w = start('worker', { queue: own.url }, cwd);
      const submit = start('submit', { file: 'sweep.yaml', queue: own.url }, cwd);
      await until(() => /epoch 2\/25/.test(w.out()), 'a trial in training');
      await own.stop(); // SIGKILL: nothing saved
      await own.up();
      const result = await submit.done;
      await stopWorkers(w);
      assert.equal(result.code, 0, result.out);
      assert.match(result.out, /is gone from Redis and the trial is not finished: queueing it again/);
      const byTrial = statuses(cwd, 'wiped');
      assert.equal(byTrial.size, 2, 'both trials recorded');
      for (const s of byTrial.values()) assert.equal(s.filter((x) => x === 'FINISHED').length, 1, `one FINISHED run per trial: ${s}`);
      assert.deepEqual(parentRuns(cwd, 'wiped').map((r) => r.info.status), ['FINISHED'], 'its watcher closes the sweep run Redis forgot');
    } finally {
      await own.stop();
    }
  });
});
