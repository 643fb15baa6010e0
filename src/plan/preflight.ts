// Everything that can be known before training is checked here, before any run exists: a corpus
// too short for a minibatch or for validation, a vocabulary collapsed to <unk>, a model too big
// for the memory limit, WebAssembly or the machine. Found inside a trial, each of these used to
// leave FAILED runs and exit 1; here it is a config error (exit 2) with nothing written.
import os from 'node:os';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import type { DataConfig, TrialConfig } from '../config/types.js';
import { minimumTrainTokens } from '../data/batches.js';
import { loadCorpusText } from '../data/corpus.js';
import { prepareDataset } from '../data/dataset.js';
import { CELL_SPEC } from '../train/cells/spec.js';
import type { Trial } from './expand.js';

/** What preflight learned about one trial: the scheduler orders by cost, the view calibrates its ETA on it. */
export interface TrialSizing {
  trainTokens: number;
  valTokens: number;
  vocabSize: number;
  /** share of the training tokens that are <unk> */
  unknownShare: number;
  paramCount: number;
  /** estimated peak memory of one trial, MiB */
  memoryMb: number;
  /** relative training cost: parameters × tokens × epochs */
  cost: number;
}

/** At or above this share of <unk> tokens the vocabulary has collapsed: perplexity would measure nothing. */
export const COLLAPSED_UNK_SHARE = 0.9;
/** Above this share a trial is degenerate: trained, but warned about and never called best. */
export const DEGENERATE_UNK_SHARE = 0.5;
/** What node, tfjs and its WebAssembly backend take before any tensor (measured peak RSS of a tiny trial). */
const RUNTIME_MB = 150;
/** wasm32: neither tfjs-wasm's heap nor the kernels' memory can grow past 4 GiB. */
const WASM_LIMIT_MB = 4096;

export interface PreflightOptions {
  /** the experiment file, for error messages */
  file: string;
  /** where relative corpus paths are resolved */
  baseDir: string;
  /** sweep.max_memory_mb */
  maxMemoryMb: number | null;
  /** the machine's memory, MiB (a parameter so tests can pretend) */
  machineMb?: number;
}

export async function preflight(trials: Trial[], opts: PreflightOptions): Promise<Map<string, TrialSizing>> {
  const problems = new Map<string, { path: string; message: string; labels: string[] }>();
  const problem = (path: string, message: string, trial: Trial): void => {
    const key = `${path}\0${message}`;
    const entry = problems.get(key) ?? { path, message, labels: [] };
    entry.labels.push(trial.label);
    problems.set(key, entry);
  };
  const datasets = new Map<string, ReturnType<typeof prepareDataset>>();
  const sizing = new Map<string, TrialSizing>();
  const machineMb = opts.machineMb ?? os.totalmem() / 2 ** 20;

  for (const trial of trials) {
    const { data, train, model } = trial.config;
    const dataKey = JSON.stringify(data);
    let dataset = datasets.get(dataKey);
    if (dataset === undefined) {
      dataset = prepareDataset(await loadCorpusText(data.corpus, opts.baseDir), data);
      datasets.set(dataKey, dataset);
    }
    const { vocab, train: trainIds, val } = dataset;
    const tokens = trainIds.length + val.length;
    let unknown = 0;
    for (const id of trainIds) if (id === 0) unknown++;
    const unknownShare = trainIds.length > 0 ? unknown / trainIds.length : 0;

    if (tokens === 0) {
      problem('data.corpus', `the corpus ${describeCorpus(data)} has no tokens${data.normalize === 'letters' ? " after normalize: letters" : ''}`, trial);
      continue;
    }
    if (vocab.size - 1 < 2 && unknownShare < COLLAPSED_UNK_SHARE) {
      problem('data.corpus', `the corpus ${describeCorpus(data)} has ${vocab.size - 1} distinct token(s): nothing to learn`, trial);
    }
    if (unknownShare >= COLLAPSED_UNK_SHARE) {
      problem(
        data.min_freq > 0 ? 'data.min_freq' : 'data.corpus',
        `the vocabulary has collapsed: ${(unknownShare * 100).toFixed(0)}% of the training tokens are <unk> ` +
          `(vocabulary of ${vocab.size}), so perplexity would measure nothing` +
          (data.min_freq > 0 ? `; lower data.min_freq (${data.min_freq})` : '; use a longer corpus'),
        trial,
      );
    }
    const needed = minimumTrainTokens(train.batch_size, train.num_steps, train.sampling);
    if (trainIds.length < needed) {
      problem(
        'train.num_steps',
        `the training split has ${trainIds.length} token(s), too few for one minibatch of batch_size ${train.batch_size} × ` +
          `num_steps ${train.num_steps} (${train.sampling} sampling needs at least ${needed}); ` +
          'lower train.batch_size or train.num_steps, or use more data',
        trial,
      );
    }
    if (data.validation_fraction > 0 && val.length < 2) {
      problem(
        'data.validation_fraction',
        `the validation split has ${val.length} token(s), nothing to score; raise data.validation_fraction or set it to 0`,
        trial,
      );
    }
    const paramCount = countParams(model, vocab.size);
    const memoryMb = estimateMemoryMb(trial.config, vocab.size, paramCount);
    const limits: [number, string][] = [
      [opts.maxMemoryMb ?? Infinity, `sweep.max_memory_mb (${opts.maxMemoryMb} MiB)`],
      [WASM_LIMIT_MB + RUNTIME_MB, "WebAssembly's 4 GiB memory"],
      [machineMb, `this machine's memory (${Math.round(machineMb)} MiB)`],
    ];
    const over = limits.find(([limit]) => memoryMb > limit);
    if (over) {
      problem(
        'model.hidden_size',
        `the model needs about ${formatMb(memoryMb)} (${paramCount.toExponential(2)} parameters), over ${over[1]}; ` +
          'use a smaller model.hidden_size, num_layers or train.batch_size',
        trial,
      );
    }
    sizing.set(trial.id, {
      trainTokens: trainIds.length, valTokens: val.length, vocabSize: vocab.size, unknownShare, paramCount, memoryMb,
      cost: paramCount * trainIds.length * train.epochs,
    });
  }

  if (problems.size > 0) {
    const issues: ConfigIssue[] = [...problems.values()].map(({ path, message, labels }) => ({
      file: opts.file, line: 0, column: 0, path,
      message: trials.length > 1 ? `${message} (trial${labels.length > 1 ? 's' : ''} ${summarise(labels)})` : message,
    }));
    throw new ConfigError(issues);
  }
  return sizing;
}

/** Weights of the embedding, every layer and direction (W_x, W_h, b) and the output layer, as RnnLM holds them. */
export function countParams(model: TrialConfig['model'], vocabSize: number): number {
  const g = CELL_SPEC[model.cell].gates;
  const h = model.hidden_size;
  const dirs = model.bidirectional ? 2 : 1;
  const embedding = model.embedding === 'one_hot' ? 0 : vocabSize * model.embedding;
  let input = model.embedding === 'one_hot' ? vocabSize : model.embedding;
  let layers = 0;
  for (let l = 0; l < model.num_layers; l++) {
    layers += dirs * (input * g * h + h * g * h + g * h);
    input = dirs * h;
  }
  return embedding + layers + input * vocabSize + vocabSize;
}

/**
 * Peak memory of one trial, MiB: the runtime, the parameters with their gradients and optimizer
 * slots and tfjs's temporaries, the cached activations of a minibatch for backpropagation, and the
 * output layer's logits, probabilities and their gradient. Deliberately rough (within ~2× of
 * measured peaks): it exists to refuse models that cannot fit, not to pack a machine.
 */
export function estimateMemoryMb(config: TrialConfig, vocabSize: number, paramCount: number): number {
  const { model, train } = config;
  const slots = train.optimizer === 'adam' ? 2 : train.momentum > 0 ? 1 : 0;
  const paramBytes = paramCount * 4 * (3 + slots);
  const steps = train.batch_size * train.num_steps;
  const perStep = model.num_layers * (model.bidirectional ? 2 : 1) * (CELL_SPEC[model.cell].gates + 2) * model.hidden_size;
  const activationBytes = steps * perStep * 4 * 2;
  const headBytes = steps * vocabSize * 4 * (model.embedding === 'one_hot' ? 4 : 3);
  return RUNTIME_MB + (paramBytes + activationBytes + headBytes) / 2 ** 20;
}

function describeCorpus(data: DataConfig): string {
  return JSON.stringify(data.corpus);
}

function formatMb(mb: number): string {
  return mb >= 1024 * 1024 ? `${(mb / 1024 / 1024).toExponential(2)} TiB` : mb >= 1024 ? `${(mb / 1024).toFixed(1)} GiB` : `${Math.round(mb)} MiB`;
}

function summarise(labels: string[]): string {
  return labels.length <= 3 ? labels.join(', ') : `${labels.slice(0, 3).join(', ')} and ${labels.length - 3} more`;
}
