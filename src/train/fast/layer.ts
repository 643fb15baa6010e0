// One recurrent layer and direction as a single differentiable tfjs operation (tf.customGrad):
// one forward call runs the whole time loop, one backward call runs BPTT, on the kernels of
// ./wasm.ts instead of dozens of tiny tfjs ops per step on the autodiff tape. Tensors cross into
// the kernels' memory once per call each way. The layer reads either token ids (one-hot input:
// X·W_x is then a row gather of W_x and its gradient a scatter-add, far cheaper than a one-hot
// product) or a dense input X, whose projection X·W_x + b is a linear map (./linear.ts).

import * as tf from '@tensorflow/tfjs';
import type { CellState } from '../cells/cell.js';
import type { CellShape } from '../cells/spec.js';
import { scatteredRows } from './embedding.js';
import { type Linear, linearForward, linearGrads } from './linear.js';
import { type Buf, at, copyFloats, give, take, taken, view } from './pool.js';
import { tensorOf, valuesOf } from './products.js';
import type { FusedCell, Sequence } from './sequence.js';
import { kernels } from './wasm.js';

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
function projectIds(ids: Int32Array, wx: Float32Array, b: Float32Array): Buf {
  const width = b.length;
  const xw = take(ids.length * width);
  const bias = taken(b);
  const out = view(xw);
  for (let r = 0; r < ids.length; r++) {
    const src = (ids[r] as number) * width;
    out.set(wx.subarray(src, src + width), r * width);
  }
  kernels().addBias(xw.ptr, bias.ptr, ids.length, width);
  give(bias);
  return xw;
}

/**
 * dL/dW_x and dL/db for one-hot input: dL/dxw's rows added into the rows of W_x they came from,
 * and db the column sums of dL/dxw.
 */
function oneHotGrads(ids: Int32Array, dxw: Buf, vocab: number, width: number): [tf.Tensor2D, tf.Tensor1D] {
  const dWx = scatteredRows(ids, dxw, vocab, width);
  const db = take(width);
  kernels().columnSums(db.ptr, dxw.ptr, ids.length, width);
  const grads: [tf.Tensor2D, tf.Tensor1D] = [tensorOf<tf.Rank.R2>(dWx, [vocab, width]), tensorOf<tf.Rank.R1>(db, [width])];
  give(dWx, db);
  return grads;
}

/**
 * Runs `cell` over `steps` steps of `input`. Returns H_t for every step in time order,
 * [steps·batch, h], and the final state. Differentiable in the weights, the dense input and the
 * initial state.
 */
export function fusedLayer(
  cell: FusedCell,
  /** the cell's gate count and state size (its spec) */
  shape: CellShape,
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
  const block = batch * hidden;
  const width = shape.gates * hidden;
  const ids = 'ids' in input ? input.ids : undefined;
  // customGrad returns one tensor: H for every step, then the extra state parts' final values.
  const op = tf.customGrad((...args) => {
    args.pop(); // customGrad's save function: backward reads the kernels' copies instead
    const inputs = args as tf.Tensor[];
    const x = ids ? undefined : (inputs[0] as tf.Tensor2D);
    const [wx, b, wh, ...s0] = (ids ? inputs : inputs.slice(1)) as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, ...tf.Tensor2D[]];
    // a dense input is a linear map X·W_x + b over all steps
    const dense: Linear | undefined = x && {
      x: taken(valuesOf(x)),
      w: taken(valuesOf(wx)),
      rows,
      inputs: x.shape[1],
      width,
    };
    const xw = dense ? linearForward(dense, valuesOf(b)) : projectIds(ids as Int32Array, valuesOf(wx), valuesOf(b));
    const whBuf = taken(valuesOf(wh));
    const s0Bufs = s0.map((t) => taken(valuesOf(t)));
    // what backward reads besides the run's own buffers
    const kept = [whBuf, ...s0Bufs, ...(dense ? [dense.x, dense.w] : [])];
    const run = cell.forward(seq, xw, whBuf, s0Bufs);
    give(xw);
    const packed = take(rows * hidden + (shape.stateSize - 1) * block);
    copyFloats(packed.ptr, run.hs.ptr, rows * hidden);
    run.state.slice(1).forEach((ptr, i) => copyFloats(at(packed, rows * hidden + i * block), ptr, block));
    const value = tensorOf<tf.Rank.R2>(packed, [packed.length / hidden, hidden]);
    give(packed);
    // Evaluation and generation never call backward: their buffers go back now, or every
    // validation batch would take training-sized buffers from the pool and keep them.
    if (!differentiable) {
      run.release();
      give(...kept);
    }
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        const dPacked = valuesOf(dy);
        const dhs = taken(dPacked.subarray(0, rows * hidden));
        // H's final value is also a row block of hs: its gradient arrives through dhs
        const dFinalH = take(block);
        view(dFinalH).fill(0);
        const dState = [dFinalH];
        for (let i = 1; i < shape.stateSize; i++) dState.push(taken(dPacked.subarray(rows * hidden + (i - 1) * block, rows * hidden + i * block)));
        const g = run.backward(dhs, dState);
        const common = [
          tensorOf<tf.Rank.R2>(g.dWh, [hidden, width]),
          ...g.dState0.map((d) => tensorOf<tf.Rank.R2>(d, [batch, hidden])),
        ];
        const inputGrads = dense ? linearGrads(dense, g.dxw) : oneHotGrads(ids as Int32Array, g.dxw, wx.shape[0], width);
        give(dhs, g.dxw, g.dWh, ...g.dState0, ...kept);
        return [...inputGrads, ...common];
      },
    };
  });
  const args = [...(ids ? [] : [(input as { x: tf.Tensor2D }).x]), weights.wx, weights.b, weights.wh, ...state0];
  const out = op(...args) as tf.Tensor2D;
  const last = reverse ? 0 : steps - 1;
  const hs = tf.slice(out, [0, 0], [rows, hidden]);
  const state: CellState = [tf.slice(out, [last * batch, 0], [batch, hidden])];
  for (let i = 1; i < shape.stateSize; i++) state.push(tf.slice(out, [rows + (i - 1) * batch, 0], [batch, hidden]));
  return { hs, state };
}
