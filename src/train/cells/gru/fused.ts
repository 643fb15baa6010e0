// Fused GRU, gate blocks r, z, h̃ (./spec.ts; ./plain.ts has the equations): the time loop on
// ./kernel.ts. The candidate's recurrent product needs R_t first, so W_h is used as two matrices,
// its column blocks W_h,rz [h, 2h] (the blocks before CANDIDATE) and W_hh [h, h].

import { type Buf, at, give, take } from '../../fast/pool.js';
import { columns, gramInto, matrix, packed, packedTranspose, product } from '../../fast/products.js';
import { type FusedCell, type Sequence, previousStates, stepAt } from '../../fast/sequence.js';
import { kernels } from '../../fast/wasm.js';
import { CANDIDATE, GATES } from './spec.js';

export const fusedGru: FusedCell = {
  forward(seq: Sequence, xw: Buf, wh: Buf, state0: Buf[]) {
    const { steps, batch, hidden: h } = seq;
    const block = batch * h;
    const h0 = state0[0] as Buf;
    const whM = matrix(wh, h, GATES * h);
    const whRz = packed(columns(whM, 0, CANDIDATE * h));
    const whH = packed(columns(whM, CANDIDATE * h, h));
    const hs = take(steps * block);
    // saved for BPTT: r, z, h̃ per step ([steps·batch, G·h]) and R_t ⊙ H_{t−1}
    const acts = take(steps * block * GATES);
    const rhs = take(steps * block);
    const rz = take(block * CANDIDATE);
    const cand = take(block);
    let prev = h0.ptr;
    for (let s = 0; s < steps; s++) {
      const off = stepAt(seq, s) * block;
      product(matrix(rz, batch, CANDIDATE * h), matrix(prev, batch, h), whRz);
      kernels().gruGatesStep(at(xw, off * GATES), rz.ptr, prev, at(acts, off * GATES), at(rhs, off), batch, h);
      product(matrix(cand, batch, h), matrix(at(rhs, off), batch, h), whH);
      kernels().gruOutputStep(at(xw, off * GATES), cand.ptr, prev, at(acts, off * GATES), at(hs, off), batch, h);
      prev = at(hs, off);
    }
    give(rz, cand, whRz.buf, whH.buf);
    return {
      hs,
      state: [prev],
      release: () => give(hs, acts, rhs),
      backward(dhs: Buf, dState: Buf[]) {
        const rows = steps * batch;
        // dL/d of the gate pre-activations, which is dL/dxw
        const dG = take(rows * GATES * h);
        const dhNext = dState[0] as Buf;
        const dRh = take(block);
        const prevAll = previousStates(seq, hs, h0);
        const whRzT = packedTranspose(columns(whM, 0, CANDIDATE * h));
        const whHT = packedTranspose(columns(whM, CANDIDATE * h, h));
        for (let s = steps - 1; s >= 0; s--) {
          const off = stepAt(seq, s) * block;
          const dGt = matrix(at(dG, off * GATES), batch, GATES * h);
          kernels().gruBackwardOutputStep(dGt.ptr, at(dhs, off), dhNext.ptr, at(prevAll, off), at(acts, off * GATES), batch, h);
          product(matrix(dRh, batch, h), columns(dGt, CANDIDATE * h, h), whHT);
          kernels().gruBackwardGatesStep(dGt.ptr, dRh.ptr, at(prevAll, off), at(acts, off * GATES), dhNext.ptr, batch, h);
          product(matrix(dhNext, batch, h), columns(dGt, 0, CANDIDATE * h), whRzT, true);
        }
        const dWhBuf = take(h * GATES * h);
        const dWh = matrix(dWhBuf, h, GATES * h);
        const dGAll = matrix(dG, rows, GATES * h);
        gramInto(columns(dWh, 0, CANDIDATE * h), matrix(prevAll, rows, h), columns(dGAll, 0, CANDIDATE * h));
        gramInto(columns(dWh, CANDIDATE * h, h), matrix(rhs, rows, h), columns(dGAll, CANDIDATE * h, h));
        give(whRzT.buf, whHT.buf, dRh, prevAll, hs, acts, rhs);
        return { dxw: dG, dWh: dWhBuf, dState0: [dhNext] };
      },
    };
  },
};
