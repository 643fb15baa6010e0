// The first layer's one-hot input. X·W_x picks rows of W_x, which the host copies into xw (it
// reads them from tfjs's memory); the bias is added here. Its gradient adds rows of dL/dxw into
// the rows of dW_x they came from, and their sum into db.

import { put } from './vector';

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

/** dW[ids[r], :] += d[r, :] and db += d[r, :] for each row r; ids are int32 */
export function scatterRows(dW: usize, db: usize, d: usize, ids: usize, rows: i32, width: i32): void {
  const row = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    const dst = dW + <usize>i32.load(ids + (<usize>r << 2)) * row;
    for (let j = 0; j < width; j += 4) {
      const o = <usize>j << 2;
      const g = v128.load(d + o);
      const n = width - j;
      put(dst + o, f32x4.add(v128.load(dst + o), g), n);
      put(db + o, f32x4.add(v128.load(db + o), g), n);
    }
    d += row;
  }
}
