// A linear map Y = X·W + b on the kernels, and its gradients: a recurrent layer's dense input
// projection (./layer.ts) and the output layer (./head.ts) are both one.

import type * as tf from '@tensorflow/tfjs';
import { type Buf, give, take, taken } from './pool.js';
import { gramInto, matrix, packed, packedTranspose, product, tensorOf } from './products.js';
import { kernels } from './wasm.js';

/** X [rows, inputs] and W [inputs, width], copied into the kernels' memory for forward and backward. */
export interface Linear {
  x: Buf;
  w: Buf;
  rows: number;
  inputs: number;
  width: number;
}

/** Y = X·W + b, [rows, width]. */
export function linearForward({ x, w, rows, inputs, width }: Linear, b: Float32Array): Buf {
  const bias = taken(b);
  const panels = packed(matrix(w, inputs, width));
  const y = take(rows * width);
  product(matrix(y, rows, width), matrix(x, rows, inputs), panels);
  kernels().addBias(y.ptr, bias.ptr, rows, width);
  give(bias, panels.buf);
  return y;
}

/** dL/dX = dY·Wᵀ, dL/dW = Xᵀ·dY and dL/db = dY's column sums, given dY [rows, width]. */
export function linearGrads({ x, w, rows, inputs, width }: Linear, dy: Buf): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] {
  const dX = take(rows * inputs);
  const wT = packedTranspose(matrix(w, inputs, width));
  product(matrix(dX, rows, inputs), matrix(dy, rows, width), wT);
  const dW = take(inputs * width);
  gramInto(matrix(dW, inputs, width), matrix(x, rows, inputs), matrix(dy, rows, width));
  const db = take(width);
  kernels().columnSums(db.ptr, dy.ptr, rows, width);
  const grads: [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] = [
    tensorOf<tf.Rank.R2>(dX, [rows, inputs]),
    tensorOf<tf.Rank.R2>(dW, [inputs, width]),
    tensorOf<tf.Rank.R1>(db, [width]),
  ];
  give(wT.buf, dX, dW, db);
  return grads;
}
