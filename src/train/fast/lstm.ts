// Fused LSTM, gate blocks i, f, c̃, o (see ../cells/lstm.ts for the equations).

import { type Buf, at, give, take } from './pool.js';
import { gramInto, matrix, packed, packedTranspose, product } from './products.js';
import { type FusedCell, type Sequence, previousStates, stepAt } from './sequence.js';
import { kernels } from './wasm.js';

export const fusedLstm: FusedCell = {
  forward(seq: Sequence, xw: Buf, wh: Buf, state0: Buf[]) {
    const { steps, batch, hidden: h } = seq;
    const block = batch * h;
    const [h0, c0] = state0 as [Buf, Buf];
    const whM = matrix(wh, h, 4 * h);
    const whP = packed(whM);
    const hs = take(steps * block);
    // saved for BPTT: the activated gates, C_t and tanh(C_t)
    const acts = take(steps * block * 4);
    const cs = take(steps * block);
    const tcs = take(steps * block);
    const g = take(block * 4);
    let hPrev = h0.ptr;
    let cPrev = c0.ptr;
    for (let s = 0; s < steps; s++) {
      const off = stepAt(seq, s) * block;
      product(matrix(g, batch, 4 * h), matrix(hPrev, batch, h), whP);
      kernels().lstmForwardStep(at(xw, off * 4), g.ptr, cPrev, at(acts, off * 4), at(cs, off), at(tcs, off), at(hs, off), batch, h);
      hPrev = at(hs, off);
      cPrev = at(cs, off);
    }
    give(g, whP.buf);
    return {
      hs,
      state: [hPrev, cPrev],
      release: () => give(hs, acts, cs, tcs),
      backward(dhs: Buf, dState: Buf[]) {
        const dG = take(steps * block * 4);
        const [dhNext, dcNext] = dState as [Buf, Buf];
        const whT = packedTranspose(whM);
        for (let s = steps - 1; s >= 0; s--) {
          const off = stepAt(seq, s) * block;
          const cBefore = s === 0 ? c0.ptr : at(cs, stepAt(seq, s - 1) * block);
          kernels().lstmBackwardStep(at(dG, off * 4), at(dhs, off), dhNext.ptr, dcNext.ptr, at(acts, off * 4), cBefore, at(tcs, off), batch, h);
          product(matrix(dhNext, batch, h), matrix(at(dG, off * 4), batch, 4 * h), whT);
        }
        const prevAll = previousStates(seq, hs, h0);
        const dWh = take(h * 4 * h);
        gramInto(matrix(dWh, h, 4 * h), matrix(prevAll, steps * batch, h), matrix(dG, steps * batch, 4 * h));
        give(whT.buf, prevAll, hs, acts, cs, tcs);
        return { dxw: dG, dWh, dState0: [dhNext, dcNext] };
      },
    };
  },
};
