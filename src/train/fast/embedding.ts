// Row lookups in a table [rows, width] and their gradient: the learned embedding's lookup, and the
// one-hot input's X·W_x, which picks rows of W_x (./layer.ts). tfjs-wasm has no gradient for
// gather, and the one-hot product the plain path uses instead costs O(vocabulary) per token: 20k
// and more for words.

import * as tf from '@tensorflow/tfjs';
import { type Buf, give, take, taken, takenInts, view } from './pool.js';
import { tensorOf, valuesOf } from './products.js';
import { kernels } from './wasm.js';

/** dL/dtable for a lookup of `ids`: each row of d [ids.length, width] added into the row it was read from. */
export function scatteredRows(ids: Int32Array, d: Buf, tableRows: number, width: number): Buf {
  const grad = take(tableRows * width);
  view(grad).fill(0);
  const idBuf = takenInts(ids);
  kernels().scatterRows(grad.ptr, d.ptr, idBuf.ptr, ids.length, width);
  give(idBuf);
  return grad;
}

/** The rows of `table` [vocab, e] that `ids` pick, [ids.length, e], differentiable in `table`. */
export function embed(ids: Int32Array, table: tf.Tensor2D): tf.Tensor2D {
  const [vocab, width] = table.shape;
  const lookup = tf.customGrad((...args) => ({
    value: tf.tidy(() => tf.gather(args[0] as tf.Tensor2D, tf.tensor1d(ids, 'int32'))),
    gradFunc: (dy: tf.Tensor) => {
      const d = taken(valuesOf(dy));
      const grad = scatteredRows(ids, d, vocab, width);
      const tensor = tensorOf<tf.Rank.R2>(grad, [vocab, width]);
      give(d, grad);
      return tensor;
    },
  }));
  return lookup(table) as tf.Tensor2D;
}
