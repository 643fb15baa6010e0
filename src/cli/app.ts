// The run-sweep command: dispatch, and failures to messages and exit codes through the one error
// table (src/errors.ts). Anything that is not a RunSweepError is a bug: one line, no stack.
import { describeInternalError, EXIT, RunSweepError } from '../errors.js';
import { parseCommand, USAGE } from './args.js';
import { cancelCommand, statusCommand } from '../commands/queue-status.js';
import { submitCommand } from '../commands/submit.js';
import { workerCommand } from '../commands/worker.js';
import { checkCommand } from '../commands/check.js';
import { reportCommand } from '../commands/report.js';
import { packageVersion, type Io } from '../commands/io.js';
import { runCommand } from '../commands/run.js';
import { schemaCommand } from '../commands/schema.js';
import { syncCommand } from '../commands/sync.js';
import { validateCommand } from '../commands/validate.js';

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const command = parseCommand(argv);
    switch (command.kind) {
      case 'help':
        io.out(USAGE);
        return EXIT.ok;
      case 'version':
        io.out(packageVersion());
        return EXIT.ok;
      case 'schema':
        return schemaCommand(command.which, io);
      case 'validate':
        return await validateCommand(command.files, io);
      case 'sync':
        return await syncCommand(command, io);
      case 'run':
        return await runCommand(command, io);
      case 'report':
        return await reportCommand({
          ...(command.file !== null ? { file: command.file } : {}),
          ...(command.experiment !== null ? { experiment: command.experiment } : {}),
          ...(command.trackingUri !== null ? { trackingUri: command.trackingUri } : {}),
          out: command.out,
        }, io);
      case 'check': {
        const { kind: _kind, ...options } = command;
        return await checkCommand(options, io);
      }
      case 'submit':
        return await submitCommand({
          file: command.file, queue: command.queue, set: command.set, only: command.only, output: command.output,
          dryRun: command.dryRun, trackingUri: command.trackingUri, detach: command.detach, lockMs: command.lockMs,
        }, io);
      case 'worker': {
        const { kind: _kind, ...options } = command;
        return await workerCommand(options, io);
      }
      case 'status':
        return await statusCommand({ queue: command.queue, experiment: command.experiment, json: command.json }, io);
      case 'cancel':
        return await cancelCommand({ queue: command.queue, experiment: command.experiment }, io);
    }
  } catch (err) {
    return reportError(err, io);
  }
}

export function reportError(err: unknown, io: Io): number {
  if (err instanceof RunSweepError) {
    if (err.kind === 'usage') io.err(`run-sweep: ${err.message}\n\n${USAGE}`);
    // A config error is its list of `file:line:column: path: message` lines, as they stand.
    else if (err.kind === 'config') io.err(err.message);
    else io.err(`run-sweep: ${err.message}`);
    return err.exitCode;
  }
  io.err(describeInternalError(err, io.env));
  return EXIT.internal;
}
