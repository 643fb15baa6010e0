// The matrix product of the tfjs ops: the plain path's, and the logits' for evaluation and
// generation (the fast path's products run on its own kernels, ./fast/). tfjs-wasm hands matMul
// to XNNPACK only when neither operand is transposed; autodiff's backward products (dY·Bᵀ, Aᵀ·dY)
// ask for transposed operands and fall to a naive loop. Making the transposes explicit keeps
// every product on XNNPACK (measured 2–3.5× per training step on the d2l setup).

import * as tf from '@tensorflow/tfjs';

const product = tf.customGrad((a, b, save) => {
  const lhs = a as tf.Tensor2D;
  const rhs = b as tf.Tensor2D;
  (save as tf.GradSaveFunc)([lhs, rhs]);
  return {
    value: tf.matMul(lhs, rhs),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
});

/** a·b for 2-D tensors, with a gradient whose products have no transposed operands. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return product(a, b) as tf.Tensor2D;
}

/** The output layer's logits x·w + b, [rows, vocab]. */
export function logits(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.add(matMul(x, w), b) as tf.Tensor2D;
}
