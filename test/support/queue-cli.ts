// The queue commands as separate processes, until the lead wires them into argv:
//   node queue-cli.js <submit|worker|status|cancel> '<options as JSON>'
// It does what src/cli/main.ts does around a command: the process's Io, errors through the one
// error table, the exit code.
import { reportError } from '../../src/cli/app.js';
import { processIo } from '../../src/cli/io.js';
import { cancelCommand, statusCommand } from '../../src/cli/queue-status.js';
import { submitCommand } from '../../src/cli/submit.js';
import { workerCommand } from '../../src/cli/worker.js';

// A test runner killed mid-test must not leave workers behind: go when the parent does.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
}, 500).unref();

const [command, json] = process.argv.slice(2);
const io = processIo();
const options = JSON.parse(json ?? '{}');
try {
  switch (command) {
    case 'submit':
      process.exitCode = await submitCommand({ set: [], only: [], output: 'auto', dryRun: false, trackingUri: null, detach: false, lockMs: null, ...options }, io);
      break;
    case 'worker':
      process.exitCode = await workerCommand({ workers: 1, trackingUri: null, lockMs: null, quiet: false, ...options }, io);
      break;
    case 'status':
      process.exitCode = await statusCommand({ experiment: null, json: false, ...options }, io);
      break;
    case 'cancel':
      process.exitCode = await cancelCommand(options, io);
      break;
    default:
      io.err(`queue-cli: unknown command ${command}`);
      process.exitCode = 2;
  }
} catch (err) {
  process.exitCode = reportError(err, io);
}
