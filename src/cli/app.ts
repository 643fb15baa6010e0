// The run-sweep command: dispatch, and the mapping of failures to messages and exit codes
// (0 all trials finished, 1 a trial failed, 2 bad config or usage, 130 interrupted).
import { ConfigError } from '../config/errors.js';
import { CorpusError } from '../train/corpus.js';
import { StoreError } from '../track/file-store.js';
import { InvalidKeyError } from '../track/keys.js';
import { MlflowApiError, MlflowUnavailableError } from '../track/rest-client.js';
import { TrackingError } from '../track/tracker.js';
import { parseCommand, UsageError, USAGE } from './args.js';
import { packageVersion, type Io } from './io.js';
import { runCommand } from './run.js';
import { syncCommand } from './sync.js';
import { validateCommand } from './validate.js';

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const command = parseCommand(argv);
    switch (command.kind) {
      case 'help':
        io.out(USAGE);
        return 0;
      case 'version':
        io.out(packageVersion());
        return 0;
      case 'validate':
        return validateCommand(command.files, io);
      case 'sync':
        return await syncCommand(command, io);
      case 'run':
        return await runCommand(command, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`run-sweep: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 2;
    }
    if (err instanceof CorpusError || err instanceof StoreError || err instanceof TrackingError || err instanceof InvalidKeyError) {
      io.err(`run-sweep: ${err.message}`);
      return 2;
    }
    if (err instanceof MlflowApiError || err instanceof MlflowUnavailableError) {
      io.err(`run-sweep: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

