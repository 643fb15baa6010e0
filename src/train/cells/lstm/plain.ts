// Long short-term memory (d2l 9.2), the plain cell. Gate blocks in PyTorch's order (./spec.ts):
// input, forget, cell candidate, output.
//
//   I_t  = σ(X_t W_xi + H_{t−1} W_hi + b_i)
//   F_t  = σ(X_t W_xf + H_{t−1} W_hf + b_f)
//   C̃_t = tanh(X_t W_xc + H_{t−1} W_hc + b_c)
//   O_t  = σ(X_t W_xo + H_{t−1} W_ho + b_o)
//   C_t  = F_t ⊙ C_{t−1} + I_t ⊙ C̃_t
//   H_t  = O_t ⊙ tanh(C_t)
//
// The output at step t is H_t; the state is [H, C].

import * as tf from '@tensorflow/tfjs';
import { matMul } from '../../matmul.js';
import type { CellState, PlainCell } from '../cell.js';
import { CANDIDATE, FORGET, GATES, INPUT, OUTPUT } from './spec.js';

export const lstmCell: PlainCell = {
  run(xw: tf.Tensor2D[], wh: tf.Tensor2D, state: CellState) {
    let h = state[0] as tf.Tensor2D;
    let c = state[1] as tf.Tensor2D;
    const outputs: tf.Tensor2D[] = [];
    for (const x of xw) {
      const g = tf.split(tf.add(x, matMul(h, wh)), GATES, 1) as tf.Tensor2D[];
      const i = tf.sigmoid(g[INPUT] as tf.Tensor2D);
      const f = tf.sigmoid(g[FORGET] as tf.Tensor2D);
      const candidate = tf.tanh(g[CANDIDATE] as tf.Tensor2D);
      const o = tf.sigmoid(g[OUTPUT] as tf.Tensor2D);
      c = tf.add(tf.mul(f, c), tf.mul(i, candidate));
      h = tf.mul(o, tf.tanh(c));
      outputs.push(h);
    }
    return { outputs, state: [h, c] };
  },
};
