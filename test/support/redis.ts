// A real redis-server for a test: started on 127.0.0.1 with a random free port, no persistence
// unless a restart needs it, stopped after. Missing locally: the test is skipped with a message;
// with CI=true it fails (CI installs redis-server with apt-get).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** Why queue tests cannot run here, or null when they can. Throws under CI=true: CI must run them. */
export function redisMissing(): string | null {
  const found = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (found.error === undefined && found.status === 0) return null;
  const why = `redis-server not found (${REDIS_SERVER}): install it (apt-get install redis-server) to run the queue tests`;
  if (process.env.CI === 'true') throw new Error(`${why}; CI=true, so this is a failure, not a skip`);
  return why;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'redis-'));
  constructor(
    readonly port: number,
    private readonly extra: string[] = [],
  ) {}

  /** `extra`: more redis-server arguments, e.g. ['--maxmemory-policy', 'allkeys-lru'] */
  static async start(extra: string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extra);
    await server.up();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server (again, on the same port; it loads the dump a `stop(true)` saved). */
  async up(): Promise<void> {
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        log += d.toString();
        if (log.includes('Ready to accept connections')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${log.slice(-500)}`)));
    });
  }

  /** Stops it; with `save`, Redis writes its data first (as a restart for maintenance does). */
  async stop(save = false): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const saved = save && spawnSync('redis-cli', ['-p', String(this.port), 'shutdown', 'save']).status === 0;
    if (!saved) child.kill('SIGKILL');
    await exited;
    this.child = null;
  }
}
