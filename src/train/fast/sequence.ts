// What a fused recurrent cell is: the whole time loop of one layer and direction, forward and
// backward, on plain Float32Arrays, with one matrix product per step and direction (two for the
// GRU) and the weight gradient as one product over all steps. Everything else per step is
// elementwise JavaScript in float64 arithmetic, stored as float32.
//
// Layout, as in the plain path: time-major rows, row t·batch + b is step t of sequence b; xw holds
// X_t·W_x + b for every step, [steps·batch, G·h]; hs holds H_t for every step in time order.

import type * as tf from '@tensorflow/tfjs';
import { take } from './pool.js';

export interface Sequence {
  steps: number;
  batch: number;
  hidden: number;
  /** the backward direction of a bidirectional layer reads the steps last to first */
  reverse: boolean;
}

export interface SequenceGrads {
  /** dL/dxw, [steps·batch, G·h] */
  dxw: Float32Array;
  /** dL/dW_h, [h, G·h] */
  dWh: tf.Tensor2D;
  /** dL/d(initial state), one [batch, h] array per state part */
  dState0: Float32Array[];
}

export interface SequenceRun {
  /** H_t of every step, [steps·batch, h] */
  hs: Float32Array;
  /** the final state, one [batch, h] array per state part */
  state: Float32Array[];
  /** BPTT: given dL/dhs and dL/d(final state); gives the forward's buffers back to the pool */
  backward(dhs: Float32Array, dState: Float32Array[]): SequenceGrads;
  /** gives the buffers kept for backward back to the pool, when no backward will run */
  release(): void;
}

export interface FusedCell {
  readonly gates: number;
  readonly stateSize: number;
  /** runs the recurrence; the returned run's backward may be called once, while wh is alive */
  forward(seq: Sequence, xw: Float32Array, wh: tf.Tensor2D, state0: Float32Array[]): SequenceRun;
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
export function previousStates(seq: Sequence, hs: Float32Array, h0: Float32Array): Float32Array {
  const block = seq.batch * seq.hidden;
  const out = take(hs.length);
  for (let s = 0; s < seq.steps; s++) {
    const t = stepAt(seq, s);
    out.set(s === 0 ? h0 : hs.subarray(stepAt(seq, s - 1) * block, (stepAt(seq, s - 1) + 1) * block), t * block);
  }
  return out;
}

// Math.exp costs ~20 ns in V8 and would dominate the elementwise work; Eigen's rational
// approximation of tanh (a 13/6 polynomial ratio on [−7.9, 7.9], where tanh reaches 1 in float32)
// costs a third of that and is within 3e-7 of tanh (measured), a few float32 ulps near ±1.
const TANH_CLAMP = 7.90531110763549805;

export function tanh(x: number): number {
  const v = x > TANH_CLAMP ? TANH_CLAMP : x < -TANH_CLAMP ? -TANH_CLAMP : x;
  const x2 = v * v;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p + -8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-8;
  p = x2 * p + 1.48572235717979e-5;
  p = x2 * p + 6.37261928875436e-4;
  p = x2 * p + 4.89352455891786e-3;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = x2 * q + 2.268434632439e-3;
  q = x2 * q + 4.89352518554385e-3;
  return (v * p) / q;
}

/** σ(x) = (1 + tanh(x/2)) / 2 */
export function sigmoid(x: number): number {
  return 0.5 + 0.5 * tanh(0.5 * x);
}
