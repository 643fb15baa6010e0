// Vanilla RNN (d2l 8.4), the plain cell: one gate block (./spec.ts).
//
//   H_t = φ(X_t W_xh + H_{t−1} W_hh + b_h),   φ = tanh (default) or relu
//
// The output at step t is H_t; the state is [H].

import * as tf from '@tensorflow/tfjs';
import { matMul } from '../../matmul.js';
import type { CellState, PlainCell } from '../cell.js';

export function rnnCell(nonlinearity: 'tanh' | 'relu'): PlainCell {
  const phi = nonlinearity === 'relu' ? tf.relu : tf.tanh;
  return {
    run(xw: tf.Tensor2D[], wh: tf.Tensor2D, state: CellState) {
      let h = state[0] as tf.Tensor2D;
      const outputs: tf.Tensor2D[] = [];
      for (const x of xw) {
        h = phi(tf.add(x, matMul(h, wh))) as tf.Tensor2D;
        outputs.push(h);
      }
      return { outputs, state: [h] };
    },
  };
}
