// What a fused recurrent cell is: the whole time loop of one layer and direction, forward and
// backward, over buffers in the kernels' memory (./pool.ts), with one matrix product and one
// elementwise kernel call per step and direction (two of each for the GRU), and the weight
// gradient as one product over all steps.
//
// Layout, as in the plain path: time-major rows, row t·batch + b is step t of sequence b; xw holds
// X_t·W_x + b for every step, [steps·batch, G·h]; hs holds H_t for every step in time order.

import { type Buf, at, copyFloats, take } from './pool.js';

export interface Sequence {
  steps: number;
  batch: number;
  hidden: number;
  /** the backward direction of a bidirectional layer reads the steps last to first */
  reverse: boolean;
}

export interface SequenceGrads {
  /** dL/dxw, [steps·batch, G·h] */
  dxw: Buf;
  /** dL/dW_h, [h, G·h] */
  dWh: Buf;
  /** dL/d(initial state), one [batch, h] buffer per state part */
  dState0: Buf[];
}

export interface SequenceRun {
  /** H_t of every step, [steps·batch, h]; the run's own, given back by backward or release */
  hs: Buf;
  /** the final state: the address of one [batch, h] block per state part, in the run's buffers */
  state: number[];
  /**
   * BPTT: given dL/dhs and dL/d(final state); gives the forward's buffers back to the pool. The
   * dState buffers are worked in place and come back as dState0.
   */
  backward(dhs: Buf, dState: Buf[]): SequenceGrads;
  /** gives the buffers kept for backward back to the pool, when no backward will run */
  release(): void;
}

/** A cell's fused time loop (../cells/<cell>/fused.ts); its gate count and state size are its spec's. */
export interface FusedCell {
  /**
   * Runs the recurrence. xw, wh [h, G·h] and state0 stay the caller's: xw is read only here,
   * wh and state0 until the run's backward or release. backward may be called once.
   */
  forward(seq: Sequence, xw: Buf, wh: Buf, state0: Buf[]): SequenceRun;
}

/** The time step processed s-th. */
export function stepAt(seq: Sequence, s: number): number {
  return seq.reverse ? seq.steps - 1 - s : s;
}

/**
 * The state each step started from, stacked in time order: [steps·batch, h]. Row block t is the
 * output of the step processed just before t (or the initial state), so that Σ_t H_{t−1}ᵀ·dG_t
 * is a single product.
 */
export function previousStates(seq: Sequence, hs: Buf, h0: Buf): Buf {
  const block = seq.batch * seq.hidden;
  const out = take(hs.length);
  for (let s = 0; s < seq.steps; s++) {
    copyFloats(at(out, stepAt(seq, s) * block), s === 0 ? h0.ptr : at(hs, stepAt(seq, s - 1) * block), block);
  }
  return out;
}
