// The output layer and the mean softmax cross-entropy as one differentiable tfjs operation on the
// kernels, the training loss of the fast path: logits = X·W + b, softmax in place, and in
// backward dL/dlogits = (softmax − onehot)/rows, dW = Xᵀ·dL/dlogits, db its column sums and
// dX = dL/dlogits·Wᵀ. The plain path's tfjs ops (../path.ts: crossEntropy) are its oracle.

import * as tf from '@tensorflow/tfjs';
import { type Linear, linearForward, linearGrads } from './linear.js';
import { give, taken, takenInts } from './pool.js';
import { valuesOf } from './products.js';
import { kernels } from './wasm.js';

/** mean cross-entropy of softmax(x·w + b) [rows, V] against `targets`; differentiable in x, w and b */
export function headLoss(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, targets: Int32Array, differentiable: boolean): tf.Scalar {
  const [rows, inputs] = x.shape;
  const vocab = w.shape[1];
  const op = tf.customGrad((xT, wT, bT) => {
    const linear: Linear = { x: taken(valuesOf(xT as tf.Tensor)), w: taken(valuesOf(wT as tf.Tensor)), rows, inputs, width: vocab };
    const ids = takenInts(targets);
    // the logits, then (in place) their softmax, which is all backward needs of them
    const probs = linearForward(linear, valuesOf(bT as tf.Tensor));
    const total = kernels().softmaxCrossEntropy(probs.ptr, ids.ptr, rows, vocab);
    if (!differentiable) give(linear.x, linear.w, ids, probs);
    return {
      value: tf.scalar(total / rows),
      gradFunc: (dy: tf.Tensor) => {
        const scale = (valuesOf(dy)[0] as number) / rows;
        kernels().softmaxCrossEntropyGrad(probs.ptr, ids.ptr, rows, vocab, scale);
        const grads = linearGrads(linear, probs);
        give(linear.x, linear.w, ids, probs);
        return grads;
      },
    };
  });
  return op(x, w, b) as tf.Scalar;
}
