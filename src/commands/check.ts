// `run-sweep check <experiment.yaml> --baseline <file.json | mlflow:EXPERIMENT>`: runs the sweep
// (reusing finished trials unless --rerun), then judges each configuration — the trials that
// differ only by seed — against the baseline by the rules in the file's `check:` section.
// Exit codes: 0 every comparison passed (or --update-baseline wrote the file); 1 a regression, or a
// configuration missing from either side without --allow-missing / --allow-new, or the sweep's own
// exit 1 (a trial failed); 2 a missing or unreadable baseline, a baseline made on other data
// (without --allow-data-change), bad check rules, or any other config/usage error; 130/143 signals.
import { mkdirSync } from 'node:fs';
import { writeFileWhole } from '../write-file.js';
import path from 'node:path';
import { parseDuration } from '../config/duration.js';
import { EXIT, RunSweepError } from '../errors.js';
import { CheckFileError, corpusDigests, configurationsOf, readBaseline, writeBaseline, type Baseline } from '../check/baseline.js';
import { comparedMetrics, compareConfigurations } from '../check/compare.js';
import { formatVerdicts, junitVerdicts, markdownVerdicts, verdictLine } from '../check/outputs.js';
import { corpusIdentity } from '../plan/corpus-identity.js';
import { openRunReader } from '../track/run-reader.js';
import { readStoreBaseline, recordCheck } from '../track/check-run.js';
import { openTracking } from '../track/tracking.js';
import type { Command } from './command.js';
import { packageVersion, type Io } from './io.js';
import { planSweep } from './plan-sweep.js';
import { executeSweep } from './run.js';

/**
 * The check command's options: a run's (--set, --only, --rerun, --workers, --tracking-uri, output
 * mode; --dry-run is ignored, a check always trains what it compares) and its own. `baseline` is a
 * file path (relative to the working directory) or `mlflow:<experiment>`; junit and markdown are
 * files to write, or null.
 */
export type CheckOptions = Omit<Extract<Command, { kind: 'check' }>, 'kind'>;

const STORE_PREFIX = 'mlflow:';

export async function checkCommand(options: CheckOptions, io: Io): Promise<number> {
  try {
    return await check(options, io);
  } catch (err) {
    // One line, like every other error; the CLI's table would print a 'config' error without the prefix.
    if (!(err instanceof CheckFileError)) throw err;
    io.err(`run-sweep: ${err.message}`);
    return err.exitCode;
  }
}

async function check(options: CheckOptions, io: Io): Promise<number> {
  const fromStore = options.baseline.startsWith(STORE_PREFIX);
  if (fromStore && options.updateBaseline) {
    throw new RunSweepError('usage', `--update-baseline writes a file; ${options.baseline} is the tracking store itself, which every sweep updates`);
  }
  if (fromStore && options.baseline.length === STORE_PREFIX.length) throw new RunSweepError('usage', '--baseline mlflow: needs an experiment name, e.g. mlflow:ci-smoke');
  // Planned once: the sweep below runs on this same plan.
  const run = { ...runOptionsOf(options), kind: 'run' as const, file: path.resolve(io.cwd, options.file), dryRun: false };
  const plan = planSweep(run, io);
  const { config, dir, trials, uri } = plan;
  const rules = config.check;
  if (!options.updateBaseline && comparedMetrics(rules).length === 0) {
    throw new RunSweepError('config', `${plan.file}: check.metrics: every metric's tolerance is null, so the check would compare nothing; set e.g. check.metrics.val_perplexity.max_increase`);
  }
  const identity = corpusIdentity(dir);
  const baselineFile = fromStore ? options.baseline : path.resolve(io.cwd, options.baseline);
  // Read before the sweep: a baseline that cannot be had costs no training, and an mlflow: baseline
  // is the store's last sweep before this one records its own.
  let baseline: Baseline | undefined;
  if (fromStore) {
    baseline = await readStoreBaseline(openRunReader(uri ?? 'runs', io.cwd, { env: io.env }), options.baseline.slice(STORE_PREFIX.length), identity);
  } else if (!options.updateBaseline) {
    baseline = readBaseline(baselineFile);
  }
  const digests = await corpusDigests(trials, dir);
  if (baseline !== undefined) {
    const changed = Object.entries(digests).filter(([name, digest]) => baseline.corpora[name] !== undefined && baseline.corpora[name] !== digest);
    for (const [name, digest] of changed) {
      const what = `the baseline ${options.baseline} was made on other data: corpus ${name} is ${baseline.corpora[name]} there and ${digest} now`;
      if (!options.allowDataChange) throw new CheckFileError(`${what}; --allow-data-change compares anyway, --update-baseline records a new baseline`);
      io.err(`warning: ${what} (compared anyway: --allow-data-change)`);
    }
  }

  const outcome = await executeSweep(run, io, plan);
  // Under --json stdout holds only the sweep's events.
  const say = options.output === 'json' ? io.err : io.out;
  if (outcome.exitCode !== EXIT.ok) {
    io.err(`run-sweep check: the sweep exited ${outcome.exitCode}: nothing was compared`);
    return outcome.exitCode;
  }
  const now = configurationsOf(outcome.reports, identity);

  if (options.updateBaseline) {
    const written: Baseline = { format: 1, experiment: outcome.experiment, version: packageVersion(), corpora: digests, configurations: now };
    writeBaseline(baselineFile, written);
    const seeds = Object.values(now).reduce((n, c) => n + Object.keys(c.seeds).length, 0);
    say('');
    say(`wrote the baseline ${options.baseline}: ${Object.keys(now).length} configuration(s), ${seeds} seed(s)`);
    return EXIT.ok;
  }

  const verdicts = compareConfigurations(baseline!.configurations, now, rules, { allowMissing: options.allowMissing, allowNew: options.allowNew });
  const source = baseline!.source ?? options.baseline;
  say('');
  say(`check against ${source}: a metric fails when its mean over seeds is worse than the baseline's by more than max(tolerance, sigmas × σ), σ the baseline's sample standard deviation over seeds (0 with one seed)`);
  say(formatVerdicts(verdicts));
  say('');
  say(verdictLine(verdicts));
  if (options.junit !== null) writeOutput(path.resolve(io.cwd, options.junit), junitVerdicts(verdicts, config.name), '--junit');
  if (options.markdown !== null) writeOutput(path.resolve(io.cwd, options.markdown), markdownVerdicts(verdicts, config.name, options.baseline), '--markdown');

  // The verdicts as a run of their own, for reports; a tracking problem here does not change the verdict.
  try {
    const tracking = await openTracking(uri, io.cwd, { env: io.env, experimentName: outcome.experiment, onWarning: (m) => io.err(`warning: ${m}`) });
    await recordCheck(tracking.tracker, { experiment: outcome.experiment, file: plan.file, version: packageVersion(), baseline: options.baseline, verdicts, time: Date.now() });
    const uploads = await tracking.finishUploads(parseDuration(config.tracking.upload_timeout));
    for (const line of uploads.problems) io.err(`warning: ${line}`);
  } catch (err) {
    if (!(err instanceof RunSweepError)) throw err;
    io.err(`warning: the check's verdicts were not recorded in the tracking store: ${err.message}`);
  }
  return verdicts.some((v) => v.verdict === 'fail') ? EXIT.failed : EXIT.ok;
}

/** The run's part of the options, without the check's own. */
function runOptionsOf(options: CheckOptions): Omit<Extract<Command, { kind: 'run' }>, 'kind'> {
  const { baseline: _b, updateBaseline: _u, allowMissing: _m, allowNew: _n, allowDataChange: _d, junit: _j, markdown: _md, ...run } = options;
  return run;
}

function writeOutput(file: string, text: string, flag: string): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileWhole(file, text);
  } catch (err) {
    throw new CheckFileError(`${flag}: cannot write ${file}: ${(err as Error).message}`);
  }
}
