// A recurrent language model (d2l 8.6's RNNModel, generalised as chapter 9 does): token ids →
// one-hot (or a learned embedding) → num_layers recurrent layers, each with a forward and, when
// bidirectional, a backward direction whose outputs are concatenated → dropout between layers →
// a linear head → logits. Everything is time-major: row t·batch + b is step t of sequence b, which
// is how the loss and d2l's Y.T.reshape(-1) order targets.

import * as tf from '@tensorflow/tfjs';
import type { EngineConfig, ModelConfig } from '../config/types.js';
import type { Rng } from '../data/rng.js';
import { type Cell, type CellState, cellFor } from './cells/index.js';
import { embed } from './fast/embedding.js';
import { headLoss } from './fast/head.js';
import { type LayerInput, fusedLayer } from './fast/layer.js';
import { initialValues } from './init.js';
import { directionsOf, layerParamName, parameterLayout, sizeOf } from './layout.js';
import { matMul } from './matmul.js';

/** One CellState per layer and direction, at index layer·directions + direction. */
export type ModelState = CellState[];

/**
 * How the recurrent layers are computed. 'fast': each layer and direction is one fused tfjs
 * operation (./fast/), the default for training. 'plain': the cells' per-step tfjs ops under
 * tfjs's autodiff, kept as the oracle the fast path is tested against.
 */
export type EnginePath = EngineConfig['path'];

export class RnnLM {
  readonly cell: Cell;
  readonly directions: number;
  /** in parameterLayout's order */
  readonly params: ReadonlyMap<string, tf.Variable>;

  private constructor(
    readonly config: ModelConfig,
    readonly vocabSize: number,
    params: Map<string, tf.Variable>,
    readonly path: EnginePath,
  ) {
    this.cell = cellFor(config);
    this.directions = directionsOf(config);
    this.params = params;
  }

  /** A freshly initialised model; draws from `rng` in parameterLayout's order. */
  static init(config: ModelConfig, vocabSize: number, rng: Rng, path: EnginePath = 'fast'): RnnLM {
    const values = new Map(initialValues(config, vocabSize, rng).map((v) => [v.spec.name, v.values]));
    return RnnLM.fromValues(config, vocabSize, values, path);
  }

  /** A model holding the given values, one Float32Array per parameter name. */
  static fromValues(
    config: ModelConfig,
    vocabSize: number,
    values: ReadonlyMap<string, Float32Array>,
    path: EnginePath = 'fast',
  ): RnnLM {
    const params = new Map<string, tf.Variable>();
    for (const spec of parameterLayout(config, vocabSize)) {
      const v = values.get(spec.name);
      if (!v || v.length !== sizeOf(spec.shape)) {
        params.forEach((p) => p.dispose());
        throw new Error(`parameter ${spec.name}: expected ${sizeOf(spec.shape)} values of shape [${spec.shape}]`);
      }
      // Unnamed: tfjs variable names are global, and two models (say, a trained one and its
      // reloaded copy) may live side by side. The map key is the parameter's name.
      const initial = tf.tensor(v, spec.shape, 'float32');
      params.set(spec.name, tf.variable(initial, true));
      initial.dispose();
    }
    return new RnnLM(config, vocabSize, params, path);
  }

  get variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  get paramCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  private param(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`no parameter ${name}`);
    return p;
  }

  beginState(batchSize: number): ModelState {
    const n = this.config.num_layers * this.directions;
    return Array.from({ length: n }, () =>
      Array.from({ length: this.cell.stateSize }, () => tf.zeros([batchSize, this.config.hidden_size]) as tf.Tensor2D),
    );
  }

  /**
   * ids: time-major token ids, [steps·batch]. Returns logits [steps·batch, vocab] and the final
   * state, for evaluation and generation: no gradient is taken through them (training takes
   * loss()). With dropoutRng, dropout is applied between layers; without, it is off. The caller
   * owns disposal (tf.tidy, or tf.keep on the state it carries on).
   */
  forward(ids: Int32Array, steps: number, state: ModelState, dropoutRng?: Rng): { logits: tf.Tensor2D; state: ModelState } {
    const body = this.body(ids, steps, state, dropoutRng, false);
    return { logits: this.head(body.x), state: body.state };
  }

  /**
   * The mean cross-entropy of the next-token predictions against `targets` (time-major, as ids),
   * and the final state; arguments as forward's. `differentiable`: whether a gradient will be
   * taken (training), for which the fast path keeps what its backward needs. The fast path
   * computes the head and the loss as one fused operation and never makes the logits.
   */
  loss(
    ids: Int32Array,
    targets: Int32Array,
    steps: number,
    state: ModelState,
    dropoutRng?: Rng,
    differentiable = true,
  ): { loss: tf.Scalar; state: ModelState } {
    const body = this.body(ids, steps, state, dropoutRng, differentiable);
    const loss =
      this.path === 'fast'
        ? headLoss(body.x, this.param('head.W') as tf.Tensor2D, this.param('head.b') as tf.Tensor1D, targets, differentiable)
        : crossEntropy(this.head(body.x), targets);
    return { loss, state: body.state };
  }

  private head(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(matMul(x, this.param('head.W') as tf.Tensor2D), this.param('head.b')) as tf.Tensor2D;
  }

  /** Input, recurrent layers and dropout: the last layer's outputs [steps·batch, h·directions] and the final state. */
  private body(ids: Int32Array, steps: number, state: ModelState, dropoutRng: Rng | undefined, differentiable: boolean): { x: tf.Tensor2D; state: ModelState } {
    const batch = ids.length / steps;
    // The fast path reads one-hot input as ids (a row gather of W_x in the first layer) and a
    // learned embedding as a row lookup; the plain path, the oracle, multiplies one-hot rows, which
    // is the same lookup, differentiable with tfjs's own gradients (tfjs-wasm has none for gather).
    let x: tf.Tensor2D | undefined;
    if (this.path === 'fast') {
      if (this.config.embedding !== 'one_hot') x = embed(ids, this.param('embedding') as tf.Tensor2D);
    } else {
      x = tf.oneHot(tf.tensor1d(ids, 'int32'), this.vocabSize).toFloat() as tf.Tensor2D;
      if (this.config.embedding !== 'one_hot') x = matMul(x, this.param('embedding') as tf.Tensor2D);
    }
    const finalState: ModelState = [];
    for (let layer = 0; layer < this.config.num_layers; layer++) {
      const outputs: tf.Tensor2D[] = [];
      for (let d = 0; d < this.directions; d++) {
        const k = layer * this.directions + d;
        const run =
          this.path === 'fast'
            ? fusedLayer(this.cell.fused, this.cell, x ? { x } : ({ ids } satisfies LayerInput), steps, this.layerWeights(layer, d), state[k] as CellState, d === 1, differentiable)
            : this.plainLayer(x as tf.Tensor2D, steps, batch, layer, d, state[k] as CellState);
        outputs.push(run.hs);
        finalState.push(run.state);
      }
      x = outputs.length === 1 ? (outputs[0] as tf.Tensor2D) : tf.concat(outputs, 1);
      const between = layer < this.config.num_layers - 1;
      if (between && dropoutRng && this.config.dropout > 0) {
        x = tf.dropout(x, this.config.dropout, undefined, dropoutRng.int(0, 2 ** 31 - 1)) as tf.Tensor2D;
      }
    }
    return { x: x as tf.Tensor2D, state: finalState };
  }

  private layerWeights(layer: number, d: number): { wx: tf.Tensor2D; b: tf.Tensor1D; wh: tf.Tensor2D } {
    return {
      wx: this.param(layerParamName(layer, d, 'W_x')) as tf.Tensor2D,
      b: this.param(layerParamName(layer, d, 'b')) as tf.Tensor1D,
      wh: this.param(layerParamName(layer, d, 'W_h')) as tf.Tensor2D,
    };
  }

  /** One layer and direction on the plain path: the input projection, then the cell's steps. */
  private plainLayer(
    x: tf.Tensor2D,
    steps: number,
    batch: number,
    layer: number,
    d: number,
    state: CellState,
  ): { hs: tf.Tensor2D; state: CellState } {
    const { wx, b, wh } = this.layerWeights(layer, d);
    const xw = tf.add(matMul(x, wx), b) as tf.Tensor2D;
    // tfjs's gradient tape holds on to the very array unstack returns: reorder a copy.
    // (One step needs no unstack, and tfjs's gradient of a one-way unstack fails.)
    const perStep = steps === 1 ? [xw] : [...(tf.unstack(xw.reshape([steps, batch, xw.shape[1]])) as tf.Tensor2D[])];
    // The backward direction reads the sequence last step first; its outputs are put back
    // in time order so that step t of both directions is concatenated.
    if (d === 1) perStep.reverse();
    const run = this.cell.plain.run(perStep, wh, state);
    if (d === 1) run.outputs.reverse();
    return { hs: tf.concat(run.outputs, 0), state: run.state };
  }

  dispose(): void {
    this.params.forEach((p) => p.dispose());
  }
}

/** Mean softmax cross-entropy of logits [n, vocab] against target ids [n]. */
export function crossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1]).toFloat();
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** Every tensor of a state, for keeping or disposing. */
export function stateTensors(state: ModelState): tf.Tensor[] {
  return state.flat();
}
