// The output layer and the mean softmax cross-entropy as one differentiable tfjs operation on the
// kernels, the training loss of the fast path: logits = X·W + b, softmax in place, and in
// backward dL/dlogits = (softmax − onehot)/rows, dW = Xᵀ·dL/dlogits, db its column sums and
// dX = dL/dlogits·Wᵀ. The plain path's tfjs ops (model.ts: crossEntropy) are its oracle.

import * as tf from '@tensorflow/tfjs';
import { give, take, taken } from './pool.js';
import { gramInto, matrix, packed, packedTranspose, product, tensorOf, valuesOf } from './products.js';
import { kernels } from './wasm.js';

/** mean cross-entropy of softmax(x·w + b) [rows, V] against `targets`; differentiable in x, w and b */
export function headLoss(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, targets: Int32Array, differentiable: boolean): tf.Scalar {
  const [rows, inputs] = x.shape;
  const vocab = w.shape[1];
  const op = tf.customGrad((xT, wT, bT) => {
    const xBuf = taken(valuesOf(xT as tf.Tensor));
    const wBuf = taken(valuesOf(wT as tf.Tensor));
    const bias = taken(valuesOf(bT as tf.Tensor));
    const ids = take(rows);
    new Int32Array(kernels().memory.buffer, ids.ptr, rows).set(targets);
    const panels = packed(matrix(wBuf, inputs, vocab));
    // the logits, then (in place) their softmax, which is all backward needs of them
    const probs = take(rows * vocab);
    product(matrix(probs, rows, vocab), matrix(xBuf, rows, inputs), panels);
    kernels().addBias(probs.ptr, bias.ptr, rows, vocab);
    const total = kernels().softmaxCrossEntropy(probs.ptr, ids.ptr, rows, vocab);
    give(panels.buf, bias);
    if (!differentiable) give(xBuf, wBuf, ids, probs);
    return {
      value: tf.scalar(total / rows),
      gradFunc: (dy: tf.Tensor) => {
        const scale = (valuesOf(dy)[0] as number) / rows;
        kernels().softmaxCrossEntropyGrad(probs.ptr, ids.ptr, rows, vocab, scale);
        const dW = take(inputs * vocab);
        gramInto(matrix(dW, inputs, vocab), matrix(xBuf, rows, inputs), matrix(probs, rows, vocab));
        const db = take(vocab);
        kernels().columnSums(db.ptr, probs.ptr, rows, vocab);
        const wTransposed = packedTranspose(matrix(wBuf, inputs, vocab));
        const dX = take(rows * inputs);
        product(matrix(dX, rows, inputs), matrix(probs, rows, vocab), wTransposed);
        const grads = [
          tensorOf<tf.Rank.R2>(dX, [rows, inputs]),
          tensorOf<tf.Rank.R2>(dW, [inputs, vocab]),
          tensorOf<tf.Rank.R1>(db, [vocab]),
        ];
        give(wTransposed.buf, dX, dW, db, xBuf, wBuf, ids, probs);
        return grads;
      },
    };
  });
  return op(x, w, b) as tf.Scalar;
}
