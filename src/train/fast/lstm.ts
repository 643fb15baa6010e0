// Fused LSTM, gate blocks i, f, c̃, o (see ../cells/lstm.ts for the equations).

import * as tf from '@tensorflow/tfjs';
import { give, take } from './pool.js';
import { gram, productInto } from './products.js';
import { type FusedCell, type Sequence, previousStates, sigmoid, stepAt, tanh } from './sequence.js';

export const fusedLstm: FusedCell = {
  gates: 4,
  stateSize: 2,
  forward(seq: Sequence, xw: Float32Array, wh: tf.Tensor2D, state0: Float32Array[]) {
    const { steps, batch, hidden: h } = seq;
    const block = batch * h;
    const [h0, c0] = state0 as [Float32Array, Float32Array];
    const hs = take(steps * block);
    // saved for BPTT: the activated gates, C_t and tanh(C_t)
    const acts = take(steps * block * 4);
    const cs = take(steps * block);
    const tcs = take(steps * block);
    const g = take(block * 4);
    let hPrev = h0;
    let cPrev = c0;
    for (let s = 0; s < steps; s++) {
      const off = stepAt(seq, s) * block;
      productInto(g, hPrev, batch, wh);
      for (let b = 0; b < batch; b++) {
        const gRow = b * 4 * h;
        const xRow = off * 4 + gRow;
        const row = off + b * h;
        for (let j = 0; j < h; j++) {
          const i = sigmoid((xw[xRow + j] as number) + (g[gRow + j] as number));
          const f = sigmoid((xw[xRow + h + j] as number) + (g[gRow + h + j] as number));
          const cc = tanh((xw[xRow + 2 * h + j] as number) + (g[gRow + 2 * h + j] as number));
          const o = sigmoid((xw[xRow + 3 * h + j] as number) + (g[gRow + 3 * h + j] as number));
          const c = f * (cPrev[b * h + j] as number) + i * cc;
          const tc = tanh(c);
          acts[xRow + j] = i;
          acts[xRow + h + j] = f;
          acts[xRow + 2 * h + j] = cc;
          acts[xRow + 3 * h + j] = o;
          cs[row + j] = c;
          tcs[row + j] = tc;
          hs[row + j] = o * tc;
        }
      }
      hPrev = hs.subarray(off, off + block);
      cPrev = cs.subarray(off, off + block);
    }
    give(g);
    return {
      hs,
      state: [hPrev.slice(), cPrev.slice()],
      release: () => give(hs, acts, cs, tcs),
      backward(dhs: Float32Array, dState: Float32Array[]) {
        const dG = take(steps * block * 4);
        const dhNext = (dState[0] as Float32Array).slice();
        const dcNext = (dState[1] as Float32Array).slice();
        const whT = tf.transpose(wh);
        for (let s = steps - 1; s >= 0; s--) {
          const t = stepAt(seq, s);
          const off = t * block;
          const cPrevOff = s === 0 ? -1 : stepAt(seq, s - 1) * block;
          for (let b = 0; b < batch; b++) {
            const gRow = off * 4 + b * 4 * h;
            const row = off + b * h;
            for (let j = 0; j < h; j++) {
              const k = b * h + j;
              const i = acts[gRow + j] as number;
              const f = acts[gRow + h + j] as number;
              const cc = acts[gRow + 2 * h + j] as number;
              const o = acts[gRow + 3 * h + j] as number;
              const tc = tcs[row + j] as number;
              const cPrev = cPrevOff < 0 ? (c0[k] as number) : (cs[cPrevOff + k] as number);
              const dh = (dhs[row + j] as number) + (dhNext[k] as number);
              const dc = (dcNext[k] as number) + dh * o * (1 - tc * tc);
              dcNext[k] = dc * f;
              dG[gRow + j] = dc * cc * i * (1 - i);
              dG[gRow + h + j] = dc * cPrev * f * (1 - f);
              dG[gRow + 2 * h + j] = dc * i * (1 - cc * cc);
              dG[gRow + 3 * h + j] = dh * tc * o * (1 - o);
            }
          }
          productInto(dhNext, dG.subarray(off * 4, (off + block) * 4), batch, whT);
        }
        whT.dispose();
        const prevAll = previousStates(seq, hs, h0);
        const dWh = gram(prevAll, h, dG, 4 * h);
        give(prevAll, hs, acts, cs, tcs);
        return { dxw: dG, dWh, dState0: [dhNext, dcNext] };
      },
    };
  },
};
