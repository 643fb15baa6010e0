// Reused Float32Arrays for the fused layers' per-minibatch buffers (tens of MB per minibatch for an
// LSTM at 256 hidden). Allocating them afresh made V8 collect garbage on a second core, which a
// parallel sweep needs for its other worker. A buffer comes back with stale contents: takers
// write every element before reading it. Only buffers no tensor refers to any longer are given
// back (tfjs's cpu backend keeps the very array a tensor was made from). Per thread, bounded.

const MAX_POOLED_BYTES = 128 * 2 ** 20;
const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/** A Float32Array of length n, from the pool when one is free; its contents are arbitrary. */
export function take(n: number): Float32Array {
  const reused = free.get(n)?.pop();
  if (!reused) return new Float32Array(n);
  pooledBytes -= reused.byteLength;
  return reused;
}

/** Returns whole arrays (from take) that nothing reads any more. */
export function give(...arrays: Float32Array[]): void {
  for (const a of arrays) {
    if (pooledBytes + a.byteLength > MAX_POOLED_BYTES) continue;
    const list = free.get(a.length) ?? [];
    list.push(a);
    free.set(a.length, list);
    pooledBytes += a.byteLength;
  }
}
