// The matrix products of the fused layers, on the kernels' gemm (./kernels/gemm.ts): operands are
// buffers in the kernels' memory, and a gate block of a wider matrix is an operand through its
// row stride. A weight matrix is packed once per layer call and serves every time step. Where
// engine.blas found a faster native BLAS (./blas.ts), the products run there on the same buffers.

import * as tf from '@tensorflow/tfjs';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type Buf, give, take, view } from './pool.js';
import { activeBlas } from './blas.js';
import { kernels } from './wasm.js';

/** A matrix in the kernels' memory: `rows` rows of `cols` floats, `stride` floats apart. */
export interface Matrix {
  ptr: number;
  rows: number;
  cols: number;
  stride: number;
}

/** The whole of a buffer as a [rows, cols] matrix. */
export function matrix(b: Buf | number, rows: number, cols: number): Matrix {
  return { ptr: typeof b === 'number' ? b : b.ptr, rows, cols, stride: cols };
}

/** `cols` columns of m from column `from`: a gate block. */
export function columns(m: Matrix, from: number, cols: number): Matrix {
  return { ptr: m.ptr + from * 4, rows: m.rows, cols, stride: m.stride };
}

/**
 * A right-hand operand [k, n] ready for a product: on the kernels, packed as panels of 8 columns
 * (buf); on a native BLAS (./blas.ts), the matrix itself (src), which BLAS packs as it likes, and
 * buf is empty.
 */
export interface Packed {
  buf: Buf;
  k: number;
  n: number;
  /** for a native product: the operand as it lies in memory; undefined on the kernels */
  src?: Matrix;
}

/** w packed as a right-hand operand; given back with give(packed.buf). */
export function packed(w: Matrix): Packed {
  if (activeBlas()) return { buf: take(0), k: w.rows, n: w.cols, src: w };
  const buf = take(kernels().panelsSize(w.rows, w.cols));
  kernels().packPanels(buf.ptr, w.ptr, w.stride, false, w.rows, w.cols);
  return { buf, k: w.rows, n: w.cols };
}

/**
 * wᵀ packed as a right-hand operand, read from w with no transpose made. A native BLAS gets wᵀ
 * as a copy made here, once per layer call: OpenBLAS reads a transposed operand of BPTT's shape
 * (dG·W_hᵀ, k = 4h) at 50 GFLOP/s and its copy at 79 (Zen 4), and the copy costs ~0.1 ms.
 */
export function packedTranspose(w: Matrix): Packed {
  if (activeBlas()) {
    const buf = take(w.rows * w.cols);
    const memory = new Float32Array(kernels().memory.buffer);
    const src = w.ptr / 4;
    const dst = buf.ptr / 4;
    for (let i = 0; i < w.rows; i++) {
      const row = src + i * w.stride;
      for (let j = 0; j < w.cols; j++) memory[dst + j * w.rows + i] = memory[row + j] as number;
    }
    return { buf, k: w.cols, n: w.rows, src: matrix(buf, w.cols, w.rows) };
  }
  const buf = take(kernels().panelsSize(w.cols, w.rows));
  kernels().packPanels(buf.ptr, w.ptr, w.stride, true, w.cols, w.rows);
  return { buf, k: w.cols, n: w.rows };
}

function gemm(out: Matrix, a: Matrix, aTransposed: boolean, w: Packed, accumulate: boolean): void {
  const m = aTransposed ? a.cols : a.rows;
  if (w.src) {
    const native = activeBlas();
    if (!native) throw new Error('an operand packed for the native BLAS reached the kernels: engine.blas changed within a layer call');
    native.sgemm(aTransposed, false, m, w.n, w.k, a.ptr, a.stride, w.src.ptr, w.src.stride, accumulate ? 1 : 0, out.ptr, out.stride);
    return;
  }
  const scratch = take(kernels().quadsSize(m, w.k));
  kernels().gemm(out.ptr, out.stride, a.ptr, a.stride, aTransposed, w.buf.ptr, m, w.k, w.n, accumulate, scratch.ptr);
  give(scratch);
}

/** out = a·w, or out += a·w when `accumulate` */
export function product(out: Matrix, a: Matrix, w: Packed, accumulate = false): void {
  gemm(out, a, false, w, accumulate);
}

/** out = aᵀ·d for a [n, p] and d [n, q]: a weight gradient summed over n rows. */
export function gramInto(out: Matrix, a: Matrix, d: Matrix): void {
  const panels = packed(d);
  gemm(out, a, true, panels, false);
  give(panels.buf);
}

/**
 * A tensor's values, to read before the tensor is disposed or changed. On wasm they are read
 * where they lie: dataSync would copy them into a fresh array first.
 */
export function valuesOf(t: tf.Tensor): Float32Array {
  const backend = tf.backend();
  return (backend instanceof BackendWasm ? backend.typedArrayFromHeap(t) : t.dataSync()) as Float32Array;
}

/**
 * A tensor holding a copy of b's floats. tfjs-wasm copies a new tensor's values into its own
 * memory at once, so b's view serves with no copy made here (megabytes of garbage per minibatch
 * otherwise); other backends may keep the very array they are given, so they get a copy.
 */
export function tensorOf<R extends tf.Rank>(b: Buf, shape: tf.ShapeMap[R]): tf.Tensor<R> {
  const values = tf.backend() instanceof BackendWasm ? view(b) : view(b).slice();
  return tf.tensor(values, shape, 'float32') as tf.Tensor<R>;
}
