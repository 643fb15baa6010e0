// Which tfjs backend a trial trains on. wasm is the default: tfjs's pure-JS cpu backend trains about
// 10× slower, and tfjs-node (libtensorflow) is an optional install that often cannot be had.

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { TENSORFLOW_PACKAGES } from './tensorflow-packages.js';

export type BackendChoice = 'auto' | 'wasm' | 'cpu' | 'tensorflow';

/**
 * tfjs-node registers its 'tensorflow' backend as a side effect of being imported. The package
 * names are computed so TypeScript does not demand them at build time: they are optional.
 */
async function loadTensorflowBackend(): Promise<void> {
  const failures: string[] = [];
  for (const pkg of TENSORFLOW_PACKAGES) {
    try {
      await import(pkg);
      if (tf.findBackend('tensorflow')) return;
      failures.push(`${pkg} loaded but registered no 'tensorflow' backend`);
    } catch (err) {
      failures.push(`${pkg}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `engine.backend 'tensorflow' needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node installed ` +
      `(${failures.join('; ')}); use 'wasm' or 'auto'`,
  );
}

async function tryBackend(name: 'wasm' | 'cpu' | 'tensorflow'): Promise<void> {
  if (name === 'tensorflow' && !tf.findBackend('tensorflow')) await loadTensorflowBackend();
  if (!(await tf.setBackend(name))) throw new Error(`the tfjs '${name}' backend failed to initialise`);
  await tf.ready();
}

/** Selects the backend for this thread and returns the name of the one in use. */
export async function initBackend(choice: BackendChoice): Promise<string> {
  const order: ('wasm' | 'cpu' | 'tensorflow')[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  let lastError: Error | undefined;
  for (const name of order) {
    try {
      await tryBackend(name);
      return tf.getBackend();
    } catch (err) {
      lastError = err as Error;
    }
  }
  throw lastError ?? new Error('no tfjs backend could be initialised');
}
