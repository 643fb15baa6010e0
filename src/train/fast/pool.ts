// Buffers in the kernels' memory (./wasm.ts) for the fused layers' per-minibatch data: tens of
// MB per minibatch for an LSTM at 256 hidden. Given-back buffers are reused by exact length, which
// repeats from one minibatch to the next, so after the first minibatch nothing is allocated and
// nothing is left for a garbage collector (which would take the second core a parallel sweep
// needs). A buffer comes back with stale contents: takers write every element before reading it.
//
// A buffer is an address, not a Float32Array: growing the memory detaches every view of it, so
// views are made just before use (view()) and never kept across a take().

import { kernels } from './wasm.js';

export interface Buf {
  /** byte offset in the kernels' memory, 16-byte aligned */
  readonly ptr: number;
  /** float32 elements */
  readonly length: number;
}

// The kernels read up to three floats past a row's end (see kernels/vector.ts): every buffer has a
// vector's worth of slack after it, so that those reads stay inside the memory.
export const SLACK_BYTES = 16;
const PAGE_BYTES = 65536;

const free = new Map<number, number[]>();
/** where the next new buffer goes; set on first use, when the kernels load */
let top: number | undefined;
/** buffers taken and not given back */
let outstanding = 0;

/** A buffer of n floats; its contents are arbitrary. */
export function take(n: number): Buf {
  const reused = free.get(n)?.pop();
  if (reused !== undefined) {
    outstanding++;
    return { ptr: reused, length: n };
  }
  const { memory } = kernels();
  const ptr = top ?? kernels().heapBase();
  const end = ptr + Math.ceil((n * 4 + SLACK_BYTES) / 16) * 16;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE_BYTES));
  top = end;
  outstanding++;
  return { ptr, length: n };
}

/** Returns buffers (from take) that nothing reads any more. */
export function give(...bufs: Buf[]): void {
  for (const b of bufs) {
    outstanding--;
    const list = free.get(b.length) ?? [];
    list.push(b.ptr);
    free.set(b.length, list);
  }
}

/** How many buffers are taken and not given back: 0 between minibatches, or buffers leak. */
export function buffersOut(): number {
  return outstanding;
}

/**
 * Forgets every buffer, taken or given back, so that the next trial in this thread allocates from
 * the start again: the memory then holds the largest trial's buffers, not the buffers of every
 * size a sweep of model sizes ever used (a WebAssembly memory never shrinks), nor those a failed
 * trial left out. A thread runs one trial at a time, so nothing taken before is still in use.
 */
export function startAfresh(): void {
  free.clear();
  top = undefined;
  outstanding = 0;
}

/** A view of b's floats; valid until the next take(). */
export function view(b: Buf): Float32Array {
  return new Float32Array(kernels().memory.buffer, b.ptr, b.length);
}

/** A buffer holding a copy of `values`. */
export function taken(values: Float32Array): Buf {
  const b = take(values.length);
  view(b).set(values);
  return b;
}

/** A buffer holding int32 `values` (token ids for the kernels), one per element. */
export function takenInts(values: Int32Array): Buf {
  const b = take(values.length);
  new Int32Array(kernels().memory.buffer, b.ptr, values.length).set(values);
  return b;
}

/** Copies `count` floats from address `from` to address `to` of the kernels' memory. */
export function copyFloats(to: number, from: number, count: number): void {
  new Float32Array(kernels().memory.buffer).copyWithin(to / 4, from / 4, from / 4 + count);
}

/** The address of element i of b. */
export function at(b: Buf, i: number): number {
  return b.ptr + i * 4;
}
