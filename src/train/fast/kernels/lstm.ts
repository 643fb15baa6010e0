// LSTM, one time step's elementwise part (see ../../cells/lstm.ts for the equations). Rows of
// xw, acts and dG are [i f c̃ o] blocks of h per sequence, 4h wide; C, tanh(C) and H are [batch, h].

import { madd, oneMinusSquare, put, sigmoid4, sigmoidSlope, tanh4 } from './vector';

/** g holds H_{t−1}·W_h [batch, 4h]; writes the activated gates, C_t, tanh(C_t) and H_t */
export function lstmForwardStep(xw: usize, g: usize, cPrev: usize, acts: usize, c: usize, tc: usize, ht: usize, batch: i32, h: i32): void {
  const gate = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const row = <usize>(b * h) << 2;
    const gRow = row << 2;
    for (let j = 0; j < h; j += 4) {
      const o = <usize>j << 2;
      const x = xw + gRow + o;
      const r = g + gRow + o;
      const i = sigmoid4(f32x4.add(v128.load(x), v128.load(r)));
      const f = sigmoid4(f32x4.add(v128.load(x + gate), v128.load(r + gate)));
      const cc = tanh4(f32x4.add(v128.load(x + 2 * gate), v128.load(r + 2 * gate)));
      const og = sigmoid4(f32x4.add(v128.load(x + 3 * gate), v128.load(r + 3 * gate)));
      const cv = madd(f, v128.load(cPrev + row + o), f32x4.mul(i, cc));
      const tcv = tanh4(cv);
      const n = h - j;
      const a = acts + gRow + o;
      put(a, i, n);
      put(a + gate, f, n);
      put(a + 2 * gate, cc, n);
      put(a + 3 * gate, og, n);
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
    const gRow = row << 2;
    for (let j = 0; j < h; j += 4) {
      const o = <usize>j << 2;
      const a = acts + gRow + o;
      const i = v128.load(a);
      const f = v128.load(a + gate);
      const cc = v128.load(a + 2 * gate);
      const og = v128.load(a + 3 * gate);
      const tcv = v128.load(tc + row + o);
      const dh = f32x4.add(v128.load(dhs + row + o), v128.load(dhNext + row + o));
      const dc = madd(f32x4.mul(dh, og), oneMinusSquare(tcv), v128.load(dcNext + row + o));
      const n = h - j;
      put(dcNext + row + o, f32x4.mul(dc, f), n);
      const d = dg + gRow + o;
      put(d, f32x4.mul(f32x4.mul(dc, cc), sigmoidSlope(i)), n);
      put(d + gate, f32x4.mul(f32x4.mul(dc, v128.load(cPrev + row + o)), sigmoidSlope(f)), n);
      put(d + 2 * gate, f32x4.mul(f32x4.mul(dc, i), oneMinusSquare(cc)), n);
      put(d + 3 * gate, f32x4.mul(f32x4.mul(dh, tcv), sigmoidSlope(og)), n);
    }
  }
}
