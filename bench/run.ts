// npm run bench: training speed of rnn, gru and lstm in d2l's setup (256 hidden, batch 32, 35 steps,
// The Time Machine's first 10,000 characters; Moby Dick when ../shared is absent) on every tfjs
// backend that loads, against the PyTorch reference measured in the same run, plus the sweep
// throughput of 2 workers against 1. Prints a markdown table.
//
//   npm run bench [-- --quick] [--epochs N] [--rounds N] [--cells rnn,gru,lstm] [--backends wasm,cpu]
//                 [--paths fast,plain] [--blas auto,off] [--no-torch] [--no-sweep]
//
// --blas: the engine.blas settings to measure (default auto,off: a native BLAS where the machine
// has one, and the WebAssembly kernels); the table says which BLAS and which kernel build ran, and
// its header whether OPENBLAS_CORETYPE was set (it changes which OpenBLAS kernel runs).
// Each trial runs alone in a child process (one thread, its peak RSS its own). tokens/s is the
// median over the epochs after the first (the first pays for V8's warm-up), for
// PyTorch as for us. Slow backends (cpu) train on 2 minibatches per epoch. Run it on a quiet
// machine: the trials take turns, and another busy process skews every figure.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Cell } from '../src/config/types.js';
import type { MeasuredTrial, TrialSpec } from './measure-trial.js';
import { ONE_THREAD_ENV } from '../src/train/fast/blas.js';
import { sharedDir, timeMachinePath } from './reference.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const referenceScript = path.join(sharedDir, 'reference', 'd2l_reference.py');
const python = '/usr/bin/python3';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    epochs: { type: 'string' },
    rounds: { type: 'string' },
    cells: { type: 'string', default: 'rnn,gru,lstm' },
    backends: { type: 'string', default: 'wasm,cpu' },
    paths: { type: 'string', default: 'fast' },
    blas: { type: 'string', default: 'auto,off' },
    'no-torch': { type: 'boolean', default: false },
    'no-sweep': { type: 'boolean', default: false },
  },
});
const epochs = Number(opts.epochs ?? (opts.quick ? 3 : 6));
/** how many times each cell is measured, ours and PyTorch's taking turns; the table gives medians */
const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 3));
const cells = opts.cells.split(',') as Cell[];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** tokens/s over the epochs after the first (all of them when there is only one) */
const steadyRate = (perEpoch: number[]): number => median(perEpoch.length > 1 ? perEpoch.slice(1) : perEpoch);

function measureTrial(spec: TrialSpec): MeasuredTrial | { error: string } {
  const child = spawnSync(process.execPath, [path.join(here, 'measure-trial.js'), JSON.stringify(spec)], {
    encoding: 'utf8',
    // one thread, as run-sweep's command holds a native BLAS to
    env: { ...ONE_THREAD_ENV, ...process.env },
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) return { error: (child.stderr.trim().split('\n')[0] ?? '') || `exit ${child.status}` };
  return JSON.parse(line) as MeasuredTrial;
}

/** The PyTorch reference's tokens/s for one cell, or null when python3 has no torch or ../shared is absent. */
function measureTorch(cell: Cell): number | null {
  if (opts['no-torch'] || !existsSync(referenceScript) || !existsSync(python)) return null;
  const args = [referenceScript, '--cell', cell, '--epochs', String(epochs), '--threads', '1', '--corpus', timeMachinePath];
  const run = spawnSync(python, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (run.status !== 0) {
    // Say why: a reader of the table should not mistake a broken torch install for a missing one.
    console.error(`PyTorch reference for ${cell} failed (exit ${run.status}): ${run.stderr.trim().split('\n').pop() ?? ''}`);
    return null;
  }
  const perEpoch = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{"epoch"'))
    .map((l) => (JSON.parse(l) as { tokens_per_s: number }).tokens_per_s);
  return perEpoch.length > 0 ? steadyRate(perEpoch) : null;
}

const cliMain = path.join(here, '..', 'src', 'cli', 'main.js');
/** The node flags the command's shebang line gives it, so the sweep runs as `npx run-sweep` runs it. */
const cliNodeFlags = (readFileSync(cliMain, 'utf8').split('\n')[0] ?? '').split(/\s+/).filter((w) => w.startsWith('--'));

/**
 * Seconds for `run-sweep` to train 4 equal trials (seeds 0-3, gru, 20 epochs, ~6 s each alone; 2
 * epochs with --quick) with `workers` workers. Long enough that the command's start-up (~0.7 s:
 * node, the config, a worker loading tfjs), which no number of workers shortens, is not most of it.
 */
function sweepSeconds(workers: number, corpus: string): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-sweep-'));
  try {
    const file = path.join(dir, 'sweep.yaml');
    writeFileSync(
      file,
      `name: bench-sweep
data: { corpus: ${JSON.stringify(corpus)}, level: char, max_tokens: ${opts.quick ? 10000 : 30000}, validation_fraction: 0, normalize: letters, lowercase: true }
model: { cell: gru, hidden_size: 256, init: uniform }
train: { epochs: ${opts.quick ? 2 : 20}, batch_size: 32, num_steps: 35, lr: 1, clip_norm: 1 }
sweep: { seeds: [0, 1, 2, 3] }
`,
    );
    const start = performance.now();
    const run = spawnSync(
      process.execPath,
      [...cliNodeFlags, cliMain, file, '--workers', String(workers), '--tracking-uri', path.join(dir, 'runs')],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`run-sweep --workers ${workers} failed: ${run.stderr.trim()}`);
    return (performance.now() - start) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

function main(): void {
  const corpus = existsSync(timeMachinePath) ? timeMachinePath : 'moby-dick';
  // PyTorch's rates per cell, measured in turn with the first backend's trials
  const torch = new Map<Cell, number[]>(cells.map((c) => [c, []]));
  const coretype = process.env['OPENBLAS_CORETYPE'];
  const lines = [
    `training tokens/s, d2l setup (256 hidden, batch 32, 35 steps, ${path.basename(corpus)}), one thread per trial; median of epochs 2–${epochs}, then of ${rounds} round(s), PyTorch's and ours taking turns`,
    `OPENBLAS_CORETYPE: ${coretype === undefined ? 'not set' : `set to ${coretype}`}`,
    '',
    '| backend | path | blas | kernels | cell | tokens/s | PyTorch tokens/s | ratio | peak RSS (MiB) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const blasSettings = opts.blas.split(',');
  for (const backend of opts.backends.split(',') as TrialSpec['backend'][]) {
    for (const enginePath of opts.paths.split(',') as TrialSpec['path'][]) {
      // the plain path has no products of its own: one blas setting
      for (const blas of enginePath === 'plain' ? ['off'] : blasSettings) {
        for (const cell of cells) {
          // tfjs's cpu backend is ~50× slower: 2 minibatches per epoch, 2 epochs, once.
          const slow = backend === 'cpu';
          const spec: TrialSpec = { cell, backend, path: enginePath, blas, epochs: slow ? 2 : epochs, ...(slow ? { maxTokens: 2300 } : {}) };
          const refs = torch.get(cell) as number[];
          const measured: MeasuredTrial[] = [];
          let error = '';
          for (let r = 0; r < (slow ? 1 : rounds) && !error; r++) {
            if (refs.length < rounds) {
              const ref = measureTorch(cell);
              if (ref !== null) refs.push(ref);
            }
            const m = measureTrial(spec);
            if ('error' in m) error = m.error;
            else measured.push(m);
          }
          if (error) {
            lines.push(`| ${backend} | ${enginePath} | ${blas} | | ${cell} | failed: ${error} | | | |`);
            continue;
          }
          const rate = median(measured.map((m) => steadyRate(m.perEpoch)));
          const ref = refs.length > 0 ? median(refs) : null;
          const peak = Math.max(...measured.map((m) => m.peakRssMiB));
          const first = measured[0] as MeasuredTrial;
          lines.push(
            `| ${first.backend} | ${enginePath} | ${first.blas} | ${first.kernels} | ${cell} | ${fmt(rate)} | ${ref ? fmt(ref) : 'n/a'} | ${ref ? (rate / ref).toFixed(2) : 'n/a'} | ${peak.toFixed(0)} |`,
          );
          console.error(lines[lines.length - 1]);
        }
      }
    }
  }
  if (!opts['no-sweep']) {
    const one = sweepSeconds(1, corpus);
    const two = sweepSeconds(2, corpus);
    lines.push(
      '',
      `sweep throughput: 4 equal trials (gru, 256 hidden, ${opts.quick ? '10,000 tokens, 2' : '30,000 tokens, 20'} epochs, ~10 s each alone) through run-sweep, the whole command timed`,
      '',
      '| workers | seconds | trials/min |',
      '|---|---|---|',
      `| 1 | ${one.toFixed(1)} | ${(240 / one).toFixed(1)} |`,
      `| 2 | ${two.toFixed(1)} | ${(240 / two).toFixed(1)} |`,
      '',
      `2 workers / 1 worker: ${(one / two).toFixed(2)}×`,
    );
  }
  console.log(lines.join('\n'));
}

main();
