// The engine against the textbook. A float64 forward pass written here in plain JavaScript, gate by
// gate from the equations of d2l 8.4 (RNN), 9.1 (GRU) and 9.2 (LSTM), with no tfjs, is
//  - the golden reference: the engine's logits and final state after a few steps must match it;
//  - the function a gradient check differentiates numerically (central differences in float64),
//    against which tfjs's analytic gradients of the engine's loss are compared.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../src/config/types.js';
import { modelConfig } from './support/model-config.js';
import { BLAS_MODES } from './support/blas.js';
import { CELL_VARIANTS, type Variant } from './support/variants.js';
import { initBackend } from '../src/train/backend.js';
import { type ModelState, RnnLM } from '../src/train/model.js';
import { directionsOf, layerParamName } from '../src/train/layout.js';
import { Rng } from '../src/data/rng.js';

type Params = Map<string, Float64Array>;
type Vec = number[];

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** x·W[:, block] for one h-wide column block of a row-major [rows, cols] matrix. */
function vecBlock(x: Vec, w: Float64Array, cols: number, block: number, h: number): Vec {
  const out = new Array<number>(h).fill(0);
  for (let k = 0; k < x.length; k++) {
    for (let j = 0; j < h; j++) out[j] = (out[j] as number) + (x[k] as number) * (w[k * cols + block * h + j] as number);
  }
  return out;
}

const add = (...vs: Vec[]): Vec => (vs[0] as Vec).map((_, j) => vs.reduce((s, v) => s + (v[j] as number), 0));
const mul = (a: Vec, b: Vec): Vec => a.map((x, j) => x * (b[j] as number));

/** One step of a cell, from its textbook equations. state: [H] or [H, C]. */
function cellStep(model: ModelConfig, x: Vec, state: Vec[], wx: Float64Array, wh: Float64Array, b: Float64Array): Vec[] {
  const h = model.hidden_size;
  const gates = wx.length / x.length / h;
  const cols = gates * h;
  const bias = (g: number): Vec => Array.from(b.subarray(g * h, (g + 1) * h));
  // X W_x[g] + hIn W_h[g] + b[g]
  const gate = (g: number, hIn: Vec): Vec => add(vecBlock(x, wx, cols, g, h), vecBlock(hIn, wh, cols, g, h), bias(g));
  const H = state[0] as Vec;
  switch (model.cell) {
    case 'rnn':
      return [gate(0, H).map(model.nonlinearity === 'relu' ? (v) => Math.max(0, v) : Math.tanh)];
    case 'gru': {
      const R = gate(0, H).map(sigmoid);
      const Z = gate(1, H).map(sigmoid);
      const candidate = gate(2, mul(R, H)).map(Math.tanh);
      return [add(mul(Z, H), mul(Z.map((z) => 1 - z), candidate))];
    }
    case 'lstm': {
      const I = gate(0, H).map(sigmoid);
      const F = gate(1, H).map(sigmoid);
      const candidate = gate(2, H).map(Math.tanh);
      const O = gate(3, H).map(sigmoid);
      const C = add(mul(F, state[1] as Vec), mul(I, candidate));
      return [mul(O, C.map(Math.tanh)), C];
    }
  }
}

interface RefOutput {
  /** [steps·batch][vocab], time-major */
  logits: Vec[];
  /** [layer·dirs + d][state part][batch][h] */
  state: Vec[][][];
}

/** The whole model in float64: one-hot (or an embedding row) → layers (both directions) → head. Batch rows run apart. */
function refForward(model: ModelConfig, vocab: number, p: Params, ids: Int32Array, steps: number, state0: Vec[][][]): RefOutput {
  const batch = ids.length / steps;
  const dirs = directionsOf(model);
  const logits: Vec[] = new Array(steps * batch);
  const state: Vec[][][] = state0.map((parts) => parts.map(() => []));
  for (let bi = 0; bi < batch; bi++) {
    let seq: Vec[] = [];
    for (let t = 0; t < steps; t++) {
      const id = ids[t * batch + bi] as number;
      if (model.embedding === 'one_hot') {
        const onehot = new Array<number>(vocab).fill(0);
        onehot[id] = 1;
        seq.push(onehot);
      } else {
        const e = model.embedding;
        seq.push(Array.from((p.get('embedding') as Float64Array).subarray(id * e, (id + 1) * e)));
      }
    }
    for (let layer = 0; layer < model.num_layers; layer++) {
      const outs: Vec[][] = [];
      for (let d = 0; d < dirs; d++) {
        const wx = p.get(layerParamName(layer, d, 'W_x')) as Float64Array;
        const wh = p.get(layerParamName(layer, d, 'W_h')) as Float64Array;
        const b = p.get(layerParamName(layer, d, 'b')) as Float64Array;
        const k = layer * dirs + d;
        let s = (state0[k] as Vec[][]).map((part) => part[bi] as Vec);
        const out: Vec[] = new Array(steps);
        const order = Array.from({ length: steps }, (_, t) => (d === 0 ? t : steps - 1 - t));
        for (const t of order) {
          s = cellStep(model, seq[t] as Vec, s, wx, wh, b);
          out[t] = s[0] as Vec;
        }
        s.forEach((part, j) => ((state[k] as Vec[][])[j] as Vec[]).push(part));
        outs.push(out);
      }
      seq = seq.map((_, t) => outs.flatMap((o) => o[t] as Vec));
    }
    const headW = p.get('head.W') as Float64Array;
    const headB = p.get('head.b') as Float64Array;
    for (let t = 0; t < steps; t++) {
      logits[t * batch + bi] = add(vecBlock(seq[t] as Vec, headW, vocab, 0, vocab), Array.from(headB));
    }
  }
  return { logits, state };
}

function refLoss(logits: Vec[], targets: Int32Array): number {
  let sum = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const logZ = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    sum += logZ - (row[targets[i] as number] as number);
  });
  return sum / logits.length;
}

const VOCAB = 5;
const STEPS = 4;
const BATCH = 2;

function tinyModel(overrides: Partial<ModelConfig>): ModelConfig {
  return modelConfig({ cell: 'rnn', hidden_size: 3, ...overrides });
}

function randomIds(rng: Rng, n: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(0, VOCAB - 1));
}

function paramsOf(model: RnnLM): Params {
  return new Map([...model.params].map(([name, v]) => [name, Float64Array.from(v.dataSync())]));
}

/** A non-zero initial state, so the golden test also checks how the carried state is used. */
function randomState(model: RnnLM, rng: Rng): { engine: ModelState; ref: Vec[][][] } {
  const h = model.config.hidden_size;
  const ref = Array.from({ length: model.config.num_layers * model.directions }, () =>
    Array.from({ length: model.cell.stateSize }, () =>
      Array.from({ length: BATCH }, () => Array.from({ length: h }, () => rng.next() - 0.5)),
    ),
  );
  const engine = ref.map((parts) => parts.map((part) => tf.tensor2d(part)));
  return { engine, ref };
}

const variants: Variant[] = [
  ...CELL_VARIANTS,
  ['deep gru (2 layers)', { cell: 'gru', num_layers: 2 }],
  ['bidirectional gru', { cell: 'gru', bidirectional: true }],
  ['deep bidirectional rnn', { cell: 'rnn', num_layers: 2, bidirectional: true }],
  ['lstm on a learned embedding', { cell: 'lstm', embedding: 4 }],
];

before(async () => {
  await initBackend('wasm');
});

for (const [label, overrides] of variants) {
  test(`golden: ${label} matches the textbook equations step by step`, () => {
    const rng = new Rng(7);
    const config = tinyModel(overrides);
    const model = RnnLM.init(config, VOCAB, rng.fork('init'));
    const ids = randomIds(rng, STEPS * BATCH);
    const state0 = randomState(model, rng);
    const ref = refForward(config, VOCAB, paramsOf(model), ids, STEPS, state0.ref);
    const out = model.forward(ids, STEPS, state0.engine);
    const logits = out.logits.arraySync();
    // float32 against float64 over a handful of steps: agreement to ~1e-6; 1e-5 leaves room.
    for (let i = 0; i < ref.logits.length; i++) {
      (ref.logits[i] as Vec).forEach((v, j) => assert.ok(Math.abs(v - (logits[i] as Vec)[j]!) < 1e-5, `logit ${i},${j}`));
    }
    out.state.forEach((parts, k) =>
      parts.forEach((t, j) => {
        const got = t.arraySync();
        ref.state[k]![j]!.forEach((row, bi) =>
          row.forEach((v, c) => assert.ok(Math.abs(v - got[bi]![c]!) < 1e-5, `state ${k}.${j}[${bi},${c}]`)),
        );
      }),
    );
    tf.dispose([out.logits, ...out.state.flat(), ...state0.engine.flat()]);
    model.dispose();
  });

  for (const mode of BLAS_MODES) test(`gradient check (fast path, ${mode.label}): ${label}`, { skip: mode.skip }, (t) => mode.run(() => {
    const rng = new Rng(11);
    const config = tinyModel(overrides);
    const model = RnnLM.init(config, VOCAB, rng.fork('init'));
    const ids = randomIds(rng, STEPS * BATCH);
    const targets = randomIds(rng, STEPS * BATCH);
    const zero = model.beginState(BATCH);
    const zeroRef = zero.map((parts) => parts.map((t) => t.arraySync()));
    const { value, grads } = tf.variableGrads(() => model.loss(ids, targets, STEPS, zero).loss);
    const params = paramsOf(model);
    const loss = (): number => refLoss(refForward(config, VOCAB, params, ids, STEPS, zeroRef).logits, targets);
    // Central differences on the float64 forward: truncation error ~eps² and rounding ~1e-16/eps,
    // both ≲ 1e-10 at eps = 1e-6, so the numerical side is exact to far below what is asserted.
    const eps = 1e-6;
    let worst = 0;
    for (const [name, v] of model.params) {
      const p = params.get(name) as Float64Array;
      const analytic = (grads[v.name] as tf.Tensor).dataSync();
      const numeric = new Float64Array(p.length);
      for (let i = 0; i < p.length; i++) {
        const keep = p[i] as number;
        p[i] = keep + eps;
        const up = loss();
        p[i] = keep - eps;
        const down = loss();
        p[i] = keep;
        numeric[i] = (up - down) / (2 * eps);
      }
      // Error relative to the tensor's largest gradient (elementwise ratios blow up where a
      // gradient is ~0). The analytic side is float32 (ε ≈ 6e-8) accumulated over a few steps
      // and sums of ≤ 12 terms, so honest gradients agree to ~1e-6; a wrong equation or a missing
      // term gives errors of order 1. 1e-4 sits between the two with wide margins.
      const scale = Math.max(...Array.from(numeric, Math.abs));
      assert.ok(scale > 1e-4, `${name}: gradient too small for the check to mean anything`);
      const err = Math.max(...Array.from(numeric, (n, i) => Math.abs(n - (analytic[i] as number)))) / scale;
      worst = Math.max(worst, err);
      assert.ok(err < 1e-4, `${label} ${name}: relative gradient error ${err.toExponential(2)}`);
    }
    t.diagnostic(`max relative gradient error ${worst.toExponential(2)}`);
    tf.dispose([value, ...Object.values(grads), ...zero.flat()]);
    model.dispose();
  }));
}
