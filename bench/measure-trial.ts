// One bench measurement in a process of its own, so that its peak resident memory is its own:
// trains one cell of experiments/d2l-timemachine.yaml on one backend and path, then prints one
// JSON line (MeasuredTrial). Started by bench/run.ts:
//
//   node dist/bench/measure-trial.js '{"cell":"lstm","backend":"wasm","path":"fast","blas":"auto","epochs":4}'


import { existsSync } from 'node:fs';
import { loadExperiment } from '../src/config/load.js';
import type { Cell, EngineConfig } from '../src/config/types.js';
import { expandTrials } from '../src/plan/expand.js';
import type { EnginePath } from '../src/train/path.js';
import { runTrial } from '../src/train/trial.js';
import { experimentPath, timeMachinePath } from './reference.js';

export interface TrialSpec {
  cell: Cell;
  backend: EngineConfig['backend'];
  path: EnginePath;
  /** engine.blas: auto, off or a library's path */
  blas: string;
  epochs: number;
  /** data.max_tokens, to train the slow backends on fewer batches */
  maxTokens?: number;
}

export interface MeasuredTrial {
  backend: string;
  /** the setup event's kernels and blas: what ran */
  kernels: string;
  blas: string;
  corpus: string;
  /** tokens/s of each epoch */
  perEpoch: number[];
  trainPerplexity: number;
  /** peak resident set size of this process, MiB */
  peakRssMiB: number;
}

/** The Time Machine from ../shared when it is there (the PyTorch reference reads the same file), else Moby Dick. */
export function benchCorpus(): string {
  if (existsSync(timeMachinePath)) {
    process.env['RUN_SWEEP_TIMEMACHINE'] = timeMachinePath;
    return 'timemachine';
  }
  return 'moby-dick';
}

async function measure(spec: TrialSpec): Promise<MeasuredTrial> {
  const corpus = benchCorpus();
  const set = [`train.epochs=${spec.epochs}`, `engine.backend=${spec.backend}`, `engine.path=${spec.path}`, `engine.blas=${spec.blas}`, `data.corpus=${corpus}`];
  if (spec.maxTokens) set.push(`data.max_tokens=${spec.maxTokens}`);
  const { config: experiment, dir } = loadExperiment(experimentPath, { set });
  const trial = expandTrials(experiment).find((t) => t.config.model.cell === spec.cell && t.config.train.seed === 0);
  if (!trial) throw new Error(`${experimentPath} has no trial for cell ${spec.cell}`);
  const perEpoch: number[] = [];
  let backend = '';
  let kernels = '';
  let blas = '';
  const result = await runTrial(trial.config, {
    baseDir: dir,
    onEvent: (e) => {
      if (e.type === 'setup') ({ backend, kernels, blas } = e);
      if (e.type === 'epoch') perEpoch.push(e.tokensPerSecond);
    },
  });
  return {
    backend,
    kernels,
    blas,
    corpus,
    perEpoch,
    trainPerplexity: result.trainPerplexity,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

console.log(JSON.stringify(await measure(JSON.parse(process.argv[2] ?? '{}') as TrialSpec)));
