import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunSweepError } from '../src/errors.js';
import { RestTracker } from '../src/track/mlflow-rest.js';
import { MlflowApiError, MlflowUnavailableError, RequestAbortedError, RestClient, anySignal } from '../src/track/rest-client.js';
import { splitBatch } from '../src/track/mlflow-api.js';
import { FakeMlflowServer, canonFromFake } from './support/fake-mlflow.js';
import { EXPERIMENT, T0, canon, runSweepScript } from './support/sweep-script.js';

const FAST = { retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 2000, env: {} };

async function withServer(fn: (s: FakeMlflowServer) => Promise<void>): Promise<void> {
  const s = await new FakeMlflowServer().start();
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

test('a sweep through RestTracker lands on the server with the content the script logged', () => withServer(async (s) => {
  const t = new RestTracker(s.uri, FAST);
  const { expected, experimentId, trials } = await runSweepScript(t);
  assert.deepEqual(canon(canonFromFake(s, EXPERIMENT)), canon(expected));
  // every request passed the fake's method/path/body checks (a rejected one would have thrown)
  assert.deepEqual(new Set(s.requests.map((r) => `${r.method} ${r.path.replace(/\/artifacts\/.*/, '/artifacts/…')}`)), new Set([
    'GET /api/2.0/mlflow/experiments/get-by-name',
    'POST /api/2.0/mlflow/experiments/create',
    'POST /api/2.0/mlflow/runs/create',
    'POST /api/2.0/mlflow/runs/log-batch',
    'POST /api/2.0/mlflow/runs/set-tag',
    'POST /api/2.0/mlflow/runs/update',
    'PUT /api/2.0/mlflow-artifacts/artifacts/…',
  ]));
  const found = await t.finishedTrials(experimentId, ['t0abc', 't1abc', 't2abc']);
  assert.deepEqual([...found.keys()].sort(), ['t0abc', 't1abc']);
  assert.deepEqual(found.get('t0abc')!.run, trials[0]);
  assert.equal(found.get('t0abc')!.metrics.val_perplexity, 22 / 3 + 0.125);
  // non-finite values travel as proto3 JSON strings
  const nanBatch = s.requests.find((r) => JSON.stringify(r.body ?? '').includes('"NaN"'));
  assert.ok(nanBatch, 'NaN was sent as "NaN"');
}));

test('experiment creation: existing name reused; RESOURCE_ALREADY_EXISTS on a race resolves by name', () => withServer(async (s) => {
  const t = new RestTracker(s.uri, FAST);
  const id = await t.experiment('x');
  assert.equal(await t.experiment('x'), id);
  // a racer creates the experiment between our lookup and our create
  const api = t.api;
  const orig = api.getExperimentByName.bind(api);
  let calls = 0;
  api.getExperimentByName = async (name: string) => {
    if (calls++ === 0) {
      await fetch(`${s.uri}/api/2.0/mlflow/experiments/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      return null;
    }
    return orig(name);
  };
  const raced = await t.experiment('y');
  assert.equal(raced, s.experimentByName('y')!.experiment_id);
}));

test('503s are retried with backoff until the server answers', () => withServer(async (s) => {
  const t = new RestTracker(s.uri, FAST);
  const exp = await t.experiment('e');
  s.failNext(3);
  const ref = await t.createRun(exp, { runName: 'r', startTime: T0, tags: {}, params: { a: '1' } });
  assert.equal(s.runs.get(ref.runId)!.params.get('a'), '1');
  s.failNext(4);
  await assert.rejects(t.setTags(ref, { k: 'v' }), (err: unknown) =>
    err instanceof MlflowUnavailableError && err.attempts === 4 && /503/.test(err.message));
}));

test('a request applied but answered 503 is not logged twice on retry', () => withServer(async (s) => {
  const t = new RestTracker(s.uri, FAST);
  const exp = await t.experiment('e');
  const ref = await t.createRun(exp, { runName: 'r', startTime: T0, tags: {}, params: {} });
  s.applyThenFailNext(1);
  await t.logMetrics(ref, [{ key: 'm', value: 1, step: 1, timestamp: T0 }, { key: 'm', value: 2, step: 2, timestamp: T0 }]);
  assert.equal(s.runs.get(ref.runId)!.metrics.length, 2);
}));

test('a run created but answered 503 is found on retry, not created twice', () => withServer(async (s) => {
  const t = new RestTracker(s.uri, FAST);
  const exp = await t.experiment('e');
  s.applyThenFailNext(1);
  const ref = await t.createRun(exp, { runName: 'r', startTime: T0, tags: {}, params: {} });
  assert.equal([...s.runs.values()].filter((r) => r.info.experiment_id === exp).length, 1);
  assert.ok(s.runs.has(ref.runId));
}));

test('a slow answer times out and is retried', () => withServer(async (s) => {
  const t = new RestTracker(s.uri, { ...FAST, timeoutMs: 100 });
  s.slowNext(1, 400);
  assert.equal(typeof await t.experiment('slow'), 'string');
  assert.equal([...s.experiments.values()].filter((e) => e.name === 'slow').length, 1);
}));

test('4xx errors surface MLflow\'s error_code and message: a changed param, an unknown run', () => withServer(async (s) => {
  const t = new RestTracker(s.uri, FAST);
  const exp = await t.experiment('e');
  const ref = await t.createRun(exp, { runName: 'r', startTime: T0, tags: {}, params: { lr: '1.0' } });
  const before = s.requests.length;
  await assert.rejects(t.logParams(ref, { lr: '0.5' }), (err: unknown) =>
    err instanceof MlflowApiError && err.status === 400 && err.errorCode === 'INVALID_PARAMETER_VALUE' && /Changing param values/.test(err.message));
  assert.equal(s.requests.length, before + 1, '4xx is not retried');
  await assert.rejects(t.endRun({ experimentId: exp, runId: 'f'.repeat(32) }, 'FINISHED', T0), (err: unknown) =>
    err instanceof MlflowApiError && err.status === 404 && err.errorCode === 'RESOURCE_DOES_NOT_EXIST');
  // every client error is one of the error table's: a rejection exits 1, unavailable/auth exit 2
  const rejected = await t.logParams(ref, { lr: '0.25' }).catch((e: unknown) => e);
  assert.ok(rejected instanceof RunSweepError && rejected.kind === 'server-rejected' && rejected.exitCode === 1);
}));

test('the fake server rejects what MLflow rejects: unknown fields, wrong types, a metric without a value', () => withServer(async (s) => {
  const post = async (endpoint: string, body: unknown): Promise<{ status: number; body: { error_code?: string } }> => {
    const r = await fetch(`${s.uri}/api/2.0/mlflow/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, body: await r.json() as { error_code?: string } };
  };
  assert.deepEqual((await post('runs/create', { experiment_id: '0', runName: 'x' })).body.error_code, 'INVALID_PARAMETER_VALUE');
  assert.equal((await post('runs/create', { experiment_id: 0 })).status, 400);
  const run = await post('runs/create', { experiment_id: '0', start_time: T0 }) as unknown as { body: { run: { info: { run_id: string } } } };
  const runId = run.body.run.info.run_id;
  assert.equal((await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: null, timestamp: T0, step: 0 }] })).status, 400);
  assert.equal((await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: 1, timestamp: T0, step: 0.5 }] })).status, 400);
  assert.equal((await post('runs/update', { run_id: runId, status: 'DONE' })).status, 400);
  // a known endpoint with the wrong method: Flask's HTML 405, as MLflow's app answers
  const wrongMethod = await fetch(`${s.uri}/api/2.0/mlflow/runs/create`);
  assert.equal(wrongMethod.status, 405);
  assert.match(await wrongMethod.text(), /<title>405 Method Not Allowed<\/title>/);
  assert.equal((await fetch(`${s.uri}/api/2.0/mlflow/runs/nonesuch`, { method: 'POST' })).status, 404);
}));

test('batching: 2500 metrics go in 3 requests; 250 params in 3; a 1 MB body is split; nothing dropped', () => withServer(async (s) => {
  const t = new RestTracker(s.uri, FAST);
  const exp = await t.experiment('e');
  const ref = await t.createRun(exp, { runName: 'r', startTime: T0, tags: {}, params: {} });
  const before = s.requests.length;
  await t.logMetrics(ref, Array.from({ length: 2500 }, (_, i) => ({ key: `m${i % 7}`, value: i, step: i, timestamp: T0 + i })));
  assert.equal(s.requests.length - before, 3);
  assert.equal(s.runs.get(ref.runId)!.metrics.length, 2500);
  const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, 'v'.repeat(5000)]));
  const parts = splitBatch(ref.runId, { metrics: [], tags: [], params: Object.entries(params).map(([key, value]) => ({ key, value })) });
  assert.ok(parts.every((p) => Buffer.byteLength(JSON.stringify({ run_id: ref.runId, ...p })) <= 1_000_000));
  assert.ok(parts.every((p) => p.params.length <= 100));
  await t.logParams(ref, params);
  assert.equal(s.runs.get(ref.runId)!.params.size, 250);
  await assert.rejects(t.logParams(ref, { big: 'x'.repeat(6001) }), /limit is 6000/);
}));

test('auth: the Bearer token is sent, and never appears in an error', () => withServer(async (s) => {
  const token = 'sekret-token-123';
  s.requiredAuth = `Bearer ${token}`;
  const t = new RestTracker(s.uri, { ...FAST, env: { MLFLOW_TRACKING_TOKEN: token } });
  await t.experiment('auth');
  assert.ok(s.requests.every((r) => r.authorization === `Bearer ${token}`));
  const wrong = new RestTracker(s.uri, { ...FAST, env: { MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pa55word-xyz' } });
  const before = s.requests.length;
  const err = await wrong.experiment('auth').catch((e: unknown) => e as Error);
  // MLflow's basic-auth app answers 401 in plain text; it is not retried, and it is a 'tracking' error (exit 2)
  assert.ok(err instanceof MlflowApiError && err.status === 401 && err.isAuth && err.kind === 'tracking', String(err));
  assert.equal(s.requests.length, before + 1);
  assert.match(err.message, /You are not authenticated/);
  assert.match(err.message, /MLFLOW_TRACKING_USERNAME/);
  assert.equal(s.requests.at(-1)!.authorization, `Basic ${Buffer.from('ann:pa55word-xyz').toString('base64')}`);
  assert.ok(!err.message.includes('pa55word-xyz') && !err.message.includes(Buffer.from('ann:pa55word-xyz').toString('base64')));
}));

test('credentials in the URI become Basic auth, are sent to no URL, and the location shows them redacted', () => withServer(async (s) => {
  const uri = s.uri.replace('http://', 'http://bob:s%40cret-pw@');
  s.requiredAuth = `Basic ${Buffer.from('bob:s@cret-pw').toString('base64')}`;
  const t = new RestTracker(uri, { ...FAST });
  await t.experiment('creds');
  assert.equal(t.location, s.uri.replace('http://', 'http://***@'));
  assert.ok(s.requests.every((r) => !`${r.path}${r.query}`.includes('cret')));
}));

test('aborting the client signal stops a request and its retries at once', () => withServer(async (s) => {
  s.setMode('hang');
  const controller = new AbortController();
  const t = new RestTracker(s.uri, { retry: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 1000 }, timeoutMs: 60_000, env: {}, signal: controller.signal });
  const pending = t.experiment('e');
  setTimeout(() => controller.abort(), 50);
  const started = performance.now();
  await assert.rejects(pending, RequestAbortedError);
  assert.ok(performance.now() - started < 500, 'stopped without waiting for the timeout or a retry');

  // aborted while waiting to retry (a 429 whose Retry-After is 2 s)
  s.setMode('rate-limited', { retryAfterSeconds: 2 });
  const backingOff = new AbortController();
  const client = new RestClient(s.uri, { retry: { attempts: 5, baseDelayMs: 2000, maxDelayMs: 2000 }, timeoutMs: 5000, env: {}, signal: backingOff.signal });
  const retrying = client.get('experiments/get-by-name', { experiment_name: 'x' });
  const before = s.requests.length;
  await new Promise((r) => setTimeout(r, 100));
  const abortedAt = performance.now();
  backingOff.abort();
  await assert.rejects(retrying, RequestAbortedError);
  assert.ok(performance.now() - abortedAt < 100, 'the backoff was cut short');
  assert.ok(s.requests.length - before <= 1, 'no retry after the abort');
}));

test('429 is retried no sooner than its Retry-After; unavailable after the last try', () => withServer(async (s) => {
  s.setMode('rate-limited', { retryAfterSeconds: 1 });
  const client = new RestClient(s.uri, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5000 }, timeoutMs: 2000, env: {} });
  const started = performance.now();
  const err = await client.get('experiments/get-by-name', { experiment_name: 'x' }).catch((e: unknown) => e);
  assert.ok(err instanceof MlflowUnavailableError && /429/.test(err.message), String(err));
  assert.ok(performance.now() - started >= 950, 'waited for Retry-After');
  assert.equal(s.requests.length, 2);
}));

test('a proxy\'s HTML 502 reads as one line, not a page', () => withServer(async (s) => {
  s.setMode('bad-gateway');
  const client = new RestClient(s.uri, { retry: { attempts: 1 }, timeoutMs: 2000, env: {} });
  const err = await client.get('experiments/get-by-name', { experiment_name: 'x' }).catch((e: unknown) => e as Error);
  assert.ok(err instanceof MlflowUnavailableError);
  assert.match(err.message, /502 Bad Gateway \(an HTML page: 502 Bad Gateway\)/);
  assert.doesNotMatch(err.message, /<|\n/);
}));

test('the artifact proxy lists a run\'s files with their sizes, directory by directory', () => withServer(async (s) => {
  const t = new RestTracker(s.uri, FAST);
  const exp = await t.experiment('e');
  const ref = await t.createRun(exp, { runName: 'r', startTime: T0, tags: {}, params: {} });
  assert.deepEqual([...await t.api.listArtifactSizes(t.artifactUri(ref))], []);
  await t.logArtifact(ref, 'config.yaml', 'a: 1\n');
  await t.logArtifact(ref, 'model/weights.bin', new Uint8Array(10));
  await t.logArtifact(ref, 'model/deep/x.txt', 'xyz');
  assert.deepEqual(new Map([...await t.api.listArtifactSizes(t.artifactUri(ref))]), new Map([
    ['config.yaml', 5], ['model/deep/x.txt', 3], ['model/weights.bin', 10],
  ]));
  const listed = s.requests.filter((r) => r.path === '/api/2.0/mlflow-artifacts/artifacts').map((r) => new URLSearchParams(r.query).get('path'));
  assert.deepEqual(listed.slice(-3), [`${exp}/${ref.runId}/artifacts`, `${exp}/${ref.runId}/artifacts/model`, `${exp}/${ref.runId}/artifacts/model/deep`]);
}));

test('connection refused: bounded retries, then MlflowUnavailableError', async () => {
  const s = await new FakeMlflowServer().start();
  await s.stop();
  const t = new RestTracker(s.uri, FAST);
  await assert.rejects(t.experiment('e'), (err: unknown) => err instanceof MlflowUnavailableError && /ECONNREFUSED/.test(err.message));
});

test('a 4xx that is not JSON (a proxy\'s HTML 413, a 405) is rejected with the page\'s title as its message', () => withServer(async (s) => {
  s.setMode('method-not-allowed');
  const client = new RestClient(s.uri, { retry: { attempts: 3 }, timeoutMs: 2000, env: {} });
  const err = await client.post('runs/create', { experiment_id: '0' }).catch((e: unknown) => e);
  assert.ok(err instanceof MlflowApiError && err.kind === 'server-rejected', String(err));
  assert.equal(err.message, 'MLflow runs/create failed: 405 HTTP_405: 405 Method Not Allowed');
  assert.equal(s.requests.length, 1, 'a 4xx is not retried');
}));

test('anySignal works without AbortSignal.any (Node 20.0-20.2)', () => {
  const saved = AbortSignal.any;
  try {
    (AbortSignal as { any?: unknown }).any = undefined;
    const a = new AbortController();
    const b = new AbortController();
    const both = anySignal(a.signal, b.signal);
    assert.equal(both.aborted, false);
    b.abort('stop');
    assert.equal(both.aborted, true);
    assert.equal(both.reason, 'stop');
    assert.equal(anySignal(AbortSignal.abort('x'), a.signal).aborted, true);
  } finally {
    AbortSignal.any = saved;
  }
});
