// Vanilla RNN, one time step's elementwise part (AssemblyScript; ./plain.ts has the equations).
// One gate block (./spec.ts), so the block is [batch, h] flat; ht arrives holding H_{t−1}·W_h.

import { put, oneMinusSquare, splat, tanh4 } from '../../fast/kernels/vector';

/** H_t = φ(xw_t + H_{t−1}·W_h), in place over ht */
export function rnnForwardStep(ht: usize, xw: usize, count: i32, relu: bool): void {
  for (let i = 0; i < count; i += 4) {
    const o = <usize>i << 2;
    const a = f32x4.add(v128.load(xw + o), v128.load(ht + o));
    put(ht + o, relu ? f32x4.max(a, splat(0)) : tanh4(a), count - i);
  }
}

/** dG_t = (dL/dH_t + dH_next)·φ′, φ′ read off H_t */
export function rnnBackwardStep(dg: usize, dhs: usize, dNext: usize, ht: usize, count: i32, relu: bool): void {
  for (let i = 0; i < count; i += 4) {
    const o = <usize>i << 2;
    const dh = f32x4.add(v128.load(dhs + o), v128.load(dNext + o));
    const hv = v128.load(ht + o);
    const slope = relu ? v128.and(f32x4.gt(hv, splat(0)), splat(1)) : oneMinusSquare(hv);
    put(dg + o, f32x4.mul(dh, slope), count - i);
  }
}
