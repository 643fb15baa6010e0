// Credentials in a tracking URI are used for auth and appear nowhere else: not in the local store,
// not in any error, warning, location, report or sync line, not in any request but its auth header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redactText, redactUri, splitCredentials } from '../src/track/secrets.js';
import { redactUserinfo } from '../src/config/redact.js';
import { openTracking } from '../src/track/tracking.js';
import { openTracker } from '../src/track/open.js';
import { checkServer } from '../src/track/server-check.js';
import { syncStore } from '../src/track/sync.js';
import { MirroredTracker } from '../src/track/mirror.js';
import { FakeMlflowServer } from './support/fake-mlflow.js';
import { runSweepScript } from './support/sweep-script.js';

const SECRET = 's3cretpw';
const BASIC = Buffer.from(`bob:${SECRET}`).toString('base64');
const FAST = { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, timeoutMs: 2000 };

test('redactUri: userinfo and token-like query values become ***; anything else is left as it is', () => {
  assert.equal(redactUri('http://bob:pw@host:5000/'), 'http://***@host:5000/');
  assert.equal(redactUri('http://bob:pw@host:5000'), 'http://***@host:5000');
  assert.equal(redactUri('https://TOKEN123@host/mlflow'), 'https://***@host/mlflow');
  assert.equal(redactUri('http://bob:p%40ss@host'), 'http://***@host');
  assert.equal(redactUri('http://bob:p@ss@host/x'), 'http://***@host/x', 'a raw @ in the password');
  assert.equal(redactUri('http://bob:pa/ss@host'), 'http://***@host', 'a raw / in the password: not a URL, still redacted');
  assert.equal(redactUri('http://bob:s3cret%zz@host'), 'http://***@host');
  assert.equal(redactUri('https://host/api?token=abc&x=1&api_key=k#frag'), 'https://host/api?token=***&x=1&api_key=***#frag');
  assert.equal(redactUri('https://host/a@b'), 'https://host/a@b', 'an @ in the path is not userinfo');
  assert.equal(redactUri('http://host:5000'), 'http://host:5000');
  assert.equal(redactUri('./runs'), './runs');
  assert.equal(redactUri('file:///tmp/runs'), 'file:///tmp/runs');
});

test('splitCredentials: the URI without userinfo, and the decoded user and password; bad escapes are tracking errors', () => {
  assert.deepEqual(splitCredentials('http://bob:p%40ss@host:5000/x'), { uri: 'http://host:5000/x', username: 'bob', password: 'p@ss' });
  assert.deepEqual(splitCredentials('http://host:5000'), { uri: 'http://host:5000/' });
  assert.deepEqual(splitCredentials('http://tok@host'), { uri: 'http://host/', username: 'tok' });
  for (const bad of [`http://bob:${SECRET}%zz@host`, `http://bob%g0:${SECRET}@host`, `http://bob:${SECRET}@exa mple`]) {
    assert.throws(() => splitCredentials(bad), (err: Error & { kind?: string }) =>
      err.kind === 'tracking' && !err.message.includes(SECRET) && err.message.includes('http://***@'), bad);
  }
});

test('redactText: known secrets (raw and percent-encoded) and any URI userinfo leave free text', () => {
  const text = `GET http://bob:${SECRET}@h/x failed; password=${SECRET}; encoded ${encodeURIComponent('p@ss w0rd')}; auth ${BASIC}`;
  const out = redactText(text, [SECRET, 'p@ss w0rd', BASIC]);
  assert.equal(out, 'GET http://***@h/x failed; password=***; encoded ***; auth ***');
  assert.equal(redactText('short pw stays: pw', ['pw']), 'short pw stays: pw', 'too short to replace in free text');
  assert.equal(redactText('see https://u:pw@h and ftp://x@y/z', []), 'see https://***@h and ftp://***@y/z');
  // The same rule as config errors use: a quote in the password does not end the userinfo.
  assert.equal(redactText(`GET http://bob:p"w'd@h/x failed`, []), 'GET http://***@h/x failed');
  assert.equal(redactText(`GET http://bob:p"w'd@h/x failed`, []), redactUserinfo(`GET http://bob:p"w'd@h/x failed`));
});

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

test('a URI http://bob:s3cretpw@...: no s3cretpw in the local store, any message, report, sync line, or request', async () => {
  const texts: string[] = [];
  const collect = (x: unknown): void => void texts.push(x instanceof Error ? `${x.name}: ${x.message}\n${x.stack ?? ''}` : typeof x === 'string' ? x : JSON.stringify(x));
  const s = await new FakeMlflowServer().start();
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-secrets-'));
  try {
    s.requiredAuth = `Basic ${BASIC}`;
    const uri = s.uri.replace('http://', `http://bob:${SECRET}@`);
    const onWarning = (w: string): void => collect(w);

    // 1. a sweep that reaches the server, with a run the server rejects with a message echoing the URI
    s.rejectParam('vocab_size', `Invalid value for param 'vocab_size' (request from ${uri}, password ${SECRET})`);
    const tracking = await openTracking(uri, cwd, { env: {}, onWarning, ...FAST });
    collect(tracking.tracker.location);
    collect(tracking.server);
    await runSweepScript(tracking.tracker);
    const outcome = await tracking.finishUploads(5000);
    collect(outcome);
    assert.equal(outcome.rejected.length, 3, 'the rejections happened (and were redacted)');

    // 2. the server starts refusing the credentials mid-sweep, then goes down
    s.heal();
    const second = await openTracking(uri, path.join(cwd, 'b'), { env: {}, onWarning, ...FAST });
    const exp = await second.tracker.experiment('other');
    await (second.tracker as MirroredTracker).drain(5000);
    s.setMode('unauthorized');
    await second.tracker.createRun(exp, { runName: 'r', startTime: 1, tags: {}, params: {} });
    collect(await second.finishUploads(5000));
    s.setMode('bad-gateway');
    collect(await checkServer(uri, { env: {} }));
    s.setMode('unauthorized');
    collect(await checkServer(uri, { env: {} }).catch((e: unknown) => e));
    collect(await openTracking(uri, path.join(cwd, 'c'), { env: {}, onWarning }).catch((e: unknown) => e));
    s.setMode('html');
    collect(await checkServer(uri, { env: {} }).catch((e: unknown) => e));
    s.heal();

    // 3. sync: lines, result, and its errors
    s.requiredAuth = `Basic ${BASIC}`;
    collect(await syncStore(path.join(cwd, 'runs'), uri, { ...FAST, env: {}, onRun: collect }));
    s.setMode('unauthorized');
    collect(await syncStore(path.join(cwd, 'runs'), uri, { ...FAST, env: {} }).catch((e: unknown) => e));
    s.setMode('hang');
    collect(await syncStore(path.join(cwd, 'runs'), uri, { env: {}, retry: { attempts: 1 }, timeoutMs: 100 }).catch((e: unknown) => e));
    s.heal();

    // 4. URIs that cannot be used
    for (const bad of [`http://bob:${SECRET}%zz@127.0.0.1:1`, `http://bob:${SECRET}@exa mple`, `databricks://bob:${SECRET}@ws`, `ftp://bob:${SECRET}@h/runs`]) {
      collect(await openTracking(bad, cwd, { env: {}, onWarning }).catch((e: unknown) => e));
      try {
        openTracker(bad, cwd, { env: {} });
      } catch (err) {
        collect(err);
      }
    }
    const down = await new FakeMlflowServer().start();
    await down.stop();
    const offline = await openTracking(down.uri.replace('http://', `http://bob:${SECRET}@`), path.join(cwd, 'd'), { env: {}, onWarning });
    await runSweepScript(offline.tracker);
    collect(await offline.finishUploads(1000));

    assert.ok(texts.length > 20, `${texts.length} texts collected`);
    assert.ok(texts.some((t) => t.includes('***@127.0.0.1')), 'the URI shows up, redacted');
    for (const t of texts) {
      assert.ok(!t.includes(SECRET), `leaked in: ${t}`);
      assert.ok(!t.includes(BASIC), `auth header leaked in: ${t}`);
    }
    const files = filesUnder(cwd);
    assert.ok(files.length > 50, `${files.length} files in the local stores`);
    for (const f of files) {
      const content = fs.readFileSync(f);
      assert.ok(!content.includes(SECRET) && !content.includes(BASIC), `leaked in ${f}`);
    }
    for (const r of s.requests) {
      assert.ok(!`${r.path}${r.query}${JSON.stringify(r.body ?? '')}`.includes(SECRET), `sent in ${r.method} ${r.path}`);
    }
    assert.ok(s.requests.some((r) => r.authorization === `Basic ${BASIC}`), 'the credentials were used, as Basic auth');
  } finally {
    await s.stop();
  }
});
