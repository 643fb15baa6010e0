// Fused GRU, gate blocks r, z, h̃ (see ../cells/gru.ts for the equations). The candidate's
// recurrent product needs R_t first, so W_h is used as two matrices, its column blocks
// W_h,rz [h, 2h] and W_hh [h, h].

import { type Buf, at, give, take } from './pool.js';
import { columns, gramInto, matrix, packed, packedTranspose, product } from './products.js';
import { type FusedCell, type Sequence, previousStates, stepAt } from './sequence.js';
import { kernels } from './wasm.js';

export const fusedGru: FusedCell = {
  forward(seq: Sequence, xw: Buf, wh: Buf, state0: Buf[]) {
    const { steps, batch, hidden: h } = seq;
    const block = batch * h;
    const h0 = state0[0] as Buf;
    const whM = matrix(wh, h, 3 * h);
    const whRz = packed(columns(whM, 0, 2 * h));
    const whH = packed(columns(whM, 2 * h, h));
    const hs = take(steps * block);
    // saved for BPTT: r, z, h̃ per step ([steps·batch, 3h]) and R_t ⊙ H_{t−1}
    const acts = take(steps * block * 3);
    const rhs = take(steps * block);
    const rz = take(block * 2);
    const cand = take(block);
    let prev = h0.ptr;
    for (let s = 0; s < steps; s++) {
      const off = stepAt(seq, s) * block;
      product(matrix(rz, batch, 2 * h), matrix(prev, batch, h), whRz);
      kernels().gruGatesStep(at(xw, off * 3), rz.ptr, prev, at(acts, off * 3), at(rhs, off), batch, h);
      product(matrix(cand, batch, h), matrix(at(rhs, off), batch, h), whH);
      kernels().gruOutputStep(at(xw, off * 3), cand.ptr, prev, at(acts, off * 3), at(hs, off), batch, h);
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
        const dG = take(rows * 3 * h);
        const dhNext = dState[0] as Buf;
        const dRh = take(block);
        const prevAll = previousStates(seq, hs, h0);
        const whRzT = packedTranspose(columns(whM, 0, 2 * h));
        const whHT = packedTranspose(columns(whM, 2 * h, h));
        for (let s = steps - 1; s >= 0; s--) {
          const off = stepAt(seq, s) * block;
          const dGt = matrix(at(dG, off * 3), batch, 3 * h);
          kernels().gruBackwardOutputStep(dGt.ptr, at(dhs, off), dhNext.ptr, at(prevAll, off), at(acts, off * 3), batch, h);
          product(matrix(dRh, batch, h), columns(dGt, 2 * h, h), whHT);
          kernels().gruBackwardGatesStep(dGt.ptr, dRh.ptr, at(prevAll, off), at(acts, off * 3), dhNext.ptr, batch, h);
          product(matrix(dhNext, batch, h), columns(dGt, 0, 2 * h), whRzT, true);
        }
        const dWhBuf = take(h * 3 * h);
        const dWh = matrix(dWhBuf, h, 3 * h);
        const dGAll = matrix(dG, rows, 3 * h);
        gramInto(columns(dWh, 0, 2 * h), matrix(prevAll, rows, h), columns(dGAll, 0, 2 * h));
        gramInto(columns(dWh, 2 * h, h), matrix(rhs, rows, h), columns(dGAll, 2 * h, h));
        give(whRzT.buf, whHT.buf, dRh, prevAll, hs, acts, rhs);
        return { dxw: dG, dWh: dWhBuf, dState0: [dhNext] };
      },
    };
  },
};
