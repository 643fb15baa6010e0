// The live view's ETA: unknown until something is measured, then from a cost model calibrated on
// the sweep's own epochs (seconds per parameter × training token).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SweepEvent, TrialRef } from '../src/scheduler/events.js';
import { secondsPerUnit, sweepRemaining, trialRemaining } from '../src/report/eta.js';
import { SweepState, type TrialSize } from '../src/report/state.js';
import { LSTM, PAUSE_AT, scriptedSweep, T0, trialRef } from './support/view-script.js';

const s = (seconds: number): number => T0 + seconds * 1000;
const ref = (name: string): TrialRef => trialRef(name, `${name}0000000`.slice(0, 10));
const A = ref('a');
const B = ref('b');
const C = ref('c');
const D = ref('d');

function feed(state: SweepState, events: SweepEvent[]): SweepState {
  for (const e of events) state.apply(e);
  return state;
}

const start = (trials: number, workers: number): SweepEvent => ({
  type: 'sweep-start', time: s(0), experiment: 'e', location: './runs', trials, toTrain: trials, reused: 0, workers,
});
const setup = (t: number, trial: TrialRef, paramCount: number): SweepEvent => ({
  type: 'setup', time: s(t), trial, vocabSize: 28, paramCount, backend: 'wasm', kernels: 'simd', blas: 'wasm', trainTokens: 1000, valTokens: 100, unknownShare: 0,
});
const epoch = (t: number, trial: TrialRef, n: number, seconds: number): SweepEvent => ({
  type: 'epoch', time: s(t), trial, epoch: n, trainPerplexity: 5, valPerplexity: 6, tokensPerSecond: 1, gradNorm: 1, lr: 1, seconds,
});

test('before anything is measured, every ETA is unknown', () => {
  const state = feed(new SweepState(), [
    start(3, 2),
    { type: 'trial-start', time: s(0), trial: A, attempt: 1 },
    { type: 'trial-start', time: s(0), trial: B, attempt: 1 },
    setup(1, A, 100),
    setup(1, B, 200),
  ]);
  assert.equal(secondsPerUnit(state), undefined);
  for (const t of state.running) assert.equal(trialRemaining(state, t, s(5)), undefined);
  assert.equal(sweepRemaining(state, s(5)), undefined);
});

test('an epoch of one trial calibrates the others by their size', () => {
  const state = feed(new SweepState(), [
    start(2, 2),
    { type: 'trial-start', time: s(0), trial: A, attempt: 1 },
    { type: 'trial-start', time: s(0), trial: B, attempt: 1 },
    setup(0, A, 100),
    setup(0, B, 300),
    epoch(10, A, 1, 10),
  ]);
  // 10 s for 100 params × 1000 tokens
  assert.equal(secondsPerUnit(state), 10 / (100 * 1000));
  const [a, b] = state.running;
  // A: 3 more epochs of its own 10 s
  assert.equal(trialRemaining(state, a!, s(10)), 30);
  assert.equal(trialRemaining(state, a!, s(14)), 26, 'counting down within the epoch');
  // B: 3× A's size, no epoch yet: 4 epochs × 30 s, 10 s of which are spent
  assert.equal(trialRemaining(state, b!, s(10)), 110);
  assert.equal(sweepRemaining(state, s(10)), 110);
  // once B has its own epoch, its own pace wins over the model
  feed(state, [epoch(50, B, 1, 50)]);
  assert.equal(trialRemaining(state, state.running[1]!, s(50)), 150);
});

test('progress within a first epoch times that epoch', () => {
  const state = feed(new SweepState(), [
    start(1, 1),
    { type: 'trial-start', time: s(0), trial: A, attempt: 1 },
    setup(2, A, 100),
    { type: 'progress', time: s(12), trial: A, epoch: 1, batch: 25, batches: 100, trainPerplexity: 9 },
  ]);
  // a quarter of an epoch in 10 s: 40 s epochs, 4 of them, 10 s spent
  assert.equal(trialRemaining(state, state.running[0]!, s(12)), 150);
});

test('queued trials are placed on the workers as they free up, by their size when it is known', () => {
  const sizes = new Map<string, TrialSize>(
    [A, B, C, D].map((t, i) => [t.id, { paramCount: 100 * (i + 1), trainTokens: 1000, cost: 100 * (i + 1) * 1000 * 4 }]),
  );
  const events: SweepEvent[] = [
    start(4, 2),
    { type: 'trial-start', time: s(0), trial: A, attempt: 1 },
    { type: 'trial-start', time: s(0), trial: B, attempt: 1 },
    setup(0, A, 100),
    setup(0, B, 200),
    epoch(10, A, 1, 10),
    epoch(20, B, 1, 20),
  ];
  // k = 30 s / 300,000 = 1e-4 s; A has 20 s left, B 60 s; C costs 120 s, D 160 s:
  // D (longest first) goes on A's worker at 20 s → 180 s; C on B's at 60 s → 180 s
  const sized = feed(new SweepState(sizes), events);
  assert.equal(sized.queued, 2);
  assert.ok(Math.abs(sweepRemaining(sized, s(20))! - 180) < 1e-9, String(sweepRemaining(sized, s(20))));
  // without sizes, each queued trial is a typical one, the mean of A's 40 s and B's 80 s:
  // 20 + 60 = 80 s and 60 + 60 = 120 s
  const unsized = feed(new SweepState(), events);
  assert.ok(Math.abs(sweepRemaining(unsized, s(20))! - 120) < 1e-9, String(sweepRemaining(unsized, s(20))));
});

test('a finished trial teaches the time before the first epoch and after the last', () => {
  const state = feed(new SweepState(), [
    start(2, 1),
    { type: 'trial-start', time: s(0), trial: A, attempt: 1 },
    setup(5, A, 100),
    epoch(15, A, 1, 10),
    epoch(25, A, 2, 10),
    epoch(35, A, 3, 10),
    epoch(45, A, 4, 10),
    {
      type: 'trial-end', time: s(48), trial: A, status: 'finished', attempt: 1, willRetry: false, epochsDone: 4, wallSeconds: 48,
      figures: { trainPerplexity: 5, valPerplexity: 6, tokensPerSecond: 1 },
    },
  ]);
  // B, same size, queued: 5 s before + 4 × 10 s + 3 s after
  assert.equal(state.queued, 1);
  assert.equal(sweepRemaining(state, s(48)), 48);
  assert.equal(state.counter, '1/2');
});

test('the scripted sweep: 54 s left at the pause, nothing after its end', () => {
  const state = new SweepState();
  for (const step of scriptedSweep()) {
    if (step.at > PAUSE_AT) break;
    state.apply(step.event);
  }
  assert.equal(state.counter, '2/3');
  assert.deepEqual(state.running.map((t) => t.ref.id), [LSTM.id]);
  assert.equal(trialRemaining(state, state.running[0]!, s(PAUSE_AT)), 54);
  assert.equal(sweepRemaining(state, s(PAUSE_AT)), 54);
  for (const step of scriptedSweep()) if (step.at > PAUSE_AT) state.apply(step.event);
  assert.equal(sweepRemaining(state, s(200)), 0);
  assert.equal(state.counter, '3/3');
});
