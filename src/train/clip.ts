// d2l 8.5's grad_clipping: the global L2 norm ‖g‖ over all parameters' gradients; when it exceeds
// θ every gradient is scaled by θ/‖g‖. θ = 0 turns clipping off.

import * as tf from '@tensorflow/tfjs';

export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** The factor the gradients are multiplied by, given their global norm. */
export function clipScale(norm: number, theta: number): number {
  return theta > 0 && norm > theta ? theta / norm : 1;
}
