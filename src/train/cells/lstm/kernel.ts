// LSTM, one time step's elementwise part (AssemblyScript; ./plain.ts has the equations). Rows of
// xw, acts and dG are [i f c̃ o] blocks of h per sequence (./spec.ts), G·h wide; C, tanh(C) and H
// are [batch, h].

import { madd, oneMinusSquare, put, sigmoid4, sigmoidSlope, tanh4 } from '../../fast/kernels/vector';
import { CANDIDATE, FORGET, GATES, INPUT, OUTPUT } from './spec';

/** g holds H_{t−1}·W_h [batch, G·h]; writes the activated gates, C_t, tanh(C_t) and H_t */
export function lstmForwardStep(xw: usize, g: usize, cPrev: usize, acts: usize, c: usize, tc: usize, ht: usize, batch: i32, h: i32): void {
  const gate = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const row = <usize>(b * h) << 2;
    const gRow = row * GATES;
    for (let j = 0; j < h; j += 4) {
      const o = <usize>j << 2;
      const x = xw + gRow + o;
      const r = g + gRow + o;
      const i = sigmoid4(f32x4.add(v128.load(x + gate * INPUT), v128.load(r + gate * INPUT)));
      const f = sigmoid4(f32x4.add(v128.load(x + gate * FORGET), v128.load(r + gate * FORGET)));
      const cc = tanh4(f32x4.add(v128.load(x + gate * CANDIDATE), v128.load(r + gate * CANDIDATE)));
      const og = sigmoid4(f32x4.add(v128.load(x + gate * OUTPUT), v128.load(r + gate * OUTPUT)));
      const cv = madd(f, v128.load(cPrev + row + o), f32x4.mul(i, cc));
      const tcv = tanh4(cv);
      const n = h - j;
      const a = acts + gRow + o;
      put(a + gate * INPUT, i, n);
      put(a + gate * FORGET, f, n);
      put(a + gate * CANDIDATE, cc, n);
      put(a + gate * OUTPUT, og, n);
      put(c + row + o, cv, n);
      put(tc + row + o, tcv, n);
      put(ht + row + o, f32x4.mul(og, tcv), n);
    }
  }
}

/**
 * Given dL/dH_t from above (dhs) and from step t+1 (dhNext) and dL/dC_t from step t+1 (dcNext,
 * replaced by dL/dC_{t−1}), writes dL/d(gate pre-activations) into dG.
 */
export function lstmBackwardStep(dg: usize, dhs: usize, dhNext: usize, dcNext: usize, acts: usize, cPrev: usize, tc: usize, batch: i32, h: i32): void {
  const gate = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const row = <usize>(b * h) << 2;
    const gRow = row * GATES;
    for (let j = 0; j < h; j += 4) {
      const o = <usize>j << 2;
      const a = acts + gRow + o;
      const i = v128.load(a + gate * INPUT);
      const f = v128.load(a + gate * FORGET);
      const cc = v128.load(a + gate * CANDIDATE);
      const og = v128.load(a + gate * OUTPUT);
      const tcv = v128.load(tc + row + o);
      const dh = f32x4.add(v128.load(dhs + row + o), v128.load(dhNext + row + o));
      const dc = madd(f32x4.mul(dh, og), oneMinusSquare(tcv), v128.load(dcNext + row + o));
      const n = h - j;
      put(dcNext + row + o, f32x4.mul(dc, f), n);
      const d = dg + gRow + o;
      put(d + gate * INPUT, f32x4.mul(f32x4.mul(dc, cc), sigmoidSlope(i)), n);
      put(d + gate * FORGET, f32x4.mul(f32x4.mul(dc, v128.load(cPrev + row + o)), sigmoidSlope(f)), n);
      put(d + gate * CANDIDATE, f32x4.mul(f32x4.mul(dc, i), oneMinusSquare(cc)), n);
      put(d + gate * OUTPUT, f32x4.mul(f32x4.mul(dh, tcv), sigmoidSlope(og)), n);
    }
  }
}
