// `run-sweep report [<experiment.yaml> | --experiment NAME] [--tracking-uri URI] --out report.html`:
// one self-contained HTML file about an experiment's runs, read from the local store or a server.
import { mkdirSync } from 'node:fs';
import { writeFileWhole } from '../write-file.js';
import path from 'node:path';
import { RunSweepError, withFsErrors } from '../errors.js';
import { loadExperiment } from '../config/load.js';
import { collectReport, corpusIdentityFor } from '../report/html/model.js';
import { renderReport } from '../report/html/render.js';
import { openRunReader } from '../track/run-reader.js';
import { isServerUri } from '../track/open.js';
import { redactUri } from '../track/secrets.js';
import type { Io } from './io.js';
import { chooseTrackingUri } from './plan-sweep.js';

const REPORT_RETRY = { attempts: 3, baseDelayMs: 200, maxDelayMs: 1_000 };

export interface ReportOptions {
  /** an experiment file: the experiment is its tracking.experiment, else its name; its tracking.uri is used */
  file?: string;
  /** the MLflow experiment's name, without a file (with one, it overrides the file's) */
  experiment?: string;
  /** --tracking-uri: wins over the file's tracking.uri, then $MLFLOW_TRACKING_URI, then ./runs */
  trackingUri?: string;
  /** where to write the HTML, relative to io.cwd */
  out: string;
}

export async function reportCommand(options: ReportOptions, io: Io): Promise<number> {
  if (options.file === undefined && options.experiment === undefined) {
    throw new RunSweepError('usage', 'report needs an experiment file or --experiment NAME');
  }
  if (!options.out) throw new RunSweepError('usage', 'report needs --out FILE.html');
  let name = options.experiment;
  let fileUri: string | null = null;
  let baseDir = io.cwd;
  if (options.file !== undefined) {
    const loaded = loadExperiment(path.resolve(io.cwd, options.file));
    name ??= loaded.config.tracking.experiment ?? loaded.config.name;
    fileUri = loaded.config.tracking.uri;
    baseDir = loaded.dir;
  }
  const uri = chooseTrackingUri(options.trackingUri, fileUri, io.env) ?? 'runs';
  const warnings: string[] = [];
  // a report is read by a person waiting: a few quick tries, not a sweep's patience
  const reader = openRunReader(uri, io.cwd, { env: io.env, retry: REPORT_RETRY, timeoutMs: 15_000, onWarning: (m) => warnings.push(m) });
  const where = isServerUri(uri) ? `the server ${redactUri(uri)}` : `the store ${reader.location}`;
  const kind = isServerUri(uri) ? 'tracking' : 'store';

  const experimentId = await reader.findExperiment(name!);
  if (experimentId === null) throw new RunSweepError(kind, `no experiment named '${name}' in ${where}`);
  const data = await collectReport(reader, experimentId, {
    experiment: name!,
    source: isServerUri(uri) ? redactUri(uri) : reader.location,
    corpusIdentity: corpusIdentityFor(baseDir),
  });
  for (const w of warnings) io.err(`warning: ${w}`);
  if (data.configs.length === 0) throw new RunSweepError(kind, `experiment '${name}' in ${where} has no trial runs to report`);

  const html = renderReport(data);
  const out = path.resolve(io.cwd, options.out);
  withFsErrors('write', () => {
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileWhole(out, html);
  }, out);
  io.out(`wrote ${options.out}: ${data.configs.length} configuration(s), ${data.trials.length} finished trial(s), ` +
    `${data.failures.length} failed or killed, from ${where}`);
  return 0;
}
