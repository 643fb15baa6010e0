// Gated recurrent unit (d2l 9.1), gate blocks in PyTorch's order: reset, update, candidate (G = 3).
//
//   R_t  = σ(X_t W_xr + H_{t−1} W_hr + b_r)
//   Z_t  = σ(X_t W_xz + H_{t−1} W_hz + b_z)
//   H̃_t = tanh(X_t W_xh + (R_t ⊙ H_{t−1}) W_hh + b_h)
//   H_t  = Z_t ⊙ H_{t−1} + (1 − Z_t) ⊙ H̃_t
//
// W_h = [W_hr | W_hz | W_hh]. The candidate's recurrent product needs R_t first, so W_h is split
// once per sequence into the reset/update part (one product per step) and W_hh.

import * as tf from '@tensorflow/tfjs';
import { matMul } from '../matmul.js';
import type { Cell, CellState } from './cell.js';
import { CELL_SPEC } from './spec.js';

export const gruCell: Cell = {
  gates: CELL_SPEC.gru.gates,
  stateSize: CELL_SPEC.gru.stateSize,
  run(xw: tf.Tensor2D[], wh: tf.Tensor2D, state: CellState) {
    const hidden = wh.shape[0];
    const [whRz, whH] = tf.split(wh, [2 * hidden, hidden], 1) as [tf.Tensor2D, tf.Tensor2D];
    let h = state[0] as tf.Tensor2D;
    const outputs: tf.Tensor2D[] = [];
    for (const x of xw) {
      const [xr, xz, xh] = tf.split(x, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const [hr, hz] = tf.split(matMul(h, whRz), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const r = tf.sigmoid(tf.add(xr, hr));
      const z = tf.sigmoid(tf.add(xz, hz));
      const candidate = tf.tanh(tf.add(xh, matMul(tf.mul(r, h), whH)));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
      outputs.push(h);
    }
    return { outputs, state: [h] };
  },
};
