// Parity with the PyTorch reference, short version: each cell of experiments/d2l-timemachine.yaml
// trains for a few epochs and its training perplexity must lie in the reference's range over seeds
// at that epoch, widened by 10%. bench/parity.ts runs the full 100 epochs.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { Cell } from '../src/config/types.js';
import { curvesPath, referenceBand, timeMachinePath, trainD2l } from '../bench/reference.js';

/** Early enough to keep the file affordable on CI's 2 cores, late enough that the curves have separated. */
const EPOCHS = 10;
const missing = [timeMachinePath, curvesPath].filter((p) => !existsSync(p));
const skip = missing.length > 0 ? `needs ../shared (missing: ${missing.join(', ')})` : false;

for (const cell of ['rnn', 'gru', 'lstm'] as Cell[]) {
  test(`${cell}: training perplexity at epoch ${EPOCHS} is within the d2l reference band`, { skip }, async (t) => {
    const { epochs } = await trainD2l(cell, EPOCHS);
    const ours = epochs[EPOCHS - 1]!.trainPerplexity;
    const band = referenceBand(cell, EPOCHS);
    t.diagnostic(`ours ${ours.toFixed(2)}, reference ${band.min.toFixed(2)}–${band.max.toFixed(2)}, band ${band.low.toFixed(2)}–${band.high.toFixed(2)}`);
    assert.ok(ours >= band.low && ours <= band.high, `perplexity ${ours} outside [${band.low}, ${band.high}]`);
  });
}
