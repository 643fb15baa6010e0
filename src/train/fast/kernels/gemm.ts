// Matrix products on row-major float32 matrices with row strides (in elements), so that a gate
// block of a wider matrix is an operand without a copy. Both operands are first packed into the
// order the core reads them: w into panels of 8 columns ([⌈n/8⌉][k][8]), a into quads of 4 rows
// ([⌈m/4⌉][k][4]), both zero-padded. The core then streams memory front to back and computes a
// 4×8 tile of the output in eight vector accumulators: 11 of x64's 16 vector registers, so
// nothing spills. Packed and fused multiply-adds took this from 10–23 to 40–50 GFLOP/s on the
// engine's shapes (one thread, Zen 4), against 22–30 for tfjs-wasm's XNNPACK.

import { madd, put } from './vector';

/** Floats a panel-packed [k, n] matrix takes. */
export function panelsSize(k: i32, n: i32): i32 {
  return ((n + 7) & ~7) * k;
}

/** Floats a quad-packed [m, k] matrix takes. */
export function quadsSize(m: i32, k: i32): i32 {
  return ((m + 3) & ~3) * k;
}

/**
 * dst = w [k, n] as panels of 8 columns; w has row stride ldw or, when `transposed`, is stored as
 * its transpose [n, k] with row stride ldw: BPTT's W_hᵀ, read from W_h with no transpose made.
 */
export function packPanels(dst: usize, w: usize, ldw: i32, transposed: bool, k: i32, n: i32): void {
  const sw = <usize>ldw << 2;
  for (let j = 0; j < n; j += 8) {
    const cols = min(8, n - j);
    for (let p = 0; p < k; p++) {
      if (!transposed && cols == 8) {
        const src = w + <usize>p * sw + (<usize>j << 2);
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      } else {
        v128.store(dst, f32x4.splat(0));
        v128.store(dst, f32x4.splat(0), 16);
        for (let c = 0; c < cols; c++) {
          const src = transposed ? w + <usize>(j + c) * sw + (<usize>p << 2) : w + <usize>p * sw + (<usize>(j + c) << 2);
          f32.store(dst + (<usize>c << 2), f32.load(src));
        }
      }
      dst += 32;
    }
  }
}

/**
 * dst = a [m, k] as quads of 4 rows; or, when `transposed`, a is stored as its transpose [k, m]
 * (row stride lda): the weight gradient Hᵀ·dG reads H [rows, h] that way, with no transpose made.
 */
function packQuads(dst: usize, a: usize, lda: i32, transposed: bool, m: i32, k: i32): void {
  const sa = <usize>lda << 2;
  for (let i = 0; i < m; i += 4) {
    const rows = min(4, m - i);
    let p = 0;
    // A time step's left operand is a full quad of rows: 4×4 blocks turned by shuffles, four
    // vector loads and stores where element by element took 32 scalar moves (~14% of the product
    // at k = 256).
    if (!transposed && rows == 4) {
      const r0 = a + <usize>i * sa;
      for (; p + 4 <= k; p += 4) {
        const o = <usize>p << 2;
        const v0 = v128.load(r0 + o);
        const v1 = v128.load(r0 + sa + o);
        const v2 = v128.load(r0 + 2 * sa + o);
        const v3 = v128.load(r0 + 3 * sa + o);
        const lo01 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
        const lo23 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
        const hi01 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
        const hi23 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
        v128.store(dst, i64x2.shuffle(lo01, lo23, 0, 2));
        v128.store(dst, i64x2.shuffle(lo01, lo23, 1, 3), 16);
        v128.store(dst, i64x2.shuffle(hi01, hi23, 0, 2), 32);
        v128.store(dst, i64x2.shuffle(hi01, hi23, 1, 3), 48);
        dst += 64;
      }
    }
    for (; p < k; p++) {
      if (transposed) {
        const src = a + <usize>p * sa + (<usize>i << 2);
        if (rows == 4) v128.store(dst, v128.load(src));
        else {
          v128.store(dst, f32x4.splat(0));
          for (let r = 0; r < rows; r++) f32.store(dst + (<usize>r << 2), f32.load(src + (<usize>r << 2)));
        }
      } else {
        v128.store(dst, f32x4.splat(0));
        for (let r = 0; r < rows; r++) f32.store(dst + (<usize>r << 2), f32.load(a + (<usize>(i + r)) * sa + (<usize>p << 2)));
      }
      dst += 16;
    }
  }
}

/** Writes row r of a tile (two vectors, `cols` of its 8 columns) to o, added to what is there when `acc`. */
@inline function storeRow(o: usize, c0: v128, c1: v128, cols: i32, acc: bool): void {
  if (acc) {
    c0 = f32x4.add(c0, v128.load(o));
    if (cols > 4) c1 = f32x4.add(c1, v128.load(o, 16));
  }
  put(o, c0, cols);
  if (cols > 4) put(o + 16, c1, cols - 4);
}

/**
 * out[m, n] (row stride ldo) = (acc ? out : 0) + a·w, for a [m, k] (row stride lda; stored
 * transposed when `aTransposed`) and w already packed by packPanels. `scratch` holds
 * quadsSize(m, k) floats.
 */
export function gemm(out: usize, ldo: i32, a: usize, lda: i32, aTransposed: bool, panels: usize, m: i32, k: i32, n: i32, acc: bool, scratch: usize): void {
  packQuads(scratch, a, lda, aTransposed, m, k);
  const so = <usize>ldo << 2;
  const quadBytes = <usize>k << 4;
  for (let j = 0; j < n; j += 8) {
    const cols = min(8, n - j);
    const panel = panels + <usize>j * (<usize>k << 2);
    for (let i = 0; i < m; i += 4) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let wp = panel;
      let ap = scratch + (<usize>i >> 2) * quadBytes;
      const end = ap + quadBytes;
      while (ap < end) {
        const b0 = v128.load(wp);
        const b1 = v128.load(wp, 16);
        let s = v128.load32_splat(ap);
        c00 = madd(s, b0, c00);
        c01 = madd(s, b1, c01);
        s = v128.load32_splat(ap, 4);
        c10 = madd(s, b0, c10);
        c11 = madd(s, b1, c11);
        s = v128.load32_splat(ap, 8);
        c20 = madd(s, b0, c20);
        c21 = madd(s, b1, c21);
        s = v128.load32_splat(ap, 12);
        c30 = madd(s, b0, c30);
        c31 = madd(s, b1, c31);
        wp += 32;
        ap += 16;
      }
      const rows = min(4, m - i);
      const o = out + <usize>i * so + (<usize>j << 2);
      storeRow(o, c00, c01, cols, acc);
      if (rows > 1) storeRow(o + so, c10, c11, cols, acc);
      if (rows > 2) storeRow(o + 2 * so, c20, c21, cols, acc);
      if (rows > 3) storeRow(o + 3 * so, c30, c31, cols, acc);
    }
  }
}
