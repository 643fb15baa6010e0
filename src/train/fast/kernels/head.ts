// The output layer's softmax cross-entropy over logits [rows, V]. Softmax is computed in place:
// backward needs the probabilities, not the logits.

import { lanesBelow, put, splat } from './vector';

// exp(x) = 2^n · e^r with n = round(x·log2 e) and r = x − n·ln 2 (ln 2 split in two for
// precision), e^r by Cephes' degree-6 polynomial: within 2 float32 ulps on the range used here
// (x ≤ 0, as logits minus their row's maximum are). Below −87, where e^x is under float32's
// smallest normal, x is taken as −87: e^−87 ≈ 1.6e−38 is as good as 0 in a sum that holds 1.
@inline function exp4(x: v128): v128 {
  const v = f32x4.max(x, splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(v, splat(1.44269504088896341)));
  const r = f32x4.sub(f32x4.sub(v, f32x4.mul(n, splat(0.693359375))), f32x4.mul(n, splat(-2.12194440e-4)));
  let p = splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), splat(1));
  // 2^n as a float: n + 127 in the exponent bits
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/**
 * Replaces each row of logits by its softmax and returns the summed cross-entropy against the
 * int32 targets, Σ_r log Σ_j exp(x_rj) − x_r,target, in float64.
 */
export function softmaxCrossEntropy(x: usize, targets: usize, rows: i32, width: i32): f64 {
  const row = <usize>width << 2;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    let tops = splat(-Infinity);
    for (let j = 0; j < width; j += 4) {
      const v = v128.load(x + (<usize>j << 2));
      // lanes past the row's end hold whatever followed it: out of the maximum
      tops = f32x4.max(tops, j + 4 <= width ? v : v128.bitselect(v, splat(-Infinity), lanesBelow(width - j)));
    }
    const top = max(max(f32x4.extract_lane(tops, 0), f32x4.extract_lane(tops, 1)), max(f32x4.extract_lane(tops, 2), f32x4.extract_lane(tops, 3)));
    const target = f32.load(x + (<usize>i32.load(targets + (<usize>r << 2)) << 2));
    // Four partial sums, so that a long row (a word vocabulary) is not summed one float at a time
    let sums = splat(0);
    for (let j = 0; j < width; j += 4) {
      const o = <usize>j << 2;
      const n = width - j;
      let e = exp4(f32x4.sub(v128.load(x + o), splat(top)));
      put(x + o, e, n);
      // lanes past the row's end hold whatever followed it: out of the sum
      if (n < 4) e = v128.and(e, lanesBelow(n));
      sums = f32x4.add(sums, e);
    }
    const sum: f64 =
      <f64>f32x4.extract_lane(sums, 0) + <f64>f32x4.extract_lane(sums, 1) + <f64>f32x4.extract_lane(sums, 2) + <f64>f32x4.extract_lane(sums, 3);
    total += Math.log(sum) + <f64>top - <f64>target;
    const inv = splat(<f32>(1 / sum));
    for (let j = 0; j < width; j += 4) {
      const o = <usize>j << 2;
      put(x + o, f32x4.mul(v128.load(x + o), inv), width - j);
    }
    x += row;
  }
  return total;
}

/** dL/dlogits = (softmax − onehot(target)) · scale, in place over the softmax */
export function softmaxCrossEntropyGrad(p: usize, targets: usize, rows: i32, width: i32, scale: f32): void {
  const row = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j += 4) {
      const o = <usize>j << 2;
      put(p + o, f32x4.mul(v128.load(p + o), splat(scale)), width - j);
    }
    const t = p + (<usize>i32.load(targets + (<usize>r << 2)) << 2);
    f32.store(t, f32.load(t) - scale);
    p += row;
  }
}
