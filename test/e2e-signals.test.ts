// Signals, as CI and people send them: SIGTERM (CI cancelling, `timeout`) and SIGHUP end a sweep
// with 143, SIGINT with 130; runs end KILLED at the time of the signal; a second signal exits at
// once and the store stays readable; a launcher that dies (npm exec) does not orphan the sweep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { workspace } from './support/workspace.js';
import { CLI, type CliResult } from './support/cli.js';
import { parentRuns, storeRuns, trialRuns } from './support/store-runs.js';
import { REPEAT_WINDOW_MS, signalGate } from '../src/commands/signals.js';

const LONG = `
name: signals
data: {max_tokens: 20000}
model: {hidden_size: 16}
train: {epochs: 100, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5, every_epochs: 100}
sweep: {grid: {model.cell: [rnn, gru]}, workers: 2}
`;

interface Started {
  child: ChildProcess;
  done: Promise<CliResult>;
  output: () => string;
}

function start(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(command, args, { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => stdout + stderr };
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 143], ['SIGINT', 130]] as const) {
  test(`${signal} mid-training: exit ${code}, every run KILLED at the signal's time, the summary printed`, async () => {
    const cwd = workspace({ 'sweep.yaml': LONG });
    const run = start(process.execPath, [CLI, 'sweep.yaml'], cwd);
    await until(() => /epoch 2\/100/.test(run.output()), 'epoch 2');
    const sent = Date.now();
    run.child.kill(signal);
    const result = await run.done;
    const took = Date.now() - sent;
    assert.equal(result.code, code, result.stderr);
    assert.ok(took < 2000, `exited ${took} ms after the signal`);
    assert.match(result.stdout, /configuration +model\.cell +n +val ppl/, 'the summary table is printed');
    const runs = storeRuns(cwd, 'signals');
    assert.equal(runs.length, 3, 'a parent and two trials');
    for (const r of runs) {
      assert.equal(r.info.status, 'KILLED', `${r.info.run_name} is ${r.info.status}`);
      assert.ok(r.info.end_time! >= sent - 50 && r.info.end_time! <= sent + 1000, `end time ${r.info.end_time} is the signal's (${sent})`);
    }
    for (const r of trialRuns(cwd, 'signals')) assert.equal(r.data.tags['run_sweep.failure'], 'interrupted');
  });
}

test('one Ctrl-C delivered twice at once (as `timeout` and npm do) is one request: the stop completes', async () => {
  const cwd = workspace({ 'sweep.yaml': LONG });
  const run = start(process.execPath, [CLI, 'sweep.yaml'], cwd);
  await until(() => /epoch 1\/100/.test(run.output()), 'epoch 1');
  run.child.kill('SIGINT');
  run.child.kill('SIGINT');
  const result = await run.done;
  assert.equal(result.code, 130, result.stderr);
  assert.doesNotMatch(result.stderr, /SIGINT again/);
  assert.deepEqual(storeRuns(cwd, 'signals').map((r) => r.info.status), ['KILLED', 'KILLED', 'KILLED']);
});

test('a second signal a second or more after the first quits at once', () => {
  const gate = signalGate();
  assert.equal(gate.receive('SIGINT', 10_000), 'stop');
  assert.equal(gate.receive('SIGINT', 10_000 + REPEAT_WINDOW_MS - 1), 'duplicate');
  assert.equal(gate.receive('SIGTERM', 10_000 + REPEAT_WINDOW_MS), 'quit');
});

test('`timeout -s INT` and `timeout` (SIGTERM) at any moment leave no run RUNNING', async () => {
  const cwd = workspace({ 'sweep.yaml': LONG });
  for (const [signal, after, code] of [['INT', '0.3', 130], ['INT', '0.9', 130], ['INT', '2', 130], ['TERM', '1.5', 143], ['TERM', '3', 143]] as const) {
    const result = await start('timeout', ['--preserve-status', '-s', signal, after, process.execPath, CLI, 'sweep.yaml'], cwd).done;
    // Killed before node installed its handlers, the process dies of the signal itself (128 + n).
    assert.ok(result.code === code || result.code === 128 + (signal === 'INT' ? 2 : 15), `timeout -s ${signal} ${after}: exit ${result.code}\n${result.stderr}`);
    const running = storeRuns(cwd, 'signals').filter((r) => r.info.status === 'RUNNING');
    assert.deepEqual(running.map((r) => r.info.run_name), [], `timeout -s ${signal} ${after}`);
  }
});

test('under npm exec, a launcher that dies does not orphan the sweep: it stops as on SIGHUP', async () => {
  const cwd = workspace({ 'sweep.yaml': LONG });
  // A shell stands in for npm: it starts the command and waits. SIGKILL it as an impatient CI would.
  const launcher = start('sh', ['-c', `"${process.execPath}" "${CLI}" sweep.yaml > out.txt 2>&1 & echo $! > pid.txt; wait`], cwd, { npm_command: 'exec' });
  const { readFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  await until(() => existsSync(join(cwd, 'out.txt')) && /epoch 1\/100/.test(readFileSync(join(cwd, 'out.txt'), 'utf8')), 'epoch 1');
  const pid = Number(readFileSync(join(cwd, 'pid.txt'), 'utf8'));
  launcher.child.kill('SIGKILL');
  await launcher.done;
  await until(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, 'the orphan to stop', 20_000);
  assert.match(readFileSync(join(cwd, 'out.txt'), 'utf8'), /terminated \(SIGHUP\)/);
  assert.deepEqual(storeRuns(cwd, 'signals').map((r) => r.info.status).sort(), ['KILLED', 'KILLED', 'KILLED']);
  assert.equal(parentRuns(cwd, 'signals').length, 1);
});
