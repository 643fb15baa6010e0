// Fused vanilla RNN: H_t = φ(xw_t + H_{t−1}·W_h), φ = tanh or relu (see ../cells/rnn.ts).

import * as tf from '@tensorflow/tfjs';
import { give, take } from './pool.js';
import { gram, productInto } from './products.js';
import { type FusedCell, type Sequence, previousStates, stepAt, tanh } from './sequence.js';

export function fusedRnn(nonlinearity: 'tanh' | 'relu'): FusedCell {
  const relu = nonlinearity === 'relu';
  return {
    gates: 1,
    stateSize: 1,
    forward(seq: Sequence, xw: Float32Array, wh: tf.Tensor2D, state0: Float32Array[]) {
      const { steps, batch, hidden } = seq;
      const block = batch * hidden;
      const h0 = state0[0] as Float32Array;
      const hs = take(steps * block);
      const rec = take(block);
      let prev = h0;
      for (let s = 0; s < steps; s++) {
        const off = stepAt(seq, s) * block;
        productInto(rec, prev, batch, wh);
        for (let i = 0; i < block; i++) {
          const a = (xw[off + i] as number) + (rec[i] as number);
          hs[off + i] = relu ? (a > 0 ? a : 0) : tanh(a);
        }
        prev = hs.subarray(off, off + block);
      }
      give(rec);
      return {
        hs,
        state: [prev.slice()],
        release: () => give(hs),
        backward(dhs: Float32Array, dState: Float32Array[]) {
          const dG = take(steps * block);
          let dNext = (dState[0] as Float32Array).slice();
          const whT = tf.transpose(wh);
          for (let s = steps - 1; s >= 0; s--) {
            const off = stepAt(seq, s) * block;
            for (let i = 0; i < block; i++) {
              const dh = (dhs[off + i] as number) + (dNext[i] as number);
              const hv = hs[off + i] as number;
              dG[off + i] = relu ? (hv > 0 ? dh : 0) : dh * (1 - hv * hv);
            }
            productInto(dNext, dG.subarray(off, off + block), batch, whT);
          }
          whT.dispose();
          const prevAll = previousStates(seq, hs, h0);
          const dWh = gram(prevAll, hidden, dG, hidden);
          give(prevAll, hs);
          return { dxw: dG, dWh, dState0: [dNext] };
        },
      };
    },
  };
}
