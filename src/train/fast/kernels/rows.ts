// A matrix's rows against a vector or a table: a bias added to every row, its gradient (the
// column sums), and a row gather's gradient (the one-hot input's and the learned embedding's:
// each row of dL/dout added into the table row it was read from).

import { put, splat } from './vector';

/** x[r, :] += b for each of `rows` rows of `width` */
export function addBias(x: usize, b: usize, rows: i32, width: i32): void {
  const row = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j += 4) {
      const o = <usize>j << 2;
      put(x + o, f32x4.add(v128.load(x + o), v128.load(b + o)), width - j);
    }
    x += row;
  }
}

/** dW[ids[r], :] += d[r, :] for each row r; ids are int32 */
export function scatterRows(dW: usize, d: usize, ids: usize, rows: i32, width: i32): void {
  const row = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    const dst = dW + <usize>i32.load(ids + (<usize>r << 2)) * row;
    for (let j = 0; j < width; j += 4) {
      const o = <usize>j << 2;
      put(dst + o, f32x4.add(v128.load(dst + o), v128.load(d + o)), width - j);
    }
    d += row;
  }
}

/** out[j] = Σ_r d[r, j]: a bias gradient */
export function columnSums(out: usize, d: usize, rows: i32, width: i32): void {
  const row = <usize>width << 2;
  for (let j = 0; j < width; j += 4) {
    const o = <usize>j << 2;
    let s = splat(0);
    let src = d + o;
    for (let r = 0; r < rows; r++) {
      s = f32x4.add(s, v128.load(src));
      src += row;
    }
    put(out + o, s, width - j);
  }
}
