// A 256-hidden trial's peak resident memory, measured in a child process whose peak is its own.
// (Tensor leaks across epochs and trials are tested in engine-train.)

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { MeasuredTrial, TrialSpec } from '../bench/measure-trial.js';

const here = path.dirname(fileURLToPath(import.meta.url));

// blas auto loads a native BLAS where there is one (koffi and OpenBLAS add to the resident set)
for (const blas of ['auto', 'off']) {
  test(`an lstm trial at 256 hidden, batch 32 × 35 steps, engine.blas ${blas}, peaks below 300 MiB resident`, (t) => {
    const spec: TrialSpec = { cell: 'lstm', backend: 'wasm', path: 'fast', blas, epochs: 1, maxTokens: 2300 };
    const child = spawnSync(process.execPath, [path.join(here, '..', 'bench', 'measure-trial.js'), JSON.stringify(spec)], {
      encoding: 'utf8',
      env: { OMP_NUM_THREADS: '1', ...process.env },
    });
    assert.equal(child.status, 0, child.stderr);
    const measured = JSON.parse(child.stdout.trim().split('\n').pop() as string) as MeasuredTrial;
    t.diagnostic(`${measured.blas}: peak RSS ${measured.peakRssMiB.toFixed(0)} MiB`);
    assert.equal(measured.perEpoch.length, 1);
    assert.ok(measured.peakRssMiB > 0 && measured.peakRssMiB <= 300, `peak RSS ${measured.peakRssMiB.toFixed(0)} MiB`);
  });
}
