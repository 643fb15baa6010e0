// Gated recurrent unit (d2l 9.1), the plain cell. Gate blocks in PyTorch's order (./spec.ts):
// reset, update, candidate.
//
//   R_t  = σ(X_t W_xr + H_{t−1} W_hr + b_r)
//   Z_t  = σ(X_t W_xz + H_{t−1} W_hz + b_z)
//   H̃_t = tanh(X_t W_xh + (R_t ⊙ H_{t−1}) W_hh + b_h)
//   H_t  = Z_t ⊙ H_{t−1} + (1 − Z_t) ⊙ H̃_t
//
// W_h = [W_hr | W_hz | W_hh]. The candidate's recurrent product needs R_t first, so W_h is split
// once per sequence into the reset/update part (the blocks before CANDIDATE, one product per
// step) and W_hh.

import * as tf from '@tensorflow/tfjs';
import { matMul } from '../../matmul.js';
import type { CellState, PlainCell } from '../cell.js';
import { CANDIDATE, GATES, RESET, UPDATE } from './spec.js';

export const gruCell: PlainCell = {
  run(xw: tf.Tensor2D[], wh: tf.Tensor2D, state: CellState) {
    const hidden = wh.shape[0];
    const [whRz, whH] = tf.split(wh, [CANDIDATE * hidden, hidden], 1) as [tf.Tensor2D, tf.Tensor2D];
    let h = state[0] as tf.Tensor2D;
    const outputs: tf.Tensor2D[] = [];
    for (const x of xw) {
      const xg = tf.split(x, GATES, 1) as tf.Tensor2D[];
      // r's and z's recurrent parts: the blocks before the candidate's
      const hg = tf.split(matMul(h, whRz), CANDIDATE, 1) as tf.Tensor2D[];
      const r = tf.sigmoid(tf.add(xg[RESET] as tf.Tensor2D, hg[RESET] as tf.Tensor2D));
      const z = tf.sigmoid(tf.add(xg[UPDATE] as tf.Tensor2D, hg[UPDATE] as tf.Tensor2D));
      const candidate = tf.tanh(tf.add(xg[CANDIDATE] as tf.Tensor2D, matMul(tf.mul(r, h), whH)));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
      outputs.push(h);
    }
    return { outputs, state: [h] };
  },
};
