// Initial parameter values, drawn from a seeded Rng so a trial is reproducible.
//
//   uniform    PyTorch's defaults, which d2l's concise models (and the parity reference) get:
//              nn.RNN/GRU/LSTM draw every weight and bias from U(−1/√h, 1/√h) — with two biases
//              per gate, b_ih + b_hh, so our one bias is the sum of two such draws; nn.Linear (the
//              head) draws weight and bias from U(−1/√fan_in, 1/√fan_in); nn.Embedding from N(0, 1).
//   normal     d2l's from-scratch code: every weight N(0, 0.01²), biases zero.
//   xavier     every weight matrix Glorot-uniform, biases zero.
//   orthogonal recurrent weights orthogonal (each h×h gate block), other weights Glorot-uniform,
//              biases zero.
// Glorot fans are taken per gate block (fan_out = h), as if each gate were its own matrix.
// model.forget_bias is then added to the LSTM's forget-gate block (FORGET in cells/lstm/spec.ts).

import type { ModelConfig } from '../config/types.js';
import type { Rng } from '../data/rng.js';
import { FORGET } from './cells/lstm/spec.js';
import { type ModelShape, type ParamSpec, parameterLayout, sizeOf } from './layout.js';

export type InitConfig = ModelShape & Pick<ModelConfig, 'init' | 'forget_bias'>;

export interface InitialValue {
  spec: ParamSpec;
  values: Float32Array;
}

function uniform(n: number, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

function normal(n: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}

/** Glorot-uniform for a [rows, cols] matrix made of blocks `blockCols` wide. */
function xavier(rows: number, cols: number, blockCols: number, rng: Rng): Float32Array {
  return uniform(rows * cols, Math.sqrt(6 / (rows + blockCols)), rng);
}

/**
 * A [h, G·h] matrix whose G blocks are each an orthogonal h×h matrix: Q of the QR decomposition
 * of a Gaussian matrix (modified Gram-Schmidt in float64), with Q's columns signed so that R's
 * diagonal is positive, which makes Q uniformly distributed (Saxe et al.; PyTorch does the same).
 */
function orthogonalBlocks(h: number, gates: number, rng: Rng): Float32Array {
  const out = new Float32Array(h * gates * h);
  for (let g = 0; g < gates; g++) {
    const cols: Float64Array[] = [];
    for (let j = 0; j < h; j++) {
      const v = new Float64Array(h);
      for (let i = 0; i < h; i++) v[i] = rng.normal();
      for (const q of cols) {
        let dot = 0;
        for (let i = 0; i < h; i++) dot += (q[i] as number) * (v[i] as number);
        for (let i = 0; i < h; i++) v[i] = (v[i] as number) - dot * (q[i] as number);
      }
      let norm = 0;
      for (let i = 0; i < h; i++) norm += (v[i] as number) ** 2;
      norm = Math.sqrt(norm);
      // Gram-Schmidt's r_jj is the norm, always positive: the sign convention is built in.
      for (let i = 0; i < h; i++) v[i] = (v[i] as number) / norm;
      cols.push(v);
    }
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < h; j++) out[i * gates * h + g * h + j] = (cols[j] as Float64Array)[i] as number;
    }
  }
  return out;
}

function initialValue(spec: ParamSpec, model: InitConfig, rng: Rng): Float32Array {
  const n = sizeOf(spec.shape);
  const h = model.hidden_size;
  const [rows, cols] = spec.shape;
  const gates = spec.role === 'input' || spec.role === 'recurrent' ? (cols as number) / h : 1;
  switch (model.init) {
    case 'uniform': {
      if (spec.role === 'embedding') return normal(n, 1, rng);
      if (spec.role === 'head' || spec.role === 'head_bias') return uniform(n, 1 / Math.sqrt(headFanIn(model)), rng);
      if (spec.role === 'bias') {
        const [ih, hh] = [uniform(n, 1 / Math.sqrt(h), rng), uniform(n, 1 / Math.sqrt(h), rng)];
        return ih.map((x, i) => x + (hh[i] as number));
      }
      return uniform(n, 1 / Math.sqrt(h), rng);
    }
    case 'normal':
      return spec.role === 'bias' || spec.role === 'head_bias' ? new Float32Array(n) : normal(n, 0.01, rng);
    case 'xavier':
    case 'orthogonal':
      if (spec.role === 'bias' || spec.role === 'head_bias') return new Float32Array(n);
      if (spec.role === 'recurrent' && model.init === 'orthogonal') return orthogonalBlocks(h, gates, rng);
      return xavier(rows, cols as number, (cols as number) / gates, rng);
  }
}

/** The head reads the concatenated directions' hidden states. */
function headFanIn(model: InitConfig): number {
  return (model.bidirectional ? 2 : 1) * model.hidden_size;
}

export function initialValues(model: InitConfig, vocabSize: number, rng: Rng): InitialValue[] {
  return parameterLayout(model, vocabSize).map((spec) => {
    const values = initialValue(spec, model, rng);
    if (model.cell === 'lstm' && spec.role === 'bias' && model.forget_bias !== 0) {
      const h = model.hidden_size;
      for (let j = FORGET * h; j < (FORGET + 1) * h; j++) values[j] = (values[j] as number) + model.forget_bias;
    }
    return { spec, values };
  });
}
