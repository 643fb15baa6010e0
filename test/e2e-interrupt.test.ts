// Nothing measured is lost: a sweep killed outright, or stopped with Ctrl-C, leaves a store MLflow
// can read, and the same command then finishes only what is unfinished.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { workspace } from './support/workspace.js';
import { CLI, runCli, type CliResult } from './support/cli.js';
import { MlflowFileStoreReader, type Run } from './support/mlflow-reader.js';

const SWEEP = `
name: interrupt
data: {max_tokens: 6000}
model: {hidden_size: 16}
train: {epochs: 3, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
sweep: {grid: {model.cell: [rnn, gru, lstm]}, seeds: [0, 1], workers: 1}
`;


function trialRuns(cwd: string): Run[] {
  const reader = new MlflowFileStoreReader(join(cwd, 'runs'));
  const experiment = reader.getExperimentByName('interrupt');
  assert.ok(experiment);
  return reader.searchRuns([experiment.experiment_id]).filter((r) => r.data.tags['run_sweep.trial_id']);
}

/** Starts the sweep and sends `signal` once stdout has matched `when`. */
function interruptWhen(cwd: string, when: RegExp, signal: NodeJS.Signals): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'sweep.yaml'], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && when.test(stdout)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ code, signal: sig, stdout, stderr }));
  });
}

test('SIGKILL mid-sweep: the store stays readable, and the rerun finishes only the unfinished trials', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  // Killed once a later trial has reported its second epoch: its first has long been written.
  const killed = await interruptWhen(cwd, /finished in [\d.]+s[^\n]*\n[\s\S]*epoch 2\/3/, 'SIGKILL');
  assert.equal(killed.signal, 'SIGKILL');

  const before = trialRuns(cwd); // the reader throws if any file is malformed
  const finished = new Set(before.filter((r) => r.info.status === 'FINISHED').map((r) => r.data.tags['run_sweep.trial_id']));
  const running = before.filter((r) => r.info.status === 'RUNNING');
  assert.ok(finished.size >= 1 && finished.size < 6, `finished before the kill: ${finished.size}`);
  assert.equal(running.length, 1, 'the trial in training when killed is left RUNNING');
  assert.ok(Number.isFinite(running[0].data.metrics.train_perplexity), 'its epochs so far were recorded');

  const resumed = await runCli(['sweep.yaml'], cwd);
  assert.equal(resumed.code, 0, resumed.stderr);
  // the trial in training and the sweep's parent run
  assert.match(resumed.stdout, /marked 2 run\(s\) left RUNNING by an interrupted sweep as KILLED/);
  assert.equal(resumed.stdout.match(/reused: a finished run exists/g)?.length, finished.size);
  assert.equal(resumed.stdout.match(/\] started$/gm)?.length, 6 - finished.size);

  const after = trialRuns(cwd);
  assert.equal(after.filter((r) => r.info.status === 'RUNNING').length, 0);
  assert.equal(after.filter((r) => r.info.status === 'KILLED').length, 1);
  const done = new Set(after.filter((r) => r.info.status === 'FINISHED').map((r) => r.data.tags['run_sweep.trial_id']));
  assert.equal(done.size, 6, 'every trial has a finished run');
  assert.equal(after.filter((r) => r.info.status === 'FINISHED').length, 6, 'and none was trained twice');
});

test('Ctrl-C stops the workers, marks their runs KILLED and exits 130', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const stopped = await interruptWhen(cwd, /epoch 1\/3/, 'SIGINT');
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, /interrupted: stopping the workers/);
  assert.match(stopped.stderr, /run the same command again to finish the remaining trials/);

  const runs = trialRuns(cwd);
  assert.equal(runs.length, 1, 'trials not yet started got no run');
  assert.equal(runs[0].info.status, 'KILLED');
  assert.ok(runs[0].info.end_time !== null);
  const reader = new MlflowFileStoreReader(join(cwd, 'runs'));
  const parent = reader.searchRuns([runs[0].info.experiment_id]).find((r) => r.data.tags['run_sweep.role'] === 'sweep');
  assert.equal(parent?.info.status, 'KILLED');
});
