// A tracking server, through the real command, as CI meets it: one that hangs mid-sweep never
// delays training, local recording or Ctrl-C; credentials refused stop the sweep before anything
// is trained (exit 2); a server that rejects data gives exit 1 with the reason at the end; a
// password in the URI reaches no file, no request body and no line of output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli, type CliResult } from './support/cli.js';
import { FakeMlflowServer } from './support/fake-mlflow.js';
import { storeRuns, trialRuns } from './support/store-runs.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';
import { workspace } from './support/workspace.js';

const SWEEP = `
name: tracked
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 4, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
sweep: {grid: {model.cell: [rnn, gru]}, workers: 2}
tracking: {upload_timeout: 2s}
`;

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

/** Runs the command; `onOutput` sees stdout+stderr as it grows and may act on the child. */
function runWatched(args: string[], cwd: string, env: NodeJS.ProcessEnv, onOutput: (text: string, kill: (s: NodeJS.Signals) => void) => void): Promise<CliResult & { killedAt: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '', ...env } });
    let stdout = '';
    let stderr = '';
    let killedAt: number | null = null;
    const kill = (s: NodeJS.Signals): void => {
      if (killedAt !== null) return; // once: a second signal a second later means "quit now"
      killedAt = Date.now();
      child.kill(s);
    };
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); onOutput(stdout + stderr, kill); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); onOutput(stdout + stderr, kill); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, killedAt }));
  });
}

test('a server that hangs mid-sweep: training and the local store finish, the wait is upload_timeout, and sync is named', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const cwd = workspace({ 'sweep.yaml': SWEEP });
    let hung = false;
    const started = Date.now();
    const result = await runWatched(['sweep.yaml', '--tracking-uri', server.uri], cwd, {}, (text) => {
      if (!hung && /\] started/.test(text)) {
        hung = true;
        server.setMode('hang');
      }
    });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(Date.now() - started < 25_000, 'no 5 tries × 30 s per call');
    const runs = trialRuns(cwd, 'tracked');
    assert.deepEqual(runs.map((r) => r.info.status), ['FINISHED', 'FINISHED'], 'the local store is complete when training ends');
    const reader = new MlflowFileStoreReader(join(cwd, 'runs'));
    for (const r of runs) {
      assert.equal(reader.getMetricHistory(r.info.run_id, 'train_perplexity').length, 4, 'every epoch');
      assert.ok(reader.listArtifacts(r.info.run_id).includes('model/weights.bin'), 'the weights');
    }
    assert.match(result.stdout, /wait for `run-sweep sync --to http:\/\/127\.0\.0\.1:\d+\/?`/);
  } finally {
    server.heal();
    await server.stop();
  }
});

test('Ctrl-C with a hung server exits within 2 s, the local store complete', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const cwd = workspace({ 'sweep.yaml': SWEEP.replace('epochs: 4', 'epochs: 200') });
    const result = await runWatched(['sweep.yaml', '--tracking-uri', server.uri], cwd, {}, (text, kill) => {
      if (/\] started/.test(text)) server.setMode('hang');
      if (/epoch 3\/200/.test(text)) kill('SIGINT');
    });
    const took = Date.now() - result.killedAt!;
    assert.equal(result.code, 130, result.stderr);
    assert.ok(took < 2000, `exited ${took} ms after Ctrl-C`);
    const runs = storeRuns(cwd, 'tracked');
    assert.equal(runs.length, 3);
    assert.deepEqual(runs.map((r) => r.info.status), ['KILLED', 'KILLED', 'KILLED']);
  } finally {
    server.heal();
    await server.stop();
  }
});

for (const [mode, status] of [['unauthorized', 401], ['forbidden', 403]] as const) {
  test(`credentials refused (${status}): exit 2 before training, one clear line, nothing written`, async () => {
    const server = await new FakeMlflowServer().start();
    try {
      server.setMode(mode);
      const cwd = workspace({ 'sweep.yaml': SWEEP });
      const result = await runCli(['sweep.yaml', '--tracking-uri', server.uri.replace('http://', 'http://bob:s3cretpw@')], cwd);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, new RegExp(`run-sweep: .*${status}`));
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.doesNotMatch(result.stdout + result.stderr, /s3cretpw|\] started/);
      assert.equal(existsSync(join(cwd, 'runs')), false);
    } finally {
      await server.stop();
    }
  });
}

test('an unreachable server with tracking.require_server: exit 2, nothing written', async () => {
  const server = await new FakeMlflowServer().start();
  await server.stop();
  const cwd = workspace({ 'sweep.yaml': SWEEP.replace('tracking: {', 'tracking: {require_server: true, ') });
  const result = await runCli(['sweep.yaml', '--tracking-uri', server.uri], cwd);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /require_server/);
  assert.equal(existsSync(join(cwd, 'runs')), false);
});

test('an unreachable server without require_server: a warning, training locally, exit 0, the sync command in the last lines', async () => {
  const server = await new FakeMlflowServer().start();
  await server.stop();
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const result = await runCli(['sweep.yaml', '--tracking-uri', server.uri], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /warning: .*run-sweep sync/);
  assert.match(result.stdout.trim().split('\n').slice(-3).join('\n'), /run-sweep sync --to/);
  assert.equal(trialRuns(cwd, 'tracked').filter((r) => r.info.status === 'FINISHED').length, 2);
});

test('a server that rejects data mid-sweep: the sweep trains on, exits 1, and the reason ends the output', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    server.rejectParam('vocab_size');
    const cwd = workspace({ 'sweep.yaml': SWEEP });
    const result = await runCli(['sweep.yaml', '--tracking-uri', server.uri], cwd);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(trialRuns(cwd, 'tracked').filter((r) => r.info.status === 'FINISHED').length, 2, 'the local store has it all');
    assert.match(result.stdout.trim().split('\n').slice(-4).join('\n'), /rejected/);
  } finally {
    await server.stop();
  }
});

test('a password in the tracking URI reaches no file, no request, no output, not even through sync', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const withPassword = server.uri.replace('http://', 'http://bob:s3cretpw@');
    const cwd = workspace({ 'sweep.yaml': SWEEP.replace('tracking: {', `tracking: {uri: "${withPassword}", `) });
    const result = await runCli(['sweep.yaml', '--json'], cwd);
    assert.equal(result.code, 0, result.stderr);
    const sync = await runCli(['sync', '--to', withPassword], cwd);
    assert.equal(sync.code, 0, sync.stderr);
    const outputs = [result.stdout, result.stderr, sync.stdout, sync.stderr].join('\n');
    assert.doesNotMatch(outputs, /s3cretpw/);
    for (const file of allFiles(join(cwd, 'runs'))) assert.doesNotMatch(readFileSync(file, 'latin1'), /s3cretpw/, file);
    assert.doesNotMatch(JSON.stringify(server.requests.map((r) => r.body)), /s3cretpw/, 'no param or tag sent holds it');
    const uriParams = [...server.runs.values()].map((r) => r.params.get('tracking.uri')).filter((v) => v !== undefined);
    assert.equal(uriParams.length, 3, 'the parent and both trials record tracking.uri');
    for (const v of uriParams) assert.equal(v, withPassword.replace('bob:s3cretpw', '***'), 'recorded redacted');
    assert.ok(server.requests.some((r) => r.authorization?.startsWith('Basic ')), 'the credentials went where they belong: the Authorization header');
  } finally {
    await server.stop();
  }
});
