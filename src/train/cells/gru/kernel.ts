// GRU, one time step's elementwise parts (AssemblyScript; ./plain.ts has the equations). Rows of
// xw, acts and dG are [r z h̃] blocks of h per sequence (./spec.ts), G·h wide; H and R⊙H are
// [batch, h]. The candidate's product needs R_t, so a step is two calls around a product, forward
// and backward.

import { madd, oneMinusSquare, put, sigmoid4, sigmoidSlope, tanh4 } from '../../fast/kernels/vector';
import { CANDIDATE, GATES, RESET, UPDATE } from './spec';

/**
 * rz holds H_{t−1}·W_h,rz [batch, 2h] (the blocks before CANDIDATE); writes R_t, Z_t into acts
 * and R_t ⊙ H_{t−1} into rh
 */
export function gruGatesStep(xw: usize, rz: usize, prev: usize, acts: usize, rh: usize, batch: i32, h: i32): void {
  const gate = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const row = <usize>(b * h) << 2;
    const xRow = row * GATES;
    const rzRow = row * CANDIDATE;
    for (let j = 0; j < h; j += 4) {
      const o = <usize>j << 2;
      const r = sigmoid4(f32x4.add(v128.load(xw + xRow + gate * RESET + o), v128.load(rz + rzRow + gate * RESET + o)));
      const z = sigmoid4(f32x4.add(v128.load(xw + xRow + gate * UPDATE + o), v128.load(rz + rzRow + gate * UPDATE + o)));
      const n = h - j;
      put(acts + xRow + gate * RESET + o, r, n);
      put(acts + xRow + gate * UPDATE + o, z, n);
      put(rh + row + o, f32x4.mul(r, v128.load(prev + row + o)), n);
    }
  }
}

/** cand holds (R_t ⊙ H_{t−1})·W_hh [batch, h]; writes H̃_t into acts and H_t */
export function gruOutputStep(xw: usize, cand: usize, prev: usize, acts: usize, ht: usize, batch: i32, h: i32): void {
  const gate = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const row = <usize>(b * h) << 2;
    const xRow = row * GATES;
    for (let j = 0; j < h; j += 4) {
      const o = <usize>j << 2;
      const nv = tanh4(f32x4.add(v128.load(xw + xRow + gate * CANDIDATE + o), v128.load(cand + row + o)));
      const z = v128.load(acts + xRow + gate * UPDATE + o);
      const p = v128.load(prev + row + o);
      const n = h - j;
      put(acts + xRow + gate * CANDIDATE + o, nv, n);
      // Z⊙H + (1 − Z)⊙H̃ = H̃ + Z⊙(H − H̃)
      put(ht + row + o, madd(z, f32x4.sub(p, nv), nv), n);
    }
  }
}

/**
 * First half of a step back: dh = dL/dH_t + dhNext; writes dL/d of the candidate's and Z's
 * pre-activations into dG and leaves dh⊙Z (H_{t−1}'s direct share) in dhNext.
 */
export function gruBackwardOutputStep(dg: usize, dhs: usize, dhNext: usize, prev: usize, acts: usize, batch: i32, h: i32): void {
  const gate = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const row = <usize>(b * h) << 2;
    const xRow = row * GATES;
    for (let j = 0; j < h; j += 4) {
      const o = <usize>j << 2;
      const z = v128.load(acts + xRow + gate * UPDATE + o);
      const nv = v128.load(acts + xRow + gate * CANDIDATE + o);
      const dh = f32x4.add(v128.load(dhs + row + o), v128.load(dhNext + row + o));
      const n = h - j;
      put(dg + xRow + gate * CANDIDATE + o, f32x4.mul(f32x4.sub(dh, f32x4.mul(dh, z)), oneMinusSquare(nv)), n);
      put(dg + xRow + gate * UPDATE + o, f32x4.mul(f32x4.mul(dh, f32x4.sub(v128.load(prev + row + o), nv)), sigmoidSlope(z)), n);
      put(dhNext + row + o, f32x4.mul(dh, z), n);
    }
  }
}

/** Second half: dRh = dL/d(R_t ⊙ H_{t−1}); writes dL/d of R's pre-activation, adds dRh⊙R to dhNext */
export function gruBackwardGatesStep(dg: usize, dRh: usize, prev: usize, acts: usize, dhNext: usize, batch: i32, h: i32): void {
  const gate = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const row = <usize>(b * h) << 2;
    const xRow = row * GATES;
    for (let j = 0; j < h; j += 4) {
      const o = <usize>j << 2;
      const r = v128.load(acts + xRow + gate * RESET + o);
      const d = v128.load(dRh + row + o);
      const n = h - j;
      put(dg + xRow + gate * RESET + o, f32x4.mul(f32x4.mul(d, v128.load(prev + row + o)), sigmoidSlope(r)), n);
      put(dhNext + row + o, madd(d, r, v128.load(dhNext + row + o)), n);
    }
  }
}
