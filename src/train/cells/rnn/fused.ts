// Fused vanilla RNN: H_t = φ(xw_t + H_{t−1}·W_h), φ = tanh or relu (./plain.ts), the time loop on
// ./kernel.ts. One gate block (./spec.ts): xw, dG and H are all [steps·batch, h].

import { type Buf, at, give, take } from '../../fast/pool.js';
import { gramInto, matrix, packed, packedTranspose, product } from '../../fast/products.js';
import { type FusedCell, type Sequence, previousStates, stepAt } from '../../fast/sequence.js';
import { kernels } from '../../fast/wasm.js';

export function fusedRnn(nonlinearity: 'tanh' | 'relu'): FusedCell {
  const relu = nonlinearity === 'relu';
  return {
    forward(seq: Sequence, xw: Buf, wh: Buf, state0: Buf[]) {
      const { steps, batch, hidden: h } = seq;
      const block = batch * h;
      const h0 = state0[0] as Buf;
      const whM = matrix(wh, h, h);
      const whP = packed(whM);
      const hs = take(steps * block);
      let prev = h0.ptr;
      for (let s = 0; s < steps; s++) {
        const off = stepAt(seq, s) * block;
        const ht = at(hs, off);
        product(matrix(ht, batch, h), matrix(prev, batch, h), whP);
        kernels().rnnForwardStep(ht, at(xw, off), block, relu);
        prev = ht;
      }
      give(whP.buf);
      return {
        hs,
        state: [prev],
        release: () => give(hs),
        backward(dhs: Buf, dState: Buf[]) {
          const dG = take(steps * block);
          const dNext = dState[0] as Buf;
          const whT = packedTranspose(whM);
          for (let s = steps - 1; s >= 0; s--) {
            const off = stepAt(seq, s) * block;
            kernels().rnnBackwardStep(at(dG, off), at(dhs, off), dNext.ptr, at(hs, off), block, relu);
            product(matrix(dNext, batch, h), matrix(at(dG, off), batch, h), whT);
          }
          const prevAll = previousStates(seq, hs, h0);
          const dWh = take(h * h);
          gramInto(matrix(dWh, h, h), matrix(prevAll, steps * batch, h), matrix(dG, steps * batch, h));
          give(whT.buf, prevAll, hs);
          return { dxw: dG, dWh, dState0: [dNext] };
        },
      };
    },
  };
}
