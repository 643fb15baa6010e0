// Fused LSTM, gate blocks i, f, c̃, o (./spec.ts; ./plain.ts has the equations): the time loop on
// ./kernel.ts.

import { type Buf, at, give, take } from '../../fast/pool.js';
import { gramInto, matrix, packed, packedTranspose, product } from '../../fast/products.js';
import { type FusedCell, type Sequence, previousStates, stepAt } from '../../fast/sequence.js';
import { kernels } from '../../fast/wasm.js';
import { GATES } from './spec.js';

export const fusedLstm: FusedCell = {
  forward(seq: Sequence, xw: Buf, wh: Buf, state0: Buf[]) {
    const { steps, batch, hidden: h } = seq;
    const block = batch * h;
    const [h0, c0] = state0 as [Buf, Buf];
    const whM = matrix(wh, h, GATES * h);
    const whP = packed(whM);
    const hs = take(steps * block);
    // saved for BPTT: the activated gates, C_t and tanh(C_t)
    const acts = take(steps * block * GATES);
    const cs = take(steps * block);
    const tcs = take(steps * block);
    const g = take(block * GATES);
    let hPrev = h0.ptr;
    let cPrev = c0.ptr;
    for (let s = 0; s < steps; s++) {
      const off = stepAt(seq, s) * block;
      product(matrix(g, batch, GATES * h), matrix(hPrev, batch, h), whP);
      kernels().lstmForwardStep(at(xw, off * GATES), g.ptr, cPrev, at(acts, off * GATES), at(cs, off), at(tcs, off), at(hs, off), batch, h);
      hPrev = at(hs, off);
      cPrev = at(cs, off);
    }
    give(g, whP.buf);
    return {
      hs,
      state: [hPrev, cPrev],
      release: () => give(hs, acts, cs, tcs),
      backward(dhs: Buf, dState: Buf[]) {
        const dG = take(steps * block * GATES);
        const [dhNext, dcNext] = dState as [Buf, Buf];
        const whT = packedTranspose(whM);
        for (let s = steps - 1; s >= 0; s--) {
          const off = stepAt(seq, s) * block;
          const cBefore = s === 0 ? c0.ptr : at(cs, stepAt(seq, s - 1) * block);
          kernels().lstmBackwardStep(at(dG, off * GATES), at(dhs, off), dhNext.ptr, dcNext.ptr, at(acts, off * GATES), cBefore, at(tcs, off), batch, h);
          product(matrix(dhNext, batch, h), matrix(at(dG, off * GATES), batch, GATES * h), whT);
        }
        const prevAll = previousStates(seq, hs, h0);
        const dWh = take(h * GATES * h);
        gramInto(matrix(dWh, h, GATES * h), matrix(prevAll, steps * batch, h), matrix(dG, steps * batch, GATES * h));
        give(whT.buf, prevAll, hs, acts, cs, tcs);
        return { dxw: dG, dWh, dState0: [dhNext, dcNext] };
      },
    };
  },
};
