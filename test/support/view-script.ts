// A sweep's events, scripted: what the view tests feed the reporters. Run as a program it plays the
// scripted sweep through a reporter, in real time but on a fake clock, so a test can watch it in a
// real terminal:
//
//   node dist/test/support/view-script.js <auto|live|plain|quiet|json> [dir]
//
// With a dir, it stops at the scripted pause (70 s into the sweep, two of three trials done), writes
// <dir>/paused, and waits for <dir>/go before it plays the rest; once the reporter is closed it
// writes <dir>/closed and waits for <dir>/exit.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SweepEvent, TrialFigures, TrialRef } from '../../src/scheduler/events.js';
import { chooseReporterMode, createReporter, type ReporterMode } from '../../src/report/reporter.js';

export const T0 = 1_760_000_000_000;

type Body<E> = E extends SweepEvent ? Omit<E, 'time'> : never;
export interface Step {
  /** seconds after T0 */
  at: number;
  event: SweepEvent;
}

export function trialRef(cell: string, id: string): TrialRef {
  return { id, label: `cell=${cell} seed=0`, varying: { 'model.cell': cell, 'train.seed': 0 }, epochs: 4 };
}

export const RNN = trialRef('rnn', 'a1a1a1a1a1');
export const GRU = trialRef('gru', 'b2b2b2b2b2');
export const LSTM = trialRef('lstm', 'c3c3c3c3c3');
const NO_FIGURES: TrialFigures = { trainPerplexity: NaN, valPerplexity: NaN, tokensPerSecond: NaN };

/** Where the scripted sweep pauses, in seconds after T0. */
export const PAUSE_AT = 70;

/**
 * Three trials of 4 epochs on 2 workers. rnn: 10 s epochs, finishes at 42 s. gru: 30 s epochs,
 * diverges at 65 s after 2 epochs. lstm starts at 42 s, 20 s epochs; at the pause (70 s) it is in
 * epoch 2/4 (batch 10/50), with 20 − 7 + 2 × 20 + 1 (rnn's tail: last epoch → end) = 54 s left.
 */
export function scriptedSweep(): Step[] {
  const steps: Step[] = [];
  const at = (seconds: number, event: Body<SweepEvent>): void => {
    steps.push({ at: seconds, event: { ...event, time: T0 + seconds * 1000 } as SweepEvent });
  };
  const epoch = (s: number, trial: TrialRef, n: number, seconds: number, ppl: number): void =>
    at(s, { type: 'epoch', trial, epoch: n, trainPerplexity: ppl, valPerplexity: ppl + 0.5, tokensPerSecond: 12345.6, gradNorm: 0.8, lr: 1, seconds });
  const setup = (s: number, trial: TrialRef, paramCount: number): void =>
    at(s, { type: 'setup', trial, vocabSize: 28, paramCount, backend: 'wasm', kernels: 'relaxed-simd', blas: 'wasm', trainTokens: 100_000, valTokens: 11_111, unknownShare: 0 });

  at(0, { type: 'sweep-start', experiment: 'cell-comparison', location: './runs', trials: 3, toTrain: 3, reused: 0, workers: 2 });
  at(0, { type: 'trial-start', trial: RNN, attempt: 1 });
  at(0, { type: 'trial-start', trial: GRU, attempt: 1 });
  setup(1, RNN, 10_000);
  setup(1, GRU, 30_000);
  at(6, { type: 'progress', trial: RNN, epoch: 1, batch: 25, batches: 50, trainPerplexity: 20.5 });
  epoch(11, RNN, 1, 10, 12);
  epoch(21, RNN, 2, 10, 9);
  at(21, { type: 'sample', trial: RNN, epoch: 2, prefix: 'the ', text: 'the whale\nand the sea' });
  at(25, { type: 'warning', trial: GRU, message: `trial ${GRU.id} (${GRU.label}): a scripted warning` });
  epoch(31, RNN, 3, 10, 8);
  epoch(31, GRU, 1, 30, 15);
  epoch(41, RNN, 4, 10, 7.25);
  at(41, { type: 'sample', trial: RNN, epoch: 4, prefix: 'the ', text: 'the whale was white' });
  at(41, { type: 'weights', trial: RNN, files: [{ path: 'model.json', data: new Uint8Array([123, 125]) }] });
  at(42, {
    type: 'trial-end', trial: RNN, status: 'finished', attempt: 1, willRetry: false, epochsDone: 4, wallSeconds: 42,
    figures: { trainPerplexity: 7.25, valPerplexity: 7.75, tokensPerSecond: 12000 },
  });
  at(42, { type: 'trial-start', trial: LSTM, attempt: 1 });
  setup(43, LSTM, 20_000);
  epoch(61, GRU, 2, 30, Infinity);
  epoch(63, LSTM, 1, 20, 11);
  at(65, {
    type: 'trial-end', trial: GRU, status: 'failed', reason: 'diverged', error: 'the loss is NaN at epoch 3\n    at train (loop.js:1:1)',
    attempt: 1, willRetry: false, epochsDone: 0, wallSeconds: 65, figures: NO_FIGURES,
  });
  at(68, { type: 'progress', trial: LSTM, epoch: 2, batch: 10, batches: 50, trainPerplexity: 10.5 });
  // the pause: 70 s
  epoch(83, LSTM, 2, 20, 9.5);
  epoch(103, LSTM, 3, 20, 8.5);
  epoch(123, LSTM, 4, 20, 7.5);
  at(123, { type: 'sample', trial: LSTM, epoch: 4, prefix: 'the ', text: 'the whale and ahab' });
  at(124, {
    type: 'trial-end', trial: LSTM, status: 'finished', attempt: 1, willRetry: false, epochsDone: 4, wallSeconds: 82,
    figures: { trainPerplexity: 7.5, valPerplexity: 8, tokensPerSecond: 11000 },
  });
  at(125, { type: 'sweep-end', counts: { finished: 2, failed: 1, killed: 0, reused: 0 }, exitCode: 1, trackingProblems: [] });
  return steps;
}

/** The kinds scriptedSweep lacks: a reaped store, a reused trial, a retried and a killed one. */
export function otherEvents(): SweepEvent[] {
  const t = (s: number): number => T0 + s * 1000;
  const figures = { trainPerplexity: 5, valPerplexity: 6, tokensPerSecond: 10_000 };
  return [
    { type: 'reaped', time: t(0), count: 2 },
    { type: 'sweep-start', time: t(0), experiment: 'e', location: 'http://host:5000', trials: 3, toTrain: 2, reused: 1, workers: 1 },
    { type: 'trial-reused', time: t(0), trial: RNN, figures, degenerate: true },
    { type: 'trial-start', time: t(1), trial: GRU, attempt: 1 },
    { type: 'trial-end', time: t(2), trial: GRU, status: 'failed', reason: 'out_of_memory', error: 'worker ran out of memory', attempt: 1, willRetry: true, figures: NO_FIGURES, wallSeconds: 1, epochsDone: 0 },
    { type: 'trial-start', time: t(2), trial: GRU, attempt: 2 },
    { type: 'trial-end', time: t(3), trial: GRU, status: 'killed', reason: 'interrupted', attempt: 2, willRetry: false, figures: NO_FIGURES, wallSeconds: Infinity, epochsDone: 0 },
    { type: 'warning', time: t(3), message: 'the tracking server failed' },
    { type: 'sweep-end', time: t(4), counts: { finished: 0, failed: 0, killed: 2, reused: 1 }, exitCode: 130, trackingProblems: ['upload of run x failed: 503'] },
  ];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Plays the scripted sweep through a reporter in `mode`, each step `stepMs` of real time apart. */
async function play(mode: ReporterMode | 'auto', dir: string | undefined, stepMs: number): Promise<void> {
  const chosen = mode === 'auto' ? chooseReporterMode({}, process.stdout, process.env) : mode;
  let now = T0;
  const reporter = createReporter(
    chosen,
    {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      ...(process.stdout.isTTY ? { stdout: process.stdout } : {}),
    },
    { now: () => now },
  );
  reporter.out(`cell-comparison: 3 trial(s) [${chosen}]`);
  let paused = false;
  for (const step of scriptedSweep()) {
    if (dir && !paused && step.at > PAUSE_AT) {
      paused = true;
      now = T0 + PAUSE_AT * 1000;
      reporter.err('a message from the CLI, above the block');
      await sleep(400); // a few redraws at the paused clock
      writeFileSync(join(dir, 'paused'), '');
      while (!existsSync(join(dir, 'go'))) await sleep(20);
    }
    now = step.event.time;
    reporter.onEvent(step.event);
    await sleep(stepMs);
  }
  await sleep(200);
  reporter.close();
  reporter.out('');
  reporter.out('SUMMARY would follow here');
  if (dir) {
    // stay up, so that the terminal can be looked at with the view closed but the process alive
    writeFileSync(join(dir, 'closed'), '');
    while (!existsSync(join(dir, 'exit'))) await sleep(20);
  }
}

// Only with a mode: `node --test dist/test/` runs every file under test/, this one too, bare.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2]) {
  await play(process.argv[2] as ReporterMode | 'auto', process.argv[3], Number(process.env.VIEW_STEP_MS ?? 15));
}
