// Golden values from PyTorch (scripts/dump_golden.py, llm.c style): for each cell (rnn tanh, gru,
// lstm) in a single-layer, a deep (2 layers) and a bidirectional variant, PyTorch's float64 logits,
// loss, final state, every gradient and the weights after one clipped SGD step, from weights,
// inputs and an initial state that the dump holds. The engine loads those weights into RnnLM and
// must reproduce everything on the plain path and on the fast path (with native BLAS products on
// and off, see ./support/golden.ts), and its training step (trainStep: time-major reordering,
// gradients, d2l's clipping at θ = 1, SGD) must land on PyTorch's weights.
//
// rnn and lstm are torch.nn.RNN / torch.nn.LSTM themselves; the gru is d2l 9.1's equations in
// PyTorch ops, as run-sweep's GRU is d2l's and not nn.GRU's (the script's docstring says how they
// differ). Regenerate with `/usr/bin/python3 scripts/dump_golden.py`.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initBackend } from '../src/train/backend.js';
import { BLAS_MODES } from './support/blas.js';
import { GOLDEN_CASES, checkGolden, loadGolden } from './support/golden.js';

before(async () => {
  await initBackend('wasm');
});

test('the golden files are all there: 3 cells × single, deep and bidirectional', () => {
  assert.equal(GOLDEN_CASES.length, 9);
  for (const name of GOLDEN_CASES) {
    const g = loadGolden(name);
    assert.ok(g.gradNorm > g.clip, `${name}: the golden step must be a clipped one`);
  }
});

for (const name of GOLDEN_CASES) {
  test(`${name}, plain path: logits, loss, final state, gradients and one clipped SGD step match PyTorch`, (t) => {
    const worst = checkGolden(loadGolden(name), 'plain');
    t.diagnostic(`worst relative difference ${worst.toExponential(2)}`);
  });
  for (const mode of BLAS_MODES) {
    test(`${name}, fast path, ${mode.label}: logits, loss, final state, gradients and one clipped SGD step match PyTorch`, { skip: mode.skip }, (t) => {
      const worst = mode.run(() => checkGolden(loadGolden(name), 'fast'));
      t.diagnostic(`worst relative difference ${worst.toExponential(2)}`);
    });
  }
}
