// `run-sweep check` as a process, until the lead wires it into argv: node check-cli.js <json options>.
// Errors go through the CLI's own reportError, so exit codes and messages are the real command's.
import { reportError } from '../../src/cli/app.js';
import { checkCommand, type CheckOptions } from '../../src/cli/check.js';
import { processIo } from '../../src/cli/io.js';

const DEFAULTS: Omit<CheckOptions, 'file' | 'baseline'> = {
  set: [], only: [], rerun: false, updateBaseline: false, allowMissing: false, allowNew: false, allowDataChange: false,
  junit: null, markdown: null, trackingUri: null, workers: null, output: 'quiet', dryRun: false, perTrial: false,
};

// `node --test dist/test/` loads every file under it, this one included, with no argument: do nothing then.
if (process.argv[2] === undefined) process.exit(0);

const io = processIo();
const options = { ...DEFAULTS, ...(JSON.parse(process.argv[2] ?? '{}') as Partial<CheckOptions>) } as CheckOptions;
let code: number;
try {
  code = await checkCommand(options, io);
} catch (err) {
  code = reportError(err, io);
}
process.exitCode = code;
