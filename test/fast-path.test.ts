// The fast path (src/train/fast/: one fused tfjs operation per layer and direction) against the
// plain path (the cells' per-step tfjs ops under tfjs's autodiff) as its oracle: for every cell and
// variant, the same logits, final state, loss and gradients within float32 tolerance, from the
// same parameters, input ids, targets and a non-zero initial state. Every variant runs on the fast
// path; none falls back to the plain one.

import assert from 'node:assert/strict';
import { type TestContext, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../src/config/types.js';
import { modelConfig } from './support/model-config.js';
import { BLAS_MODES } from './support/blas.js';
import { CELL_VARIANTS, type Variant } from './support/variants.js';
import { initBackend } from '../src/train/backend.js';
import { type ModelState, RnnLM } from '../src/train/model.js';
import type { EnginePath } from '../src/train/path.js';
import { Rng } from '../src/data/rng.js';

const VOCAB = 7;
const STEPS = 6;
const BATCH = 3;

function tiny(overrides: Partial<ModelConfig>): ModelConfig {
  return modelConfig({ cell: 'rnn', hidden_size: 8, ...overrides });
}

const variants: Variant[] = [
  ...CELL_VARIANTS,
  ['deep gru (2 layers) with dropout', { cell: 'gru', num_layers: 2, dropout: 0.3 }],
  ['bidirectional lstm', { cell: 'lstm', bidirectional: true }],
  ['deep bidirectional rnn with dropout', { cell: 'rnn', num_layers: 2, bidirectional: true, dropout: 0.5 }],
  ['gru on a learned embedding', { cell: 'gru', embedding: 5 }],
  ['bidirectional lstm on a learned embedding', { cell: 'lstm', bidirectional: true, embedding: 4 }],
];

interface Outcome {
  loss: number;
  logits: Float32Array;
  state: Float32Array[];
  grads: Map<string, Float32Array>;
}

/** Forward, loss and gradients of a model on `path`, everything read back and freed. */
function evaluate(config: ModelConfig, path: EnginePath, seed: number, shape = { steps: STEPS, batch: BATCH }): Outcome {
  const { steps, batch } = shape;
  const rng = new Rng(seed);
  const model = RnnLM.init(config, VOCAB, rng.fork('init'), path);
  const ids = Int32Array.from({ length: steps * batch }, () => rng.int(0, VOCAB - 1));
  const targets = Int32Array.from({ length: steps * batch }, () => rng.int(0, VOCAB - 1));
  const h = config.hidden_size;
  const state: ModelState = model.beginState(batch).map((parts) =>
    parts.map((p) => {
      p.dispose();
      return tf.tensor2d(Float32Array.from({ length: batch * h }, () => rng.next() - 0.5), [batch, h]);
    }),
  );
  // The same dropout masks on both paths: the same stream, and dropout happens outside the layers.
  const dropoutRng = config.dropout > 0 ? rng.fork('dropout') : undefined;
  let finalState: Float32Array[] = [];
  // The loss as training takes it: on the fast path, the fused head and loss (fast/head.ts)
  const { value, grads } = tf.variableGrads(() => {
    const out = model.loss(ids, targets, steps, state, dropoutRng);
    finalState = out.state.flat().map((t) => t.dataSync() as Float32Array);
    return out.loss;
  }, model.variables);
  // The logits as evaluation and generation take them, with masks of their own
  const logitsDropoutRng = config.dropout > 0 ? rng.fork('logits dropout') : undefined;
  const logits = tf.tidy(() => {
    const out = model.forward(ids, steps, state, logitsDropoutRng);
    tf.dispose(out.state.flat());
    return out.logits.dataSync() as Float32Array;
  });
  const outcome: Outcome = {
    loss: value.dataSync()[0] as number,
    logits,
    state: finalState,
    grads: new Map([...model.params].map(([name, v]) => [name, (grads[v.name] as tf.Tensor).dataSync() as Float32Array])),
  };
  tf.dispose([value, ...Object.values(grads), ...state.flat()]);
  model.dispose();
  return outcome;
}

/** max |a − b| relative to max |b| (elementwise ratios blow up where values are ~0) */
function relativeError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return scale === 0 ? diff : diff / scale;
}

before(async () => {
  await initBackend('wasm');
});

// float32 rounding over a few steps and sums of tens of terms stays below ~1e-6 relative; a wrong
// term or a missing step shows up at 1e-2 or more.
const TOLERANCE = 1e-5;

/** Loss, logits, final state and every gradient agree between the fast and the plain path. */
function assertPathsAgree(t: TestContext, config: ModelConfig, shape?: { steps: number; batch: number }): void {
  const fast = evaluate(config, 'fast', 3, shape);
  const plain = evaluate(config, 'plain', 3, shape);
  assert.ok(Math.abs(fast.loss - plain.loss) < TOLERANCE * plain.loss, `loss ${fast.loss} vs ${plain.loss}`);
  assert.ok(relativeError(fast.logits, plain.logits) < TOLERANCE, 'logits');
  assert.equal(fast.state.length, plain.state.length);
  fast.state.forEach((s, i) => assert.ok(relativeError(s, plain.state[i] as Float32Array) < TOLERANCE, `state ${i}`));
  let worst = 0;
  for (const [name, g] of plain.grads) {
    const err = relativeError(fast.grads.get(name) as Float32Array, g);
    worst = Math.max(worst, err);
    assert.ok(err < TOLERANCE, `${name}: relative gradient difference ${err.toExponential(2)}`);
  }
  t.diagnostic(`loss ${fast.loss.toFixed(6)}; max relative gradient difference ${worst.toExponential(2)}`);
}

// Each comparison runs with the fast path's products on the kernels and on a native BLAS.
for (const mode of BLAS_MODES) {
  for (const [label, overrides] of variants) {
    test(`fast path (${mode.label}) = plain path: ${label}`, { skip: mode.skip }, (t) => mode.run(() => assertPathsAgree(t, tiny(overrides))));
  }

  // Generation's shape (one sequence, one step at a time) and a batch that fills no 4-row tile
  for (const [label, overrides] of [...CELL_VARIANTS, ['bidirectional lstm', { cell: 'lstm', bidirectional: true }] as Variant]) {
    test(`fast path (${mode.label}) = plain path, one step of one sequence and 2 steps of 5: ${label}`, { skip: mode.skip }, (t) =>
      mode.run(() => {
        assertPathsAgree(t, tiny(overrides), { steps: 1, batch: 1 });
        assertPathsAgree(t, tiny(overrides), { steps: 2, batch: 5 });
      }),
    );
  }
}

test('dropout is applied in the dropout variants, so their comparison above means something', () => {
  const withDropout = evaluate(tiny({ cell: 'gru', num_layers: 2, dropout: 0.3 }), 'fast', 3);
  const without = evaluate(tiny({ cell: 'gru', num_layers: 2 }), 'fast', 3);
  assert.ok(Math.abs(withDropout.loss - without.loss) > 1e-4, `${withDropout.loss} vs ${without.loss}`);
});
