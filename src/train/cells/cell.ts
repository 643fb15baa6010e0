// What the model asks of a plain cell (./<cell>/plain.ts: tfjs ops per step, under tfjs's autodiff).
// Gate weights are fused: a layer holds one input matrix W_x [in, G·h], one recurrent matrix
// W_h [h, G·h] and one bias b [G·h], G and the blocks' order being the cell's spec
// (./<cell>/spec.ts). The model projects the input for all time steps at once (X·W_x + b, one
// product per layer), so a cell only sees the per-step projections and does the recurrent part.

import type * as tf from '@tensorflow/tfjs';

/** A cell's state: [H] for rnn and gru, [H, C] for lstm; each [batch, h]. */
export type CellState = tf.Tensor2D[];

export interface PlainCell {
  /**
   * Runs the recurrence over the steps in the order given. xw[t] is X_t·W_x + b, [batch, G·h].
   * Returns the hidden state H_t of every step and the final state.
   */
  run(xw: tf.Tensor2D[], wh: tf.Tensor2D, state: CellState): { outputs: tf.Tensor2D[]; state: CellState };
}
