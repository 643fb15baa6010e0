// One recurrent layer and direction as a single differentiable tfjs operation (tf.customGrad):
// one forward call runs the whole time loop, one backward call runs BPTT, instead of dozens of
// tiny tfjs ops per step on the autodiff tape. The layer reads either token ids (one-hot input:
// X·W_x is then a row gather of W_x and its gradient a scatter-add, far cheaper than a one-hot
// product) or a dense input X, whose projection X·W_x and gradients are one product each.

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../config/types.js';
import type { CellState } from '../cells/index.js';
import { fusedGru } from './gru.js';
import { fusedLstm } from './lstm.js';
import { give, take } from './pool.js';
import { gram, valuesOf } from './products.js';
import { fusedRnn } from './rnn.js';
import type { FusedCell, Sequence } from './sequence.js';

export function fusedCellFor(model: Pick<ModelConfig, 'cell' | 'nonlinearity'>): FusedCell {
  switch (model.cell) {
    case 'rnn':
      return fusedRnn(model.nonlinearity);
    case 'gru':
      return fusedGru;
    case 'lstm':
      return fusedLstm;
  }
}

/** What the layer reads: token ids (one-hot, [steps·batch]) or a dense input [steps·batch, in]. */
export type LayerInput = { ids: Int32Array } | { x: tf.Tensor2D };

export interface LayerWeights {
  wx: tf.Tensor2D;
  b: tf.Tensor1D;
  wh: tf.Tensor2D;
}

/**
 * xw = X·W_x + b, [rows, G·h], for one-hot X: the rows of W_x the ids pick, plus b. Only those rows
 * are read: W_x has a row per vocabulary entry, 20k and more for words.
 */
function projectIds(ids: Int32Array, wx: Float32Array, b: Float32Array): Float32Array {
  const width = b.length;
  const out = take(ids.length * width);
  for (let r = 0; r < ids.length; r++) {
    const src = (ids[r] as number) * width;
    const dst = r * width;
    for (let j = 0; j < width; j++) out[dst + j] = (wx[src + j] as number) + (b[j] as number);
  }
  return out;
}

function projectDense(x: tf.Tensor2D, wx: tf.Tensor2D, b: tf.Tensor1D): Float32Array {
  // Read outside tidy: tidy walks what its function returns, and a typed array it walks index by
  // index (seconds per epoch for [rows, G·h]).
  const xw = tf.tidy(() => tf.add(tf.matMul(x, wx), b));
  const values = xw.dataSync() as Float32Array;
  xw.dispose();
  return values;
}

/**
 * dL/dW_x and dL/db for one-hot input: dL/dxw's rows added into the rows of W_x they came from,
 * and db the column sums of dL/dxw.
 */
function oneHotGrads(ids: Int32Array, d: Float32Array, vocab: number, width: number): [tf.Tensor2D, tf.Tensor1D] {
  const dWx = new Float32Array(vocab * width);
  const db = new Float32Array(width);
  for (let r = 0; r < ids.length; r++) {
    const dst = (ids[r] as number) * width;
    const src = r * width;
    for (let j = 0; j < width; j++) {
      const g = d[src + j] as number;
      dWx[dst + j] = (dWx[dst + j] as number) + g;
      db[j] = (db[j] as number) + g;
    }
  }
  return [tf.tensor2d(dWx, [vocab, width]), tf.tensor1d(db)];
}

/** dL/dX, dL/dW_x and dL/db for a dense input X: two products and a column sum. */
function denseGrads(x: tf.Tensor2D, wx: tf.Tensor2D, d: Float32Array): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] {
  return tf.tidy(() => {
    const dxw = tf.tensor2d(d, [x.shape[0], wx.shape[1]]);
    return [tf.matMul(dxw, tf.transpose(wx)), gram(x.dataSync() as Float32Array, x.shape[1], d, wx.shape[1]), tf.sum(dxw, 0)];
  });
}

/**
 * Runs `cell` over `steps` steps of `input`. Returns H_t for every step in time order,
 * [steps·batch, h], and the final state. Differentiable in the weights, the dense input and the
 * initial state.
 */
export function fusedLayer(
  cell: FusedCell,
  input: LayerInput,
  steps: number,
  weights: LayerWeights,
  state0: CellState,
  reverse: boolean,
  /** whether a gradient may be taken: the forward then keeps what backward needs */
  differentiable: boolean,
): { hs: tf.Tensor2D; state: CellState } {
  const [batch, hidden] = (state0[0] as tf.Tensor2D).shape;
  const seq: Sequence = { steps, batch, hidden, reverse };
  const rows = steps * batch;
  const width = cell.gates * hidden;
  const ids = 'ids' in input ? input.ids : undefined;
  // customGrad returns one tensor: H for every step, then the extra state parts' final values.
  const op = tf.customGrad((...args) => {
    const save = args.pop() as tf.GradSaveFunc;
    const inputs = args as tf.Tensor[];
    const x = ids ? undefined : (inputs[0] as tf.Tensor2D);
    const [wx, b, wh, ...s0] = (ids ? inputs : inputs.slice(1)) as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, ...tf.Tensor2D[]];
    if (x) save([x]);
    const xw = ids ? projectIds(ids, valuesOf(wx), b.dataSync() as Float32Array) : projectDense(x as tf.Tensor2D, wx, b);
    const run = cell.forward(seq, xw, wh, s0.map((t) => t.dataSync() as Float32Array));
    if (ids) give(xw);
    const packed = new Float32Array((rows + (cell.stateSize - 1) * batch) * hidden);
    packed.set(run.hs);
    run.state.slice(1).forEach((part, i) => packed.set(part, (rows + i * batch) * hidden));
    // Evaluation and generation never call backward: their buffers go back now, or every
    // validation batch would take training-sized buffers from the pool and drop them.
    if (!differentiable) run.release();
    return {
      value: tf.tensor2d(packed, [packed.length / hidden, hidden]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dPacked = dy.dataSync() as Float32Array;
        const dState = [new Float32Array(batch * hidden)];
        for (let i = 1; i < cell.stateSize; i++) {
          dState.push(dPacked.slice((rows + (i - 1) * batch) * hidden, (rows + i * batch) * hidden));
        }
        const g = run.backward(dPacked.subarray(0, rows * hidden), dState);
        const common = [g.dWh, ...g.dState0.map((d) => tf.tensor2d(d, [batch, hidden]))];
        const inputGrads = ids ? oneHotGrads(ids, g.dxw, wx.shape[0], width) : denseGrads(saved[0] as tf.Tensor2D, wx, g.dxw);
        give(g.dxw);
        return [...inputGrads, ...common];
      },
    };
  });
  const args = [...(ids ? [] : [(input as { x: tf.Tensor2D }).x]), weights.wx, weights.b, weights.wh, ...state0];
  const out = op(...args) as tf.Tensor2D;
  const last = reverse ? 0 : steps - 1;
  const hs = tf.slice(out, [0, 0], [rows, hidden]);
  const state: CellState = [tf.slice(out, [last * batch, 0], [batch, hidden])];
  for (let i = 1; i < cell.stateSize; i++) state.push(tf.slice(out, [rows + (i - 1) * batch, 0], [batch, hidden]));
  return { hs, state };
}
