// The training loop, d2l 8.5's train_ch8 / train_epoch_ch8 extended with validation, a learning
// rate schedule, early stopping and periodic samples. State handling is d2l's: every epoch starts
// from a zero state; sequential sampling carries the state from one minibatch to the next (detached:
// each step's gradient tape starts at the carried tensors), random sampling starts every minibatch
// from zero.

import * as tf from '@tensorflow/tfjs';
import type { TrialConfig } from '../config/types.js';
import { type Batch, evalBatches, minimumTrainTokens, randomBatches, sequentialBatches } from '../data/batches.js';
import type { Rng } from '../data/rng.js';
import type { Vocab } from '../data/vocab.js';
import { clipScale, globalNorm } from './clip.js';
import { PROGRESS_INTERVAL_MS, type EpochEvent, type TrainEvent, type TrainResult } from './events.js';
import { sampleText } from './generate.js';
import { type ModelState, type RnnLM, stateTensors } from './model.js';
import { type Optimizer, createOptimizer } from './optimizer.js';
import { learningRate } from './lr-schedule.js';

export interface TrainContext {
  model: RnnLM;
  vocab: Vocab;
  train: Int32Array;
  val: Int32Array;
  config: TrialConfig;
  /** the trial's root stream; the loop forks 'batches', 'dropout' and 'sample' from it */
  rng: Rng;
  onEvent: (e: TrainEvent) => void;
  signal?: AbortSignal;
  /** the least time between two progress events within an epoch */
  progressIntervalMs?: number;
  /** for tests: applied to the model before training and after every update (see TrialOptions) */
  hold?: (model: RnnLM) => void;
}

/** A batch's ids reordered from row-major [batch, steps] to the model's time-major [steps, batch]. */
export function timeMajor(ids: Int32Array, batchSize: number, numSteps: number): Int32Array {
  const out = new Int32Array(ids.length);
  for (let b = 0; b < batchSize; b++) {
    for (let t = 0; t < numSteps; t++) out[t * batchSize + b] = ids[b * numSteps + t] as number;
  }
  return out;
}

export interface StepResult {
  loss: number;
  /** global gradient norm before clipping */
  gradNorm: number;
  /** the final state, kept (the caller disposes it) */
  state: ModelState;
}

/** One minibatch: forward, mean cross-entropy, gradients, clipping, update. */
export function trainStep(
  model: RnnLM,
  optimizer: Optimizer,
  batch: Batch,
  state: ModelState,
  lr: number,
  clipNorm: number,
  dropoutRng?: Rng,
): StepResult {
  const x = timeMajor(batch.x, batch.batchSize, batch.numSteps);
  const y = timeMajor(batch.y, batch.batchSize, batch.numSteps);
  let next: ModelState = [];
  const variables = model.variables;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.loss(x, y, batch.numSteps, state, dropoutRng);
    next = out.state;
    stateTensors(next).forEach((t) => tf.keep(t));
    return out.loss;
  }, variables);
  const gradList = variables.map((v) => grads[v.name] as tf.Tensor);
  const readout = tf.tidy(() => tf.stack([value, globalNorm(gradList)]));
  const [loss, gradNorm] = readout.dataSync() as Float32Array;
  optimizer.step(variables, gradList, lr, clipScale(gradNorm as number, clipNorm));
  tf.dispose([value, readout, ...gradList]);
  return { loss: loss as number, gradNorm: gradNorm as number, state: next };
}

/**
 * exp(mean cross-entropy) over a token stream, scored in evalBatches' sequential partition with
 * the state carried across batches; NaN when the stream has nothing to score.
 */
export function perplexity(model: RnnLM, corpus: Int32Array, batchSize: number, numSteps: number): number {
  const batches = evalBatches(corpus, batchSize, numSteps);
  if (batches.length === 0) return NaN;
  let state = model.beginState((batches[0] as Batch).batchSize);
  let lossSum = 0;
  let count = 0;
  for (const b of batches) {
    const y = timeMajor(b.y, b.batchSize, b.numSteps);
    const out = tf.tidy(() => model.loss(timeMajor(b.x, b.batchSize, b.numSteps), y, b.numSteps, state, undefined, false));
    lossSum += (out.loss.dataSync()[0] as number) * y.length;
    count += y.length;
    out.loss.dispose();
    tf.dispose(stateTensors(state));
    state = out.state;
  }
  tf.dispose(stateTensors(state));
  return Math.exp(lossSum / count);
}

/** Lets a pending abort (delivered as a message to this thread) be seen between minibatches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The loss became NaN or infinite: the trial's settings, not the machine, are to blame (never retried). */
export class DivergedError extends Error {
  override name = 'DivergedError';
}

export async function trainModel(ctx: TrainContext): Promise<TrainResult> {
  const { model, config, onEvent, signal } = ctx;
  const { train: tc, sample } = config;
  const batchRng = ctx.rng.fork('batches');
  const dropoutRng = ctx.rng.fork('dropout');
  const sampleRng = ctx.rng.fork('sample');
  const optimizer = createOptimizer(tc);
  const samples = new Map<string, string>();
  const emitSamples = (epoch: number): void => {
    for (const prefix of sample.prefixes) {
      const text = sampleText(model, ctx.vocab, config.data, prefix, {
        length: sample.length,
        temperature: sample.temperature,
        topK: sample.top_k,
        rng: sampleRng,
      });
      samples.set(prefix, text);
      onEvent({ type: 'sample', epoch, prefix, text });
    }
  };

  const needed = minimumTrainTokens(tc.batch_size, tc.num_steps, tc.sampling);
  if (ctx.train.length < needed) {
    throw new Error(
      `the training split (${ctx.train.length} tokens) is too short for one minibatch of batch_size ` +
        `${tc.batch_size} × num_steps ${tc.num_steps}: with d2l's random offset, ${tc.sampling} sampling needs at least ${needed} tokens`,
    );
  }
  if (tc.early_stopping > 0 && ctx.val.length < 2) {
    throw new Error(`train.early_stopping needs a validation split, and it has ${ctx.val.length} token(s)`);
  }

  let last: EpochEvent | undefined;
  // The best epoch's parameters and figures, restored and reported when early stopping is on.
  let bestEpoch: { event: EpochEvent; values: tf.Tensor[] } | undefined;
  let totalTokens = 0;
  let totalTrainSeconds = 0;
  let best = Infinity;
  let sinceBest = 0;
  let stoppedEarly = false;
  ctx.hold?.(model);
  try {
    for (let epoch = 1; epoch <= tc.epochs; epoch++) {
      const lr = learningRate(tc, epoch);
      const start = performance.now();
      const batches =
        tc.sampling === 'sequential'
          ? sequentialBatches(ctx.train, tc.batch_size, tc.num_steps, batchRng)
          : randomBatches(ctx.train, tc.batch_size, tc.num_steps, batchRng);
      let state: ModelState | null = null;
      let lossSum = 0;
      let tokens = 0;
      let normSum = 0;
      let lastProgress = performance.now();
      try {
        for (const [index, batch] of batches.entries()) {
          await yieldToEventLoop();
          signal?.throwIfAborted();
          if (state === null || tc.sampling === 'random') {
            if (state) tf.dispose(stateTensors(state));
            state = model.beginState(batch.batchSize);
          }
          const step = trainStep(model, optimizer, batch, state, lr, tc.clip_norm, dropoutRng);
          ctx.hold?.(model);
          tf.dispose(stateTensors(state));
          state = step.state;
          lossSum += step.loss * batch.x.length;
          tokens += batch.x.length;
          normSum += step.gradNorm;
          if (performance.now() - lastProgress >= (ctx.progressIntervalMs ?? PROGRESS_INTERVAL_MS)) {
            lastProgress = performance.now();
            onEvent({ type: 'progress', epoch, batch: index + 1, batches: batches.length, trainPerplexity: Math.exp(lossSum / tokens) });
          }
        }
      } finally {
        if (state) tf.dispose(stateTensors(state));
      }
      if (!Number.isFinite(lossSum)) {
        throw new DivergedError(`training diverged in epoch ${epoch}: the loss is ${lossSum} (is train.lr ${lr} too high?)`);
      }
      const trainSeconds = (performance.now() - start) / 1000;
      const valPerplexity = perplexity(model, ctx.val, tc.batch_size, tc.num_steps);
      last = {
        type: 'epoch',
        epoch,
        trainPerplexity: Math.exp(lossSum / tokens),
        valPerplexity,
        tokensPerSecond: tokens / trainSeconds,
        gradNorm: normSum / batches.length,
        lr,
        seconds: (performance.now() - start) / 1000,
      };
      totalTokens += tokens;
      totalTrainSeconds += trainSeconds;
      onEvent(last);

      if (tc.early_stopping > 0) {
        if (valPerplexity < best) {
          best = valPerplexity;
          sinceBest = 0;
          tf.dispose(bestEpoch?.values);
          bestEpoch = { event: last, values: model.variables.map((v) => v.clone()) };
        } else if (++sinceBest >= tc.early_stopping) {
          stoppedEarly = epoch < tc.epochs;
        }
      }
      const finalEpoch = epoch === tc.epochs || stoppedEarly;
      // The model that is sampled last, exported and reported is the best one seen.
      if (finalEpoch && bestEpoch) model.variables.forEach((v, i) => v.assign(bestEpoch!.values[i] as tf.Tensor));
      if (finalEpoch || (sample.every_epochs > 0 && epoch % sample.every_epochs === 0)) emitSamples(epoch);
      if (stoppedEarly) break;
    }
  } finally {
    optimizer.dispose();
    tf.dispose(bestEpoch?.values);
  }
  const reported = bestEpoch?.event ?? last;
  return {
    epochs: last?.epoch ?? 0,
    trainPerplexity: reported?.trainPerplexity ?? NaN,
    valPerplexity: reported?.valPerplexity ?? NaN,
    tokensPerSecond: totalTrainSeconds > 0 ? totalTokens / totalTrainSeconds : NaN,
    stoppedEarly,
    samples: [...samples].map(([prefix, text]) => ({ prefix, text })),
  };
}
