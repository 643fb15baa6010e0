import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialValues } from '../src/train/init.js';
import { Rng } from '../src/data/rng.js';
import { modelConfig } from './support/model-config.js';

function moments(values: Float32Array): { max: number; variance: number } {
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const variance = values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length;
  return { max: values.reduce((m, x) => Math.max(m, Math.abs(x)), 0), variance };
}

test("uniform init is PyTorch's: weights U(±1/√h), each gate bias the sum of two such draws (b_ih + b_hh)", () => {
  const h = 64;
  const values = initialValues(modelConfig({ cell: 'lstm', hidden_size: h, init: 'uniform' }), 30, new Rng(1));
  const k = 1 / Math.sqrt(h);
  for (const { spec, values: v } of values) {
    const { max, variance } = moments(v);
    if (spec.role === 'input' || spec.role === 'recurrent') {
      assert.ok(max <= k, `${spec.role}: |w| ≤ 1/√h`);
      assert.ok(Math.abs(variance - k * k / 3) < 0.1 * k * k / 3, `${spec.role}: variance of U(±k)`);
    }
    if (spec.role === 'bias') {
      assert.ok(max <= 2 * k, 'bias: |b| ≤ 2/√h');
      assert.ok(Math.abs(variance - 2 * k * k / 3) < 0.15 * 2 * k * k / 3, 'bias: variance of two U(±k) summed');
    }
  }
});

test('normal init is d2l scratch: weights N(0, 0.01²), biases zero; forget_bias lands in the f block', () => {
  const h = 32;
  const values = initialValues(modelConfig({ cell: 'lstm', hidden_size: h, init: 'normal', forget_bias: 1 }), 30, new Rng(2));
  for (const { spec, values: v } of values) {
    if (spec.role === 'recurrent') assert.ok(Math.abs(Math.sqrt(moments(v).variance) - 0.01) < 0.001);
    if (spec.role === 'bias') {
      assert.deepEqual([...new Set(v.subarray(h, 2 * h))], [1], 'forget gate block');
      assert.deepEqual([...new Set([...v.subarray(0, h), ...v.subarray(2 * h)])], [0], 'the other gates');
    }
  }
});
