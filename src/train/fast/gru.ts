// Fused GRU, gate blocks r, z, h̃ (see ../cells/gru.ts for the equations). The candidate's
// recurrent product needs R_t first, so W_h is used as two matrices: W_h,rz [h, 2h] and W_hh [h, h].

import * as tf from '@tensorflow/tfjs';
import { give, take } from './pool.js';
import { gram, productInto } from './products.js';
import { type FusedCell, type Sequence, previousStates, sigmoid, stepAt, tanh } from './sequence.js';

function splitRecurrent(wh: tf.Tensor2D, h: number): [tf.Tensor2D, tf.Tensor2D] {
  return tf.split(wh, [2 * h, h], 1) as [tf.Tensor2D, tf.Tensor2D];
}

export const fusedGru: FusedCell = {
  gates: 3,
  stateSize: 1,
  forward(seq: Sequence, xw: Float32Array, wh: tf.Tensor2D, state0: Float32Array[]) {
    const { steps, batch, hidden: h } = seq;
    const block = batch * h;
    const h0 = state0[0] as Float32Array;
    const hs = take(steps * block);
    // saved for BPTT: r, z, h̃ per step ([steps·batch, 3h]) and R_t ⊙ H_{t−1}
    const acts = take(steps * block * 3);
    const rhs = take(steps * block);
    const rz = take(block * 2);
    const cand = take(block);
    const [whRz, whH] = splitRecurrent(wh, h);
    let prev = h0;
    for (let s = 0; s < steps; s++) {
      const off = stepAt(seq, s) * block;
      productInto(rz, prev, batch, whRz);
      for (let b = 0; b < batch; b++) {
        const xRow = off * 3 + b * 3 * h;
        for (let j = 0; j < h; j++) {
          const r = sigmoid((xw[xRow + j] as number) + (rz[b * 2 * h + j] as number));
          acts[xRow + j] = r;
          acts[xRow + h + j] = sigmoid((xw[xRow + h + j] as number) + (rz[b * 2 * h + h + j] as number));
          rhs[off + b * h + j] = r * (prev[b * h + j] as number);
        }
      }
      productInto(cand, rhs.subarray(off, off + block), batch, whH);
      for (let b = 0; b < batch; b++) {
        const xRow = off * 3 + b * 3 * h;
        for (let j = 0; j < h; j++) {
          const n = tanh((xw[xRow + 2 * h + j] as number) + (cand[b * h + j] as number));
          const z = acts[xRow + h + j] as number;
          acts[xRow + 2 * h + j] = n;
          hs[off + b * h + j] = z * (prev[b * h + j] as number) + (1 - z) * n;
        }
      }
      prev = hs.subarray(off, off + block);
    }
    tf.dispose([whRz, whH]);
    give(rz, cand);
    return {
      hs,
      state: [prev.slice()],
      release: () => give(hs, acts, rhs),
      backward(dhs: Float32Array, dState: Float32Array[]) {
        // dL/d of the r and z pre-activations, and of the candidate's, kept apart for the products
        const dRz = take(steps * block * 2);
        const dA = take(steps * block);
        const dhNext = (dState[0] as Float32Array).slice();
        const dRh = new Float32Array(block);
        const dFromRz = new Float32Array(block);
        const prevAll = previousStates(seq, hs, h0);
        const [whRzT, whHT] = splitRecurrent(wh, h).map((w) => {
          const t = tf.transpose(w);
          w.dispose();
          return t;
        }) as [tf.Tensor2D, tf.Tensor2D];
        for (let s = steps - 1; s >= 0; s--) {
          const off = stepAt(seq, s) * block;
          for (let b = 0; b < batch; b++) {
            const aRow = off * 3 + b * 3 * h;
            for (let j = 0; j < h; j++) {
              const k = b * h + j;
              const z = acts[aRow + h + j] as number;
              const n = acts[aRow + 2 * h + j] as number;
              const hPrev = prevAll[off + k] as number;
              const dh = (dhs[off + k] as number) + (dhNext[k] as number);
              dA[off + k] = dh * (1 - z) * (1 - n * n);
              dRz[off * 2 + b * 2 * h + h + j] = dh * (hPrev - n) * z * (1 - z);
              dhNext[k] = dh * z;
            }
          }
          productInto(dRh, dA.subarray(off, off + block), batch, whHT);
          for (let b = 0; b < batch; b++) {
            const aRow = off * 3 + b * 3 * h;
            for (let j = 0; j < h; j++) {
              const k = b * h + j;
              const r = acts[aRow + j] as number;
              dRz[off * 2 + b * 2 * h + j] = (dRh[k] as number) * (prevAll[off + k] as number) * r * (1 - r);
              dhNext[k] = (dhNext[k] as number) + (dRh[k] as number) * r;
            }
          }
          productInto(dFromRz, dRz.subarray(off * 2, (off + block) * 2), batch, whRzT);
          for (let k = 0; k < block; k++) dhNext[k] = (dhNext[k] as number) + (dFromRz[k] as number);
        }
        tf.dispose([whRzT, whHT]);
        const dxw = take(steps * block * 3);
        for (let row = 0; row < steps * batch; row++) {
          dxw.set(dRz.subarray(row * 2 * h, (row + 1) * 2 * h), row * 3 * h);
          dxw.set(dA.subarray(row * h, (row + 1) * h), row * 3 * h + 2 * h);
        }
        const dWh = tf.tidy(() => tf.concat([gram(prevAll, h, dRz, 2 * h), gram(rhs, h, dA, h)], 1)) as tf.Tensor2D;
        give(prevAll, hs, acts, rhs, dRz, dA);
        return { dxw, dWh, dState0: [dhNext] };
      },
    };
  },
};
