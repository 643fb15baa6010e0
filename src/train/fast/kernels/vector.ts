// Four float32 lanes at a time, and what every kernel needs to run over rows whose length is not
// a multiple of four: a row's last vector may reach past its end. Loads there read the next
// row (or the slack the allocator leaves after each buffer) into lanes nobody uses; stores write
// only the lanes that belong to the row.

/** Stores the first n lanes of v at p (all four when n ≥ 4). */
@inline export function put(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
    return;
  }
  f32.store(p, f32x4.extract_lane(v, 0));
  if (n > 1) f32.store(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) f32.store(p, f32x4.extract_lane(v, 2), 8);
}

/** All ones in the first n lanes, zeros after: which lanes of a row's last vector are the row's. */
@inline export function lanesBelow(n: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n));
}

@inline export function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/**
 * a·b + c: one fused multiply-add where the engine has relaxed SIMD (kernels-relaxed.wasm; its
 * rounding may then differ from the two-step form's in the last bit, which the tests allow for).
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// Eigen's rational approximation of tanh for float32: a 13/6 odd/even polynomial ratio on
// [−7.9, 7.9], where tanh reaches 1 in float32; a handful of multiplies and one division per four
// lanes, within 3.4e-7 of tanh (measured). With fused multiply-adds it saturates at ±0.99999976
// rather than ±1 (the clamp was tuned for unfused arithmetic): the two builds differ there in the
// last bits, well inside what the gradient and parity tests allow.
const CLAMP: f32 = 7.90531110763549805;

@inline export function tanh4(x: v128): v128 {
  const v = f32x4.min(f32x4.max(x, splat(-CLAMP)), splat(CLAMP));
  const x2 = f32x4.mul(v, v);
  let p = madd(x2, splat(-2.76076847742355e-16), splat(2.00018790482477e-13));
  p = madd(x2, p, splat(-8.60467152213735e-11));
  p = madd(x2, p, splat(5.12229709037114e-8));
  p = madd(x2, p, splat(1.48572235717979e-5));
  p = madd(x2, p, splat(6.37261928875436e-4));
  p = madd(x2, p, splat(4.89352455891786e-3));
  let q = madd(x2, splat(1.19825839466702e-6), splat(1.18534705686654e-4));
  q = madd(x2, q, splat(2.268434632439e-3));
  q = madd(x2, q, splat(4.89352518554385e-3));
  return f32x4.div(f32x4.mul(v, p), q);
}

/**
 * σ(x) = (1 + tanh(x/2)) / 2: accurate to ~2e-7 absolute, not relative (σ(x) for x < −16 comes
 * out 0), which is what a gate needs: it multiplies values of order 1.
 */
@inline export function sigmoid4(x: v128): v128 {
  return madd(splat(0.5), tanh4(f32x4.mul(x, splat(0.5))), splat(0.5));
}

/** 1 − x² */
@inline export function oneMinusSquare(x: v128): v128 {
  return f32x4.sub(splat(1), f32x4.mul(x, x));
}

/** x·(1 − x): σ′ expressed through σ */
@inline export function sigmoidSlope(x: v128): v128 {
  return f32x4.mul(x, f32x4.sub(splat(1), x));
}
