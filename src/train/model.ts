// A recurrent language model (d2l 8.6's RNNModel, generalised as chapter 9 does): token ids →
// one-hot (or a learned embedding) → num_layers recurrent layers, each with a forward and, when
// bidirectional, a backward direction whose outputs are concatenated → dropout between layers →
// a linear head → logits. Everything is time-major: row t·batch + b is step t of sequence b, which
// is how the loss and d2l's Y.T.reshape(-1) order targets. How the input, the layers and the loss
// are computed is engine.path's (./path.ts); the cell is config.model.cell's (./cells/).

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config/types.js';
import type { Rng } from '../data/rng.js';
import { type Cell, type CellState, cellFor } from './cells/index.js';
import type { LayerInput, LayerWeights } from './fast/layer.js';
import { initialValues } from './init.js';
import { directionsOf, layerParamName, parameterLayout, sizeOf } from './layout.js';
import { logits } from './matmul.js';
import { type ComputePath, type EnginePath, pathFor } from './path.js';

/** One CellState per layer and direction, at index layer·directions + direction. */
export type ModelState = CellState[];

export class RnnLM {
  readonly cell: Cell;
  readonly directions: number;
  /** in parameterLayout's order */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** how the layers and the loss are computed (engine.path) */
  private readonly compute: ComputePath;

  private constructor(
    readonly config: ModelConfig,
    readonly vocabSize: number,
    params: Map<string, tf.Variable>,
    path: EnginePath,
  ) {
    this.cell = cellFor(config);
    this.compute = pathFor(path);
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
    return { logits: logits(body.x, this.param('head.W') as tf.Tensor2D, this.param('head.b') as tf.Tensor1D), state: body.state };
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
    const loss = this.compute.loss(body.x, this.param('head.W') as tf.Tensor2D, this.param('head.b') as tf.Tensor1D, targets, differentiable);
    return { loss, state: body.state };
  }

  /** Input, recurrent layers and dropout: the last layer's outputs [steps·batch, h·directions] and the final state. */
  private body(ids: Int32Array, steps: number, state: ModelState, dropoutRng: Rng | undefined, differentiable: boolean): { x: tf.Tensor2D; state: ModelState } {
    const embedding = this.config.embedding === 'one_hot' ? undefined : (this.param('embedding') as tf.Tensor2D);
    let input: LayerInput = this.compute.input(ids, this.vocabSize, embedding);
    let x: tf.Tensor2D | undefined;
    const finalState: ModelState = [];
    for (let layer = 0; layer < this.config.num_layers; layer++) {
      const outputs: tf.Tensor2D[] = [];
      for (let d = 0; d < this.directions; d++) {
        const k = layer * this.directions + d;
        const run = this.compute.layer(this.cell, input, steps, this.layerWeights(layer, d), state[k] as CellState, d === 1, differentiable);
        outputs.push(run.hs);
        finalState.push(run.state);
      }
      x = outputs.length === 1 ? (outputs[0] as tf.Tensor2D) : tf.concat(outputs, 1);
      const between = layer < this.config.num_layers - 1;
      if (between && dropoutRng && this.config.dropout > 0) {
        x = tf.dropout(x, this.config.dropout, undefined, dropoutRng.int(0, 2 ** 31 - 1)) as tf.Tensor2D;
      }
      input = { x };
    }
    return { x: x as tf.Tensor2D, state: finalState };
  }

  private layerWeights(layer: number, d: number): LayerWeights {
    return {
      wx: this.param(layerParamName(layer, d, 'W_x')) as tf.Tensor2D,
      b: this.param(layerParamName(layer, d, 'b')) as tf.Tensor1D,
      wh: this.param(layerParamName(layer, d, 'W_h')) as tf.Tensor2D,
    };
  }

  dispose(): void {
    this.params.forEach((p) => p.dispose());
  }
}

/** Every tensor of a state, for keeping or disposing. */
export function stateTensors(state: ModelState): tf.Tensor[] {
  return state.flat();
}
