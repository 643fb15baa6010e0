// Parity with the PyTorch reference (issue 3): trains each cell of experiments/d2l-timemachine.yaml
// (seed 0) and compares its training perplexity with ../shared/reference/d2l-curves.json, the
// reference's per-epoch perplexity over seeds 0-2. A value passes when it lies in the reference's
// range over seeds at that epoch, widened by 10%: [min·0.9, max·1.1].
//
//   npx tsc -p tsconfig.json && node dist/bench/parity.js [epochs=100] [cell...]
//
// Reads The Time Machine from ../shared/data/timemachine.txt. test/engine-parity.test.ts runs a
// short version of the same comparison.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadExperiment } from '../src/config/load.js';
import type { Cell } from '../src/config/types.js';
import { expandTrials } from '../src/plan/expand.js';
import type { EpochEvent, TrainResult } from '../src/train/events.js';
import { runTrial } from '../src/train/trial.js';

// The project root, whether this runs from bench/ or from a build folder (dist-x/bench/).
const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.basename(path.dirname(here)).startsWith('dist') ? path.resolve(here, '..', '..') : path.resolve(here, '..');
export const sharedDir = path.resolve(projectRoot, '..', 'shared');
export const timeMachinePath = path.join(sharedDir, 'data', 'timemachine.txt');
export const curvesPath = path.join(sharedDir, 'reference', 'd2l-curves.json');
export const experimentPath = path.join(projectRoot, 'experiments', 'd2l-timemachine.yaml');

interface Curves {
  curves: { cell: Cell; seed: number; ppl: Record<string, number> }[];
}

export interface Band {
  min: number;
  max: number;
  /** [min·0.9, max·1.1] */
  low: number;
  high: number;
}

export function referenceBand(cell: Cell, epoch: number): Band {
  const curves = (JSON.parse(readFileSync(curvesPath, 'utf8')) as Curves).curves;
  const values = curves.filter((c) => c.cell === cell).map((c) => c.ppl[String(epoch)]);
  if (values.length === 0 || values.some((v) => v === undefined)) {
    throw new Error(`${curvesPath} has no ${cell} perplexity for epoch ${epoch}`);
  }
  const min = Math.min(...(values as number[]));
  const max = Math.max(...(values as number[]));
  return { min, max, low: min * 0.9, high: max * 1.1 };
}

/** Trains one cell of the d2l experiment for `epochs` epochs; returns its epoch events. */
export async function trainD2l(cell: Cell, epochs: number, seed = 0): Promise<{ epochs: EpochEvent[]; result: TrainResult }> {
  process.env['RUN_SWEEP_TIMEMACHINE'] = timeMachinePath;
  const { config, dir } = loadExperiment(experimentPath, { set: [`train.epochs=${epochs}`] });
  const trial = expandTrials(config).find((t) => t.config.model.cell === cell && t.config.train.seed === seed);
  if (!trial) throw new Error(`${experimentPath} has no trial for cell ${cell}, seed ${seed}`);
  const events: EpochEvent[] = [];
  const result = await runTrial(trial.config, {
    baseDir: dir,
    onEvent: (e) => {
      if (e.type === 'epoch') events.push(e);
    },
  });
  return { epochs: events, result };
}

async function main(): Promise<void> {
  const [epochArg, ...cellArgs] = process.argv.slice(2);
  const epochs = Number(epochArg ?? 100);
  const cells = (cellArgs.length > 0 ? cellArgs : ['rnn', 'gru', 'lstm']) as Cell[];
  const checkpoints = [10, 25, 50, 100].filter((e) => e <= epochs);
  let failures = 0;
  const lines = ['| cell | epoch | reference range | widened 10% | ours | pass |', '|---|---|---|---|---|---|'];
  const speeds: string[] = [];
  for (const cell of cells) {
    const { epochs: curve, result } = await trainD2l(cell, epochs);
    for (const epoch of checkpoints) {
      const band = referenceBand(cell, epoch);
      const ours = (curve[epoch - 1] as EpochEvent).trainPerplexity;
      const pass = ours >= band.low && ours <= band.high;
      if (!pass) failures++;
      lines.push(
        `| ${cell} | ${epoch} | ${band.min.toFixed(2)}–${band.max.toFixed(2)} | ${band.low.toFixed(2)}–${band.high.toFixed(2)} | ${ours.toFixed(2)} | ${pass ? 'yes' : 'NO'} |`,
      );
    }
    speeds.push(`${cell}: ${result.tokensPerSecond.toFixed(0)} tokens/s (mean over ${result.epochs} epochs); sample: ${result.samples[0]?.text ?? ''}`);
    console.error(`${cell} done`);
  }
  console.log(lines.join('\n'));
  console.log(speeds.join('\n'));
  process.exitCode = failures > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
