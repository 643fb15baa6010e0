// engine.path: how a model computes its first layer's input, its recurrent layers and its loss,
// and what a trial readies for that. pathFor makes the choice, once per model (model.ts) and
// trial (trial.ts); nothing else asks which path it is on.
//
//   fast   each layer and direction is one fused tfjs operation whose time loop and
//          backpropagation through time run on the WebAssembly kernels (./fast/, and each cell's
//          fused.ts and kernel.ts); one-hot input is read as ids (a row gather of W_x in the first
//          layer), a learned embedding as a row lookup, and the head and the loss are one fused
//          operation that never makes the logits. The default, for training.
//   plain  each cell's per-step tfjs ops (its plain.ts) under tfjs's autodiff; one-hot input as
//          one-hot rows times W_x (the same lookup, with tfjs's own gradients: tfjs-wasm has none
//          for gather), and the loss from the logits. The oracle the fast path is tested against.

import * as tf from '@tensorflow/tfjs';
import type { EngineConfig } from '../config/types.js';
import type { Cell, CellState } from './cells/index.js';
import { type BlasChoice, configureBlas } from './fast/blas.js';
import { embed } from './fast/embedding.js';
import { headLoss } from './fast/head.js';
import { type LayerInput, type LayerWeights, fusedLayer } from './fast/layer.js';
import { startAfresh } from './fast/pool.js';
import { kernelBuild } from './fast/wasm.js';
import { logits, matMul } from './matmul.js';

export type EnginePath = EngineConfig['path'];

export interface ComputePath {
  /**
   * Readies this thread for a trial: the fast path forgets the last trial's kernel buffers and
   * chooses where its matrix products run (engine.blas), which it returns; the plain path has
   * nothing to ready.
   */
  setUp(engine: EngineConfig): BlasChoice | undefined;
  /** the build of the kernels in use, which a trial reports: 'none' on the plain path */
  kernels(): string;
  /** what the first layer reads: the time-major token ids, or their learned embedding's rows */
  input(ids: Int32Array, vocabSize: number, embedding: tf.Tensor2D | undefined): LayerInput;
  /**
   * One layer and direction (`reverse`: the backward direction of a bidirectional layer): H_t
   * of every step in time order, [steps·batch, h], and the final state. `differentiable`:
   * whether a gradient will be taken, for which the fast path keeps what its backward needs.
   */
  layer(
    cell: Cell,
    input: LayerInput,
    steps: number,
    weights: LayerWeights,
    state: CellState,
    reverse: boolean,
    differentiable: boolean,
  ): { hs: tf.Tensor2D; state: CellState };
  /** the mean softmax cross-entropy of the logits x·w + b against the target ids */
  loss(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, targets: Int32Array, differentiable: boolean): tf.Scalar;
}

const fast: ComputePath = {
  setUp(engine) {
    startAfresh();
    return configureBlas(engine.blas);
  },
  kernels: kernelBuild,
  input: (ids, _vocabSize, embedding) => (embedding ? { x: embed(ids, embedding) } : { ids }),
  layer: (cell, input, steps, weights, state, reverse, differentiable) =>
    fusedLayer(cell.fused, cell, input, steps, weights, state, reverse, differentiable),
  loss: headLoss,
};

const plain: ComputePath = {
  setUp: () => undefined,
  kernels: () => 'none',
  input(ids, vocabSize, embedding) {
    const x = tf.oneHot(tf.tensor1d(ids, 'int32'), vocabSize).toFloat() as tf.Tensor2D;
    return { x: embedding ? matMul(x, embedding) : x };
  },
  /** The input projection, then the cell's steps. */
  layer(cell, input, steps, { wx, b, wh }, state, reverse) {
    // input() gives every layer x, never ids
    const x = (input as { x: tf.Tensor2D }).x;
    const xw = tf.add(matMul(x, wx), b) as tf.Tensor2D;
    // tfjs's gradient tape holds on to the very array unstack returns: reorder a copy.
    // (One step needs no unstack, and tfjs's gradient of a one-way unstack fails.)
    const perStep = steps === 1 ? [xw] : [...(tf.unstack(xw.reshape([steps, x.shape[0] / steps, xw.shape[1]])) as tf.Tensor2D[])];
    // The backward direction reads the sequence last step first; its outputs are put back
    // in time order so that step t of both directions is concatenated.
    if (reverse) perStep.reverse();
    const run = cell.plain.run(perStep, wh, state);
    if (reverse) run.outputs.reverse();
    return { hs: tf.concat(run.outputs, 0), state: run.state };
  },
  loss: (x, w, b, targets) => crossEntropy(logits(x, w, b), targets),
};

/** The one place that tells the paths apart. */
export function pathFor(name: EnginePath): ComputePath {
  return name === 'fast' ? fast : plain;
}

/** Mean softmax cross-entropy of logits [n, vocab] against target ids [n]. */
function crossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1]).toFloat();
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}
