// A sweep against an MLflow server (the in-test fake that checks every request against MLflow's
// REST API): the same content as the local store; and with the server down, nothing is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { workspace } from './support/workspace.js';
import { runCli } from './support/cli.js';
import { canonFromFake, FakeMlflowServer } from './support/fake-mlflow.js';
import { canonFromFileStore } from './support/read-store.js';
import { canon } from './support/sweep-script.js';

const SWEEP = `
name: served
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 2, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
sweep: {grid: {model.cell: [rnn, gru]}, workers: 2}
`;


test('with MLFLOW_TRACKING_URI set, the server gets what the local store gets', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const cwd = workspace({ 'sweep.yaml': SWEEP });
    const result = await runCli(['sweep.yaml'], cwd, { MLFLOW_TRACKING_URI: server.uri });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /warning/);
    const local = canon(canonFromFileStore(join(cwd, 'runs'), 'served'));
    assert.equal(local.length, 3);
    assert.deepEqual(canon(canonFromFake(server, 'served')), local);
  } finally {
    await server.stop();
  }
});

test('server down for the whole sweep: it completes locally, warns once, and sync uploads it exactly once', async () => {
  const server = await new FakeMlflowServer().start();
  const port = server.port;
  await server.stop(); // connection refused from here on
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const result = await runCli(['sweep.yaml'], cwd, { MLFLOW_TRACKING_URI: server.uri });
  assert.equal(result.code, 0, result.stderr);
  // the check before training finds it down: one warning, then everything goes to the local store
  assert.equal(result.stderr.match(/^warning: /gm)?.length, 1, result.stderr);
  assert.match(result.stderr, /^warning: .*connection refused \(ECONNREFUSED\); training goes on .* `run-sweep sync --to http:\/\/127\.0\.0\.1:\d+`$/m);
  assert.match(result.stdout, /^0 run\(s\) on the server, 3 wait for `run-sweep sync --to http:\/\/127\.0\.0\.1:\d+`$/m);
  const local = canon(canonFromFileStore(join(cwd, 'runs'), 'served'));
  assert.equal(local.filter((r) => r.status === 'FINISHED').length, 3);

  const revived = await new FakeMlflowServer().start(port);
  try {
    const first = await runCli(['sync', '--to', revived.uri], cwd);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /3 run\(s\) uploaded, 0 updated, 0 unchanged/);
    assert.deepEqual(canon(canonFromFake(revived, 'served')), local);

    const again = await runCli(['sync'], cwd, { MLFLOW_TRACKING_URI: revived.uri });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 run\(s\) uploaded, 0 updated, 3 unchanged/);
    assert.equal(revived.runs.size, 3, 'the second sync duplicated nothing');
  } finally {
    await revived.stop();
  }
});

test('sync with no server named is a usage error', async () => {
  const result = await runCli(['sync'], workspace({ 'sweep.yaml': SWEEP }));
  assert.equal(result.code, 2);
  assert.match(result.stderr, /sync needs an http\(s\):\/\/ MLflow server/);
});
