// A learned embedding as a row lookup. tfjs-wasm has no gradient for gather, and the one-hot
// product the plain path uses instead costs O(vocabulary) per token: 20k and more for words.

import * as tf from '@tensorflow/tfjs';

/** The rows of `table` [vocab, e] that `ids` pick, [ids.length, e], differentiable in `table`. */
export function embed(ids: Int32Array, table: tf.Tensor2D): tf.Tensor2D {
  const [vocab, width] = table.shape;
  const lookup = tf.customGrad((...args) => ({
    value: tf.tidy(() => tf.gather(args[0] as tf.Tensor2D, tf.tensor1d(ids, 'int32'))),
    // Each row of dy is added into the row of the table it was read from.
    gradFunc: (dy: tf.Tensor) => {
      const d = dy.dataSync() as Float32Array;
      const grad = new Float32Array(vocab * width);
      for (let r = 0; r < ids.length; r++) {
        const dst = (ids[r] as number) * width;
        const src = r * width;
        for (let j = 0; j < width; j++) grad[dst + j] = (grad[dst + j] as number) + (d[src + j] as number);
      }
      return tf.tensor2d(grad, [vocab, width]);
    },
  }));
  return lookup(table) as tf.Tensor2D;
}
