// The queue's parts that need no workers: queue addresses, timings and their option, job ids,
// events through JSON, and the eviction-policy warning (against a real redis-server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQueueUrl } from '../src/queue/redis.js';
import { connectOnce, evictionWarning } from '../src/queue/redis.js';
import { queueTimings, LOCK_ENV, DEFAULT_LOCK_MS } from '../src/queue/timings.js';
import { decodeEvent, encodeEvent, jobId, parseFailure } from '../src/queue/jobs.js';
import { RunSweepError } from '../src/errors.js';
import { redisMissing, RedisServer } from './support/redis.js';

test('queue URLs: host, port, database, queue name, credentials kept out of the display', () => {
  const a = parseQueueUrl('redis://user:s3cret@cache.local:6380/2?queue=team_a');
  assert.deepEqual([a.redis.host, a.redis.port, a.redis.db, a.redis.username, a.redis.password, a.queueName], ['cache.local', 6380, 2, 'user', 's3cret', 'team_a']);
  assert.equal(a.display, 'cache.local:6380/2');
  const b = parseQueueUrl('redis://127.0.0.1');
  assert.deepEqual([b.redis.port, b.redis.db, b.queueName], [6379, 0, 'run-sweep']);
  assert.ok(parseQueueUrl('rediss://h:1').redis.tls);
  for (const bad of ['http://h:6379', 'redis://h/x', 'not a url', 'redis://h?queue=a:b']) {
    assert.throws(() => parseQueueUrl(bad), (e: unknown) => e instanceof RunSweepError && e.exitCode === 2 && !String((e as Error).message).includes('s3cret'), bad);
  }
});

test('timings: long-trial defaults; --lock-ms, else RUN_SWEEP_QUEUE_LOCK_MS, sets the lock and the stalled check; below 1 s refused', () => {
  const d = queueTimings(null, {});
  assert.deepEqual(d, { lockDuration: DEFAULT_LOCK_MS, stalledInterval: DEFAULT_LOCK_MS, maxStalledCount: 3, backoffMs: 30_000 });
  assert.equal(queueTimings(null, { [LOCK_ENV]: '2000' }).lockDuration, 2000);
  assert.equal(queueTimings(null, { [LOCK_ENV]: '2000' }).stalledInterval, 2000);
  assert.equal(queueTimings(5000, { [LOCK_ENV]: '2000' }).lockDuration, 5000, 'the option wins');
  assert.throws(() => queueTimings(null, { [LOCK_ENV]: 'soon' }), /RUN_SWEEP_QUEUE_LOCK_MS='soon'/);
  assert.throws(() => queueTimings(500, {}), /at least 1000 ms/);
});

test('job ids: one per trial and experiment, no ":" (BullMQ refuses it), the same every time', () => {
  assert.equal(jobId('my sweep: v2', 'abc123'), jobId('my sweep: v2', 'abc123'));
  assert.notEqual(jobId('a', 'abc123'), jobId('b', 'abc123'));
  assert.ok(!jobId('my sweep: v2', 'abc123').includes(':'));
  assert.ok(jobId('x', 'abc123').endsWith('-abc123'));
});

test('events survive JSON with their NaN figures; failure reasons round-trip', () => {
  const event = { type: 'trial-end', time: 1, trial: { id: 't', label: 'l', varying: {}, epochs: 1 }, status: 'failed', reason: 'diverged', attempt: 1, willRetry: false, figures: { trainPerplexity: NaN, valPerplexity: Infinity, tokensPerSecond: 3 }, wallSeconds: 1, epochsDone: 0 } as const;
  const back = decodeEvent(JSON.parse(JSON.stringify(encodeEvent(event))));
  assert.ok(back?.type === 'trial-end');
  assert.ok(Number.isNaN(back.figures.trainPerplexity));
  assert.equal(back.figures.valPerplexity, Infinity);
  assert.equal(back.figures.tokensPerSecond, 3);
  assert.equal(decodeEvent(42), null);
  assert.deepEqual(parseFailure('diverged: the loss is NaN'), { reason: 'diverged', message: 'the loss is NaN' });
  assert.deepEqual(parseFailure('job stalled more than allowable limit'), { reason: 'error', message: 'job stalled more than allowable limit' });
});

const missing = redisMissing();
test("a warning when Redis's maxmemory-policy is not noeviction, none when it is", { skip: missing ?? false }, async () => {
  for (const [policy, warns] of [['allkeys-lru', true], ['noeviction', false]] as const) {
    const redis = await RedisServer.start(['--maxmemory-policy', policy]);
    const client = await connectOnce(parseQueueUrl(redis.url));
    try {
      const warning = await evictionWarning(client);
      if (warns) assert.match(warning ?? '', /maxmemory-policy is 'allkeys-lru', not 'noeviction'/);
      else assert.equal(warning, null);
    } finally {
      client.disconnect();
      await redis.stop();
    }
  }
});

test('Redis not there: one line and exit 2, at once', async () => {
  const started = Date.now();
  await assert.rejects(connectOnce(parseQueueUrl('redis://127.0.0.1:1')), (e: unknown) => e instanceof RunSweepError && e.exitCode === 2 && /cannot reach Redis at 127\.0\.0\.1:1\/0/.test((e as Error).message));
  assert.ok(Date.now() - started < 6000);
});
