// The queue commands as separate processes, through the real command's argv parsing and dispatch
// (main() of src/cli/app.ts): node queue-cli.js <submit|worker|status|cancel> '<options as JSON>'.
// It adds one thing the command lacks on purpose: a test runner killed mid-test must not leave
// workers behind, so it goes when its parent does.
import { main } from '../../src/cli/app.js';
import { processIo } from '../../src/commands/io.js';

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
}, 500).unref();

interface Options {
  file?: string; queue?: string; experiment?: string | null; set?: string[]; only?: string[];
  output?: 'auto' | 'quiet' | 'json'; dryRun?: boolean; trackingUri?: string | null; detach?: boolean;
  lockMs?: number | null; workers?: number | null; quiet?: boolean; json?: boolean;
}

/** The argv a user would type for these options. */
export function queueArgv(command: string, o: Options): string[] {
  const args = [command];
  if (command === 'submit' && o.file) args.push(o.file);
  if ((command === 'cancel' || command === 'status') && o.experiment) args.push(o.experiment);
  if (o.queue) args.push('--queue', o.queue);
  for (const s of o.set ?? []) args.push('--set', s);
  for (const x of o.only ?? []) args.push('--only', x);
  if (o.output === 'quiet' || o.quiet) args.push('--quiet');
  if (o.output === 'json' || o.json) args.push('--json');
  if (o.dryRun) args.push('--dry-run');
  if (o.detach) args.push('--detach');
  if (o.trackingUri) args.push('--tracking-uri', o.trackingUri);
  if (o.lockMs) args.push('--lock-ms', String(o.lockMs));
  args.push('--workers', String(o.workers ?? 1));
  return command === 'worker' ? args : args.filter((a, i, all) => a !== '--workers' && all[i - 1] !== '--workers');
}

const [command, json] = process.argv.slice(2);
if (command !== undefined) {
  const code = await main(queueArgv(command, JSON.parse(json ?? '{}') as Options), processIo());
  for (const stream of [process.stdout, process.stderr]) await new Promise((resolve) => stream.write('', resolve));
  process.exit(code);
}
