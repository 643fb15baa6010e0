// Long short-term memory (d2l 9.2), gate blocks in PyTorch's order: input, forget, cell candidate,
// output (G = 4).
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
import { matMul } from '../matmul.js';
import type { Cell, CellState } from './cell.js';
import { CELL_SPEC } from './spec.js';

export const lstmCell: Cell = {
  gates: CELL_SPEC.lstm.gates,
  stateSize: CELL_SPEC.lstm.stateSize,
  run(xw: tf.Tensor2D[], wh: tf.Tensor2D, state: CellState) {
    let h = state[0] as tf.Tensor2D;
    let c = state[1] as tf.Tensor2D;
    const outputs: tf.Tensor2D[] = [];
    for (const x of xw) {
      const [gi, gf, gc, go] = tf.split(tf.add(x, matMul(h, wh)), 4, 1) as tf.Tensor2D[];
      const i = tf.sigmoid(gi as tf.Tensor2D);
      const f = tf.sigmoid(gf as tf.Tensor2D);
      const candidate = tf.tanh(gc as tf.Tensor2D);
      const o = tf.sigmoid(go as tf.Tensor2D);
      c = tf.add(tf.mul(f, c), tf.mul(i, candidate));
      h = tf.mul(o, tf.tanh(c));
      outputs.push(h);
    }
    return { outputs, state: [h, c] };
  },
};
