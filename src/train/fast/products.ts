// The matrix products of the fused layers. They run on whatever tfjs backend is active (on wasm:
// XNNPACK's SIMD GEMM, measured at 22–30 GFLOP/s for this engine's shapes) with JavaScript
// buffers on the left and no transposed operand: tfjs-wasm leaves XNNPACK for a naive loop
// (1–2 GFLOP/s) as soon as either operand is transposed, so transposes are made explicitly.

import * as tf from '@tensorflow/tfjs';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { give, take } from './pool.js';

/** out[m, n] = a[m, k] · w[k, n]; `a` and `out` are row-major views. */
export function productInto(out: Float32Array, a: Float32Array, m: number, w: tf.Tensor2D): void {
  const [k] = w.shape;
  const lhs = tf.tensor2d(a, [m, k]);
  const res = tf.matMul(lhs, w);
  out.set(valuesOf(res));
  lhs.dispose();
  res.dispose();
}

/**
 * A tensor's values, to read before the tensor is disposed or changed. On wasm they are read
 * where they lie: dataSync would copy them into a fresh array first, 70+ garbage arrays per
 * minibatch for the collector.
 */
export function valuesOf(t: tf.Tensor): Float32Array {
  const backend = tf.backend();
  return (backend instanceof BackendWasm ? backend.typedArrayFromHeap(t) : t.dataSync()) as Float32Array;
}

/** a[rows, cols] transposed into a new [cols, rows] array. */
export function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = take(a.length);
  // Blocked so that both the reads and the writes stay within a few cache lines.
  const blk = 32;
  for (let i0 = 0; i0 < rows; i0 += blk) {
    const i1 = Math.min(i0 + blk, rows);
    for (let j0 = 0; j0 < cols; j0 += blk) {
      const j1 = Math.min(j0 + blk, cols);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) out[j * rows + i] = a[i * cols + j] as number;
      }
    }
  }
  return out;
}

/** aᵀ·d as a tensor [p, q], for a [n, p] and d [n, q]: a weight gradient summed over n rows. */
export function gram(a: Float32Array, p: number, d: Float32Array, q: number): tf.Tensor2D {
  const n = a.length / p;
  const aT = transposed(a, n, p);
  const product = tf.tidy(() => tf.matMul(tf.tensor2d(aT, [p, n]), tf.tensor2d(d, [n, q]))) as tf.Tensor2D;
  give(aT);
  return product;
}
