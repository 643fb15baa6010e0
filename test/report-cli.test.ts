// `run-sweep report` as a command : where it
// reads from (--tracking-uri, the file's tracking.uri, $MLFLOW_TRACKING_URI, ./runs), which
// experiment, and its errors: one line, exit 2, credentials never printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportCommand } from '../src/commands/report.js';
import { FileStoreTracker } from '../src/track/file-store.js';
import { FakeMlflowServer } from './support/fake-mlflow.js';
import { runCli } from './support/cli.js';
import { writeStore } from './support/report-store.js';
import { workspace } from './support/workspace.js';

const finished = (n: number, cell = 'rnn') =>
  Array.from({ length: n }, (_x, seed) => ({ cell, seed, val: [5 + seed, 4 + seed] }));

test('the store: --tracking-uri, then the file\'s tracking.uri, then $MLFLOW_TRACKING_URI, then ./runs', async () => {
  const cwd = workspace({
    'plain.yaml': 'name: exp\n',
    'pinned.yaml': 'name: exp\ntracking: {uri: pinned}\n',
    'renamed.yaml': 'name: other\ntracking: {experiment: exp, uri: pinned}\n',
  });
  await writeStore(join(cwd, 'runs'), 'exp', finished(1));
  await writeStore(join(cwd, 'pinned'), 'exp', finished(2));
  await writeStore(join(cwd, 'envstore'), 'exp', finished(3));
  const trials = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> => {
    const r = await runCli(['report', ...args, '--out', 'r.html'], cwd, env);
    assert.equal(r.code, 0, r.stderr);
    return /(\d+) finished trial\(s\)/.exec(r.stdout)![1]!;
  };
  assert.equal(await trials(['plain.yaml']), '1');
  assert.equal(await trials(['plain.yaml'], { MLFLOW_TRACKING_URI: 'envstore' }), '3');
  assert.equal(await trials(['pinned.yaml'], { MLFLOW_TRACKING_URI: 'envstore' }), '2');
  assert.equal(await trials(['pinned.yaml', '--tracking-uri', 'runs'], { MLFLOW_TRACKING_URI: 'envstore' }), '1');
  assert.equal(await trials(['renamed.yaml']), '2', 'tracking.experiment names the experiment');
  assert.equal(await trials(['--experiment', 'exp', '--tracking-uri', `file://${join(cwd, 'envstore')}`]), '3');
  assert.ok(existsSync(join(cwd, 'r.html')));
});

test('errors are one line and exit 2: no such experiment, an empty one, no store, a store that is a file', async () => {
  const cwd = workspace({ 'exp.yaml': 'name: missing\n', 'bad.yaml': 'name: x\nmodel: {cell: transformer}\n' });
  await writeStore(join(cwd, 'runs'), 'exp', finished(1));
  await new FileStoreTracker(join(cwd, 'runs'), cwd).experiment('empty');
  writeFileSync(join(cwd, 'afile'), 'not a store');
  const cases: Array<[string[], RegExp]> = [
    [['exp.yaml'], /^run-sweep: no experiment named 'missing' in the store \/.*\/runs$/],
    [['--experiment', 'empty'], /^run-sweep: experiment 'empty' in the store \/.*\/runs has no trial runs to report$/],
    [['--experiment', 'exp', '--tracking-uri', 'nowhere'], /^run-sweep: no MLflow store at \/.*\/nowhere: the directory does not exist$/],
    [['--experiment', 'exp', '--tracking-uri', 'afile'], /^run-sweep: cannot read the store \/.*\/afile: it is a file, not a directory$/],
    [['--experiment', 'exp', '--tracking-uri', 's3://bucket/runs'], /^run-sweep: tracking URI 's3:\/\/bucket\/runs': run-sweep reads a directory/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['report', ...args, '--out', 'r.html'], cwd);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), message);
    assert.ok(!existsSync(join(cwd, 'r.html')), 'no report is written');
  }
  const bad = await runCli(['report', 'bad.yaml', '--out', 'r.html'], cwd);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /bad\.yaml:2:\d+: model\.cell/);
});

test('a server: no such experiment, and a server that is down, without printing the password', async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const cwd = workspace({});
    const uri = server.uri.replace('http://', 'http://bob:s3cret-pw@');
    const none = await runCli(['report', '--experiment', 'nope', '--tracking-uri', uri, '--out', 'r.html'], cwd);
    assert.equal(none.code, 2, none.stderr);
    assert.equal(none.stderr.trim(), `run-sweep: no experiment named 'nope' in the server http://***@127.0.0.1:${server.port}`);
    // the message itself holds no password (not only once the console has redacted it)
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), cwd, env: {} };
    await assert.rejects(reportCommand({ experiment: 'nope', trackingUri: uri, out: 'r.html' }, io), (err: Error) => {
      assert.equal(err.message, `no experiment named 'nope' in the server http://***@127.0.0.1:${server.port}`);
      return true;
    });
    assert.equal(server.requests.at(-1)!.authorization, `Basic ${Buffer.from('bob:s3cret-pw').toString('base64')}`);
  } finally {
    await server.stop();
  }
  const down = await runCli(['report', '--experiment', 'exp', '--out', 'r.html'], workspace({}),
    { MLFLOW_TRACKING_URI: `http://bob:s3cret-pw@127.0.0.1:${server.port}` });
  assert.equal(down.code, 2, down.stderr);
  assert.equal(down.stderr.trim().split('\n').length, 1, down.stderr);
  assert.match(down.stderr, /^run-sweep: http:\/\/\*\*\*@127\.0\.0\.1:\d+ did not answer experiments\/get-by-name after 3 attempt\(s\): connection refused/);
  assert.doesNotMatch(down.stderr + down.stdout, /s3cret/);
});
