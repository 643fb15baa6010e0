// A stand-in for `run-sweep report ...` until the lead wires the argv: parses
// [<experiment.yaml>] [--experiment NAME] [--tracking-uri URI] --out FILE, runs reportCommand with
// the process's io, and exits as the CLI would (errors through app.ts's reportError).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { reportError } from '../../src/cli/app.js';
import { processIo } from '../../src/cli/io.js';
import { reportCommand, type ReportOptions } from '../../src/cli/report.js';
import type { CliResult } from './cli.js';

export const REPORT_CLI = fileURLToPath(import.meta.url);

export function parseReportArgs(argv: string[]): ReportOptions {
  const opts: ReportOptions = { out: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--experiment') opts.experiment = argv[++i];
    else if (a === '--tracking-uri') opts.trackingUri = argv[++i];
    else if (a === '--out') opts.out = argv[++i] ?? '';
    else opts.file = a;
  }
  return opts;
}

/** Runs this script as a child, as runCli runs the CLI. */
export function runReport(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REPORT_CLI, ...args], {
      cwd,
      env: { ...process.env, MLFLOW_TRACKING_URI: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

if (process.argv[1] === REPORT_CLI) {
  const io = processIo();
  let code: number;
  try {
    code = await reportCommand(parseReportArgs(process.argv.slice(2)), io);
  } catch (err) {
    code = reportError(err, io);
  }
  process.exitCode = code;
}
