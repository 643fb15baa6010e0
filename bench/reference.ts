// The d2l reference setup that the benches and the parity test share: where ../shared's corpus
// and the PyTorch reference's curves are, the band a perplexity must land in, and a training run
// of experiments/d2l-timemachine.yaml.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperiment } from '../src/config/load.js';
import type { Cell } from '../src/config/types.js';
import { expandTrials } from '../src/plan/expand.js';
import { loadCorpusText } from '../src/data/corpus.js';
import { prepareDataset } from '../src/data/dataset.js';
import type { EpochEvent, TrainResult } from '../src/train/events.js';
import { type TrialOptions, runTrial } from '../src/train/trial.js';

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
  /** [min·(1 − widen), max·(1 + widen)] */
  low: number;
  high: number;
}

/** The reference's range over seeds at `epoch`, widened by the fraction `widen` (10% unless told). */
export function referenceBand(cell: Cell, epoch: number, widen = 0.1): Band {
  const curves = (JSON.parse(readFileSync(curvesPath, 'utf8')) as Curves).curves;
  const values = curves.filter((c) => c.cell === cell).map((c) => c.ppl[String(epoch)]);
  if (values.length === 0 || values.some((v) => v === undefined)) {
    throw new Error(`${curvesPath} has no ${cell} perplexity for epoch ${epoch}`);
  }
  const min = Math.min(...(values as number[]));
  const max = Math.max(...(values as number[]));
  return { min, max, low: min * (1 - widen), high: max * (1 + widen) };
}

/**
 * The training perplexity of a letter-frequency (unigram) model of the d2l experiment's training
 * stream, exp(−Σ p·log p): what a model that learned nothing but how often each letter occurs gets.
 */
export async function unigramPerplexity(): Promise<number> {
  process.env['RUN_SWEEP_TIMEMACHINE'] = timeMachinePath;
  const { config, dir } = loadExperiment(experimentPath);
  const { train } = prepareDataset(await loadCorpusText(config.data.corpus, dir), config.data);
  const counts = new Map<number, number>();
  for (const id of train) counts.set(id, (counts.get(id) ?? 0) + 1);
  let entropy = 0;
  for (const n of counts.values()) entropy -= (n / train.length) * Math.log(n / train.length);
  return Math.exp(entropy);
}

/** Trains one cell of the d2l experiment for `epochs` epochs; returns its epoch events. */
export async function trainD2l(
  cell: Cell,
  epochs: number,
  seed = 0,
  hold?: TrialOptions['hold'],
): Promise<{ epochs: EpochEvent[]; result: TrainResult }> {
  process.env['RUN_SWEEP_TIMEMACHINE'] = timeMachinePath;
  const { config, dir } = loadExperiment(experimentPath, { set: [`train.epochs=${epochs}`] });
  const trial = expandTrials(config).find((t) => t.config.model.cell === cell && t.config.train.seed === seed);
  if (!trial) throw new Error(`${experimentPath} has no trial for cell ${cell}, seed ${seed}`);
  const events: EpochEvent[] = [];
  const result = await runTrial(trial.config, {
    baseDir: dir,
    hold,
    onEvent: (e) => {
      if (e.type === 'epoch') events.push(e);
    },
  });
  return { epochs: events, result };
}
