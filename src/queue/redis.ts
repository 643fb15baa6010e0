// The queue's address and its Redis connection: `redis://[user:pass@]host:port[/db][?queue=name]`
// (rediss:// for TLS). The queue name defaults to `run-sweep`; several teams can share one Redis
// with different names or databases.
import { Redis, type RedisOptions } from 'ioredis';
import { RunSweepError } from '../errors.js';
import { redactUri } from '../track/secrets.js';

export const DEFAULT_QUEUE_NAME = 'run-sweep';

export interface QueueAddress {
  /** ioredis options, without retry settings */
  redis: RedisOptions;
  queueName: string;
  /** host:port/db, no credentials: for messages */
  display: string;
}

export function parseQueueUrl(url: string): QueueAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RunSweepError('usage', `--queue '${redactUri(url)}': expected redis://host:port[/db]`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new RunSweepError('usage', `--queue '${redactUri(url)}': expected redis://host:port[/db] or rediss://…`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new RunSweepError('usage', `--queue: the database '${db}' is not a number`);
  const queueName = u.searchParams.get('queue') ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(queueName)) throw new RunSweepError('usage', `--queue: queue name '${queueName}': letters, digits, '-' and '_'`);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = u.port === '' ? 6379 : Number(u.port);
  const redis: RedisOptions = {
    host,
    port,
    db: db === '' ? 0 : Number(db),
    ...(u.username ? { username: decodeOrThrow(u.username, url) } : {}),
    ...(u.password ? { password: decodeOrThrow(u.password, url) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return { redis, queueName, display: `${host}:${port}/${redis.db}` };
}

function decodeOrThrow(part: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new RunSweepError('usage', `--queue '${redactUri(url)}': the user name or password has a bad % escape (write a literal % as %25)`);
  }
}

/**
 * Connection options for long-lived clients (workers, the watcher): commands wait while Redis is
 * away (maxRetriesPerRequest: null, as BullMQ requires) and the client reconnects for ever, backing
 * off to 5 s; `onDown` / `onUp` say so once per outage.
 */
export function connectionOptions(address: QueueAddress, watch?: OutageWatch): RedisOptions {
  return {
    ...address.redis,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => {
      watch?.down(`connection lost (attempt ${times})`);
      return Math.min(200 * 2 ** Math.min(times, 5), 5000);
    },
  };
}

/** Says "Redis is gone, waiting" once per outage and "reconnected" when it is back. */
export class OutageWatch {
  private downSince: number | null = null;
  constructor(
    private readonly display: string,
    private readonly say: (line: string) => void,
  ) {}

  down(why: string): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.say(`run-sweep: lost Redis at ${this.display} (${why.replace(/\s*\(attempt \d+\)/, '')}); waiting for it and reconnecting — nothing is lost, trials in training go on`);
  }

  up(): void {
    if (this.downSince === null) return;
    const s = ((Date.now() - this.downSince) / 1000).toFixed(1);
    this.downSince = null;
    this.say(`run-sweep: reconnected to Redis at ${this.display} after ${s} s`);
  }

  get isDown(): boolean {
    return this.downSince !== null;
  }
}

/** A client of our own (status polling, cancel flags), reporting outages through `watch`. */
export function openClient(address: QueueAddress, watch: OutageWatch): Redis {
  const client = new Redis(connectionOptions(address, watch));
  client.on('error', (err: Error) => watch.down(shortError(err)));
  client.on('ready', () => watch.up());
  return client;
}

/** A client for one-off commands (submit's checks, status, cancel): fails fast when Redis is not there. */
export async function connectOnce(address: QueueAddress): Promise<Redis> {
  const client = new Redis({ ...address.redis, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new RunSweepError('tracking', `cannot reach Redis at ${address.display}: ${shortError(err as Error)}`);
  }
  return client;
}

export function shortError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

/**
 * BullMQ needs Redis to keep every key: with an eviction policy other than noeviction, Redis may
 * drop a job or its lock under memory pressure, and a trial is lost or trained twice.
 */
export async function evictionWarning(client: Redis): Promise<string | null> {
  try {
    const info = await client.info('memory');
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    if (policy === undefined || policy === 'noeviction') return null;
    return `Redis's maxmemory-policy is '${policy}', not 'noeviction': under memory pressure Redis may drop jobs or their locks, so trials could be lost or trained twice. Set \`maxmemory-policy noeviction\` in redis.conf (or CONFIG SET maxmemory-policy noeviction)`;
  } catch {
    return null; // INFO refused (a managed Redis): nothing to say
  }
}
