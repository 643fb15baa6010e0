// The one check before training: credentials refused or not MLflow → a 'tracking' error (exit 2)
// with one clear line and no password; unreachable → a problem the caller weighs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RunSweepError } from '../src/errors.js';
import { checkServer } from '../src/track/server-check.js';
import { openTracking } from '../src/track/tracking.js';
import { MirroredTracker } from '../src/track/mirror.js';
import { FakeMlflowServer, type FakeMode } from './support/fake-mlflow.js';
import { EXPERIMENT, runSweepScript } from './support/sweep-script.js';

const PASSWORD = 's3cretpw';

async function withServer(fn: (s: FakeMlflowServer) => Promise<void>): Promise<void> {
  const s = await new FakeMlflowServer().start();
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

const withCreds = (s: FakeMlflowServer): string => s.uri.replace('http://', `http://bob:${PASSWORD}@`);

function assertTrackingError(err: unknown, pattern: RegExp): void {
  assert.ok(err instanceof RunSweepError, `a RunSweepError, got ${String(err)}`);
  assert.equal(err.kind, 'tracking');
  assert.equal(err.exitCode, 2);
  assert.match(err.message, pattern);
  assert.doesNotMatch(err.message, /s3cretpw|\n/);
  assert.ok(!err.message.includes(Buffer.from(`bob:${PASSWORD}`).toString('base64')));
}

test('a healthy server: ok, whether or not the experiment exists yet, in one request', () => withServer(async (s) => {
  assert.equal(await checkServer(s.uri, { env: {} }), 'ok');
  assert.equal(await checkServer(s.uri, { env: {}, experimentName: 'not-yet' }), 'ok');
  assert.equal(s.requests.length, 2);
  assert.deepEqual(s.requests.map((r) => `${r.method} ${r.path}`), Array(2).fill('GET /api/2.0/mlflow/experiments/get-by-name'));
}));

test('401 and 403 (MLflow basic-auth\'s plain-text answers) throw the tracking error, without the password', () => withServer(async (s) => {
  s.setMode('unauthorized');
  assertTrackingError(await checkServer(withCreds(s), { env: {} }).catch((e: unknown) => e),
    /^the MLflow server at http:\/\/\*\*\*@127\.0\.0\.1:\d+ refused the credentials \(401 Unauthorized\); set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD/);
  assertTrackingError(await checkServer(s.uri, { env: {} }).catch((e: unknown) => e),
    /requires credentials \(401 Unauthorized\), and none were given/);
  assertTrackingError(await checkServer(s.uri, { env: { MLFLOW_TRACKING_TOKEN: `tok-${PASSWORD}` } }).catch((e: unknown) => e),
    /refused the credentials \(401 Unauthorized\)/);
  s.setMode('forbidden');
  assertTrackingError(await checkServer(withCreds(s), { env: {} }).catch((e: unknown) => e),
    /refused access \(403 Forbidden\): the account lacks permission/);
  assert.equal(s.requests.length, 4, 'one request each, no retry');
  // the credentials were sent as Basic auth, and nowhere else
  assert.equal(s.requests[0]!.authorization, `Basic ${Buffer.from(`bob:${PASSWORD}`).toString('base64')}`);
  assert.ok(s.requests.every((r) => !`${r.path}${r.query}`.includes(PASSWORD)));
}));

test('the right credentials pass: from the URI or from the environment', () => withServer(async (s) => {
  s.requiredAuth = `Basic ${Buffer.from(`bob:${PASSWORD}`).toString('base64')}`;
  assert.equal(await checkServer(withCreds(s), { env: {} }), 'ok');
  assert.equal(await checkServer(s.uri, { env: { MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: PASSWORD } }), 'ok');
  assertTrackingError(await checkServer(s.uri, { env: {} }).catch((e: unknown) => e), /requires credentials/);
}));

for (const mode of ['bad-gateway', 'internal-error', 'rate-limited'] satisfies FakeMode[]) {
  test(`${mode}: unreachable, in one request`, () => withServer(async (s) => {
    s.setMode(mode);
    const result = await checkServer(withCreds(s), { env: {} });
    assert.ok(typeof result === 'object', String(result));
    assert.match(result.unreachable, /^http:\/\/\*\*\*@127\.0\.0\.1:\d+ did not answer experiments\/get-by-name after 1 attempt\(s\): (502 Bad Gateway \(an HTML page: 502 Bad Gateway\)|500 Internal Server Error: .*INTERNAL_ERROR.*|429 Too Many Requests .*)$/);
    assert.doesNotMatch(result.unreachable, /s3cretpw|\n|<html/);
    assert.equal(s.requests.length, 1);
  }));
}

test('refused and hung servers: unreachable, within the timeout', async () => {
  const down = await new FakeMlflowServer().start();
  await down.stop();
  const refused = await checkServer(withCreds(down), { env: {} });
  assert.deepEqual(refused, { unreachable: `http://***@127.0.0.1:${down.port} did not answer experiments/get-by-name after 1 attempt(s): connection refused (ECONNREFUSED)` });

  await withServer(async (s) => {
    s.setMode('hang');
    const started = performance.now();
    const hung = await checkServer(s.uri, { env: {}, timeoutMs: 300 });
    assert.ok(performance.now() - started < 600);
    assert.deepEqual(hung, { unreachable: `${s.uri} did not answer experiments/get-by-name after 1 attempt(s): no answer within 300 ms` });
  });

  // a port that accepts and says nothing at all, closing the connection: not MLflow's answer either
  const sink = net.createServer((sock) => sock.destroy());
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  try {
    const port = (sink.address() as net.AddressInfo).port;
    const closed = await checkServer(`http://127.0.0.1:${port}`, { env: {} });
    assert.ok(typeof closed === 'object' && /did not answer/.test(closed.unreachable), JSON.stringify(closed));
  } finally {
    sink.close();
  }
});

test('an answer that is not MLflow\'s: an HTML page (200), a 405, a 404 page → the tracking error', () => withServer(async (s) => {
  s.setMode('html');
  assertTrackingError(await checkServer(s.uri, { env: {} }).catch((e: unknown) => e),
    /answered experiments\/get-by-name with an HTML page, not MLflow's JSON: is this the URI of an MLflow tracking server\?/);
  s.setMode('method-not-allowed');
  assertTrackingError(await checkServer(withCreds(s), { env: {} }).catch((e: unknown) => e),
    /^http:\/\/\*\*\*@127\.0\.0\.1:\d+ answered experiments\/get-by-name with 405 HTTP_405: is this the URI of an MLflow tracking server/);
  s.setMode(null);
  // the URI's path is wrong: MLflow's API is not under it
  assertTrackingError(await checkServer(`${s.uri}/mlflow/x`, { env: {} }).catch((e: unknown) => e), /with 404/);
}));

test('a bad % escape or a malformed URI: the tracking error, no password echoed', async () => {
  assertTrackingError(await checkServer('http://bob:s3cret%zzpw@127.0.0.1:1', { env: {} }).catch((e: unknown) => e),
    /^the user name or password in the tracking URI http:\/\/\*\*\*@127\.0\.0\.1:1 has a bad % escape/);
  assertTrackingError(await checkServer('http://bob:s3cretpw@exa mple', { env: {} }).catch((e: unknown) => e),
    /^the tracking URI is not a valid URL: http:\/\/\*\*\*@exa mple$/);
});

test('openTracking: 401 throws before anything is written; unreachable warns once and keeps everything local', async () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-preflight-'));
  const warnings: string[] = [];
  const onWarning = (w: string): void => void warnings.push(w);
  await withServer(async (s) => {
    s.setMode('unauthorized');
    assertTrackingError(await openTracking(withCreds(s), cwd, { env: {}, onWarning }).catch((e: unknown) => e), /refused the credentials/);
    assert.equal(fs.existsSync(path.join(cwd, 'runs')), false, 'nothing written');
  });

  const down = await new FakeMlflowServer().start();
  await down.stop();
  assertTrackingError(await openTracking(withCreds(down), cwd, { env: {}, onWarning, requireServer: true }).catch((e: unknown) => e),
    /connection refused \(ECONNREFUSED\); tracking\.require_server is true, so nothing was trained$/);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false);
  assert.deepEqual(warnings, []);

  const tracking = await openTracking(withCreds(down), cwd, { env: {}, onWarning });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /connection refused \(ECONNREFUSED\); training goes on and runs are recorded in .*runs only — upload them later with `run-sweep sync --to http:\/\/\*\*\*@127\.0\.0\.1:\d+`$/);
  assert.ok(tracking.tracker instanceof MirroredTracker);
  assert.equal(tracking.server, `http://***@127.0.0.1:${down.port}`);
  assert.ok(tracking.claim, 'claims come from the local store');
  await runSweepScript(tracking.tracker);
  const started = performance.now();
  const outcome = await tracking.finishUploads(60_000);
  assert.ok(performance.now() - started < 50, 'nothing to wait for: the server was given up on before training');
  assert.deepEqual(outcome.lines, [
    `0 run(s) on the server, 4 wait for \`run-sweep sync --to http://***@127.0.0.1:${down.port}\``,
    `tracking server problem: http://***@127.0.0.1:${down.port} did not answer experiments/get-by-name after 1 attempt(s): connection refused (ECONNREFUSED)`,
  ]);
  assert.deepEqual(outcome.rejected, []);
  assert.equal(outcome.problems.length, 1);
  assert.equal(warnings.length, 1, 'warned once');
  assert.ok(fs.existsSync(path.join(cwd, 'runs')));
  assert.ok(!JSON.stringify([warnings, outcome]).includes(PASSWORD));
  void EXPERIMENT;
});

test('openTracking against a healthy server: finishUploads says every run is on it; a rejection is a line and an exit-1 signal', () => withServer(async (s) => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-preflight-'));
  const warnings: string[] = [];
  const tracking = await openTracking(s.uri, cwd, { env: {}, onWarning: (w) => warnings.push(w), retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
  await runSweepScript(tracking.tracker);
  const ok = await tracking.finishUploads(5000);
  assert.deepEqual(ok, { rejected: [], problems: [], lines: [`4 run(s) on the server ${s.uri}`], report: ok.report });
  assert.equal(warnings.length, 0);

  s.rejectParam('vocab_size');
  const cwd2 = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-preflight-'));
  const again = await openTracking(s.uri, cwd2, { env: {}, onWarning: (w) => warnings.push(w) });
  await runSweepScript(again.tracker);
  const rejected = await again.finishUploads(5000);
  assert.equal(rejected.rejected.length, 3);
  assert.equal(warnings.length, 3);
  assert.match(warnings[0]!, /^the server rejected run 'cell=\w+ seed=0' .*INVALID_PARAMETER_VALUE.*; the sweep goes on, and will exit 1$/);
  assert.equal(rejected.lines[0], `1 run(s) on the server, 3 wait for \`run-sweep sync --to ${s.uri}\``);
  assert.equal(rejected.lines.filter((l) => l.startsWith('the server rejected run')).length, 3);
  assert.equal(rejected.problems.length, 3);
}));
