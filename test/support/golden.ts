// Loading scripts/dump_golden.py's files (test/golden/*.json) and checking the engine against one.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../src/config/types.js';
import { timeMajor, trainStep } from '../../src/train/loop.js';
import { type ModelState, RnnLM } from '../../src/train/model.js';
import type { EnginePath } from '../../src/train/path.js';
import { createOptimizer } from '../../src/train/optimizer.js';
import { modelConfig } from './model-config.js';

export interface Golden {
  name: string;
  model: Pick<ModelConfig, 'cell' | 'nonlinearity' | 'hidden_size' | 'num_layers' | 'bidirectional' | 'embedding'>;
  vocab: number;
  batch: number;
  steps: number;
  lr: number;
  clip: number;
  /** row-major [batch, steps], as a Batch holds them */
  x: number[];
  y: number[];
  /** per layer·directions + direction, per state part, [batch·h] */
  state0: number[][][];
  params: Record<string, { shape: number[]; values: number[] }>;
  /** time-major [steps·batch, vocab] */
  logits: number[];
  loss: number;
  state: number[][][];
  grads: Record<string, number[]>;
  gradNorm: number;
  after: Record<string, number[]>;
}

export const GOLDEN_CASES = ['rnn', 'gru', 'lstm'].flatMap((cell) => ['single', 'deep', 'bidirectional'].map((v) => `${cell}-${v}`));

/** test/golden/ from dist-*\/test/support/ or test/support/ */
const GOLDEN_DIR = new URL('../../../test/golden/', import.meta.url);

export function loadGolden(name: string): Golden {
  return JSON.parse(readFileSync(new URL(`${name}.json`, GOLDEN_DIR), 'utf8')) as Golden;
}

// float32 arithmetic against float64 golden values over a few steps: ~1e-6 relative; a wrong gate,
// bias, direction or clipping shows at 1e-2 or more.
export const GOLDEN_TOLERANCE = 1e-5;

/** max |a − b| relative to max |b| */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return scale === 0 ? diff : diff / scale;
}

function modelOf(g: Golden, path: EnginePath): RnnLM {
  const config = modelConfig({ ...g.model, dropout: 0 });
  const values = new Map(Object.entries(g.params).map(([name, p]) => [name, Float32Array.from(p.values)]));
  return RnnLM.fromValues(config, g.vocab, values, path);
}

function stateOf(g: Golden): ModelState {
  return g.state0.map((parts) => parts.map((v) => tf.tensor2d(Float32Array.from(v), [g.batch, g.model.hidden_size])));
}

/**
 * Runs the golden case on `path` and asserts every value within GOLDEN_TOLERANCE; returns the
 * worst relative difference seen.
 */
export function checkGolden(g: Golden, path: EnginePath, tolerance = GOLDEN_TOLERANCE): number {
  let worst = 0;
  const check = (what: string, ours: ArrayLike<number>, theirs: ArrayLike<number>): void => {
    const err = relativeError(ours, theirs);
    worst = Math.max(worst, err);
    assert.ok(err < tolerance, `${g.name} (${path}): ${what} differs from PyTorch by ${err.toExponential(2)} relative`);
  };
  const model = modelOf(g, path);
  const state = stateOf(g);
  const ids = timeMajor(Int32Array.from(g.x), g.batch, g.steps);
  const targets = timeMajor(Int32Array.from(g.y), g.batch, g.steps);
  try {
    // logits, as evaluation takes them
    tf.tidy(() => {
      const out = model.forward(ids, g.steps, state);
      check('logits', out.logits.dataSync(), g.logits);
    });
    // loss, final state and gradients, as training takes them
    let finalState: Float32Array[][] = [];
    const { value, grads } = tf.variableGrads(() => {
      const out = model.loss(ids, targets, g.steps, state);
      finalState = out.state.map((parts) => parts.map((p) => p.dataSync() as Float32Array));
      return out.loss;
    }, model.variables);
    check('loss', [value.dataSync()[0] as number], [g.loss]);
    assert.equal(finalState.length, g.state.length);
    finalState.forEach((parts, k) => parts.forEach((p, i) => check(`final state ${k}.${i}`, p, g.state[k]![i]!)));
    assert.deepEqual([...model.params.keys()].sort(), Object.keys(g.grads).sort(), 'parameter names');
    for (const [name, v] of model.params) check(`dL/d${name}`, (grads[v.name] as tf.Tensor).dataSync(), g.grads[name]!);
    tf.dispose([value, ...Object.values(grads)]);

    // one training step: trainStep reorders the batch, clips at θ and takes an SGD step
    const optimizer = createOptimizer({ optimizer: 'sgd', momentum: 0 });
    const batch = { x: Int32Array.from(g.x), y: Int32Array.from(g.y), batchSize: g.batch, numSteps: g.steps };
    const step = trainStep(model, optimizer, batch, state, g.lr, g.clip);
    check('loss of the training step', [step.loss], [g.loss]);
    check('gradient norm', [step.gradNorm], [g.gradNorm]);
    // the update itself (θ' − θ), so that a small error in it is not lost in the size of θ
    for (const [name, v] of model.params) {
      const before = g.params[name]!.values;
      const ours = Array.from(v.dataSync(), (x, i) => x - (before[i] as number));
      check(`the SGD step of ${name}`, ours, g.after[name]!.map((x, i) => x - (before[i] as number)));
    }
    tf.dispose(step.state.flat());
    optimizer.dispose();
  } finally {
    tf.dispose(state.flat());
    model.dispose();
  }
  return worst;
}
