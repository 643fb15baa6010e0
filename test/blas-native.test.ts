// engine.blas (src/train/fast/blas.ts): where the fast path's matrix products run. The engine's
// numbers on each path are tested elsewhere (golden-pytorch, fast-path and engine-cells run once
// with the kernels and once on a native BLAS); this file tests the choice itself: `off`, a missing
// library (the kernels, with a one-line note that a trial reports as a warning), `auto` with the
// library there (checked and timed; what ran is the trial's `blas` setup field), and the native
// product on the operand layouts the engine hands it (strides, a transposed left operand,
// accumulation into the output, garbage in an output that is overwritten).

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, before, test } from 'node:test';
import type { TrialConfig } from '../src/config/types.js';
import { initBackend } from '../src/train/backend.js';
import type { SetupEvent, TrainEvent, WarningEvent } from '../src/train/events.js';
import { type NativeBlas, activeBlas, configureBlas, decide, judge, useBlas } from '../src/train/fast/blas.js';
import { give, take, view } from '../src/train/fast/pool.js';
import { runTrial } from '../src/train/trial.js';
import { BLAS_NATIVE, nativeBlas } from './support/blas.js';
import { loadExperimentText } from './support/experiment.js';

const corpusDir = mkdtempSync(path.join(tmpdir(), 'blas-'));
const corpusFile = path.join(corpusDir, 'corpus.txt');
writeFileSync(corpusFile, 'the time traveller was expounding a recondite matter to us. '.repeat(20));

function trialConfig(blas: string): TrialConfig {
  const { sweep: _sweep, ...config } = loadExperimentText(`
name: blas-test
data: { corpus: ${JSON.stringify(corpusFile)}, validation_fraction: 0 }
model: { cell: lstm, hidden_size: 8 }
train: { epochs: 1, batch_size: 2, num_steps: 5 }
sample: { prefixes: [], every_epochs: 10 }
engine: { backend: wasm, blas: ${JSON.stringify(blas)} }
`);
  return config;
}

async function trialEvents(blas: string): Promise<TrainEvent[]> {
  const events: TrainEvent[] = [];
  await runTrial(trialConfig(blas), { baseDir: corpusDir, onEvent: (e) => events.push(e) });
  return events;
}

before(async () => {
  await initBackend('wasm');
});

afterEach(() => {
  useBlas(undefined);
});

test('engine.blas defaults to auto', () => {
  const { sweep: _sweep, ...config } = loadExperimentText('name: x\n');
  assert.equal(config.engine.blas, 'auto');
});

test('off: the kernels run the products, and the trial records blas "wasm" with no warning', async () => {
  const choice = configureBlas('off');
  assert.deepEqual(choice, { description: 'wasm' });
  assert.equal(activeBlas(), undefined);
  const events = await trialEvents('off');
  assert.equal(events.find((e): e is SetupEvent => e.type === 'setup')?.blas, 'wasm');
  assert.deepEqual(events.filter((e) => e.type === 'warning'), []);
});

test('a library that is not there: the kernels, and one warning line that names it', async () => {
  const missing = path.join(corpusDir, 'libnothing.so.0');
  const choice = configureBlas(missing);
  assert.equal(choice.description, 'wasm');
  assert.equal(activeBlas(), undefined);
  assert.ok(choice.note?.includes(missing), choice.note);
  assert.ok(!choice.note?.includes('\n'), 'one line');
  const events = await trialEvents(missing);
  assert.equal(events.find((e): e is SetupEvent => e.type === 'setup')?.blas, 'wasm');
  const warnings = events.filter((e): e is WarningEvent => e.type === 'warning');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /no native BLAS.*libnothing\.so\.0.*WebAssembly kernels/);
  // and it trained
  assert.ok(events.some((e) => e.type === 'epoch'));
});

test('the plain path records blas "none"', async () => {
  const events: TrainEvent[] = [];
  await runTrial({ ...trialConfig('auto'), engine: { backend: 'wasm', path: 'plain', blas: 'auto' } }, { baseDir: corpusDir, onEvent: (e) => events.push(e) });
  assert.equal(events.find((e): e is SetupEvent => e.type === 'setup')?.blas, 'none');
});

test('auto with the library there: checked, timed, and what ran is the setup event\'s blas', { skip: BLAS_NATIVE.skip }, async (t) => {
  const choice = configureBlas('auto');
  t.diagnostic(`${choice.description}; ${JSON.stringify(choice.timing)}${choice.note ? `; ${choice.note}` : ''}`);
  assert.ok(choice.timing && choice.timing.native > 0 && choice.timing.wasm > 0, 'both paths timed');
  if (choice.timing.native > choice.timing.wasm) {
    assert.equal(activeBlas()?.description, choice.description);
    assert.match(choice.description, /libopenblas|Accelerate/);
  } else {
    assert.equal(activeBlas(), undefined);
    assert.equal(choice.description, 'wasm');
    assert.equal(choice.note, undefined, 'auto choosing the faster path is no warning');
  }
  const events = await trialEvents('auto');
  assert.equal(events.find((e): e is SetupEvent => e.type === 'setup')?.blas, choice.description);
});

test('the native product on the engine\'s operand layouts matches a product computed here', { skip: BLAS_NATIVE.skip }, () => {
  const native = nativeBlas().native!;
  const [m, n, k] = [7, 13, 9];
  const [lda, ldb, ldc] = [11, 17, 15];
  const rand = (i: number): number => Math.sin(i * 12.9898) * 0.5;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const beta of [0, 1]) {
        // a: [m, k] with stride lda, or stored as [k, m]; b: [k, n] with stride ldb, or stored as [n, k]
        const a = take((transA ? k : m) * lda);
        const b = take((transB ? n : k) * ldb);
        const c = take(m * ldc);
        view(a).forEach((_, i, arr) => (arr[i] = rand(i)));
        view(b).forEach((_, i, arr) => (arr[i] = rand(i + 1000)));
        view(c).forEach((_, i, arr) => (arr[i] = beta === 0 ? Number.NaN : rand(i + 2000)));
        const before = Float32Array.from(view(c));
        native.sgemm(transA, transB, m, n, k, a.ptr, lda, b.ptr, ldb, beta, c.ptr, ldc);
        const [av, bv, cv] = [view(a), view(b), view(c)];
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let sum = beta === 0 ? 0 : (before[i * ldc + j] as number);
            for (let p = 0; p < k; p++) {
              sum += (av[transA ? p * lda + i : i * lda + p] as number) * (bv[transB ? j * ldb + p : p * ldb + j] as number);
            }
            assert.ok(Math.abs((cv[i * ldc + j] as number) - sum) < 1e-5, `transA ${transA} transB ${transB} beta ${beta} at ${i},${j}`);
          }
          // what lies between a row's end and the next row's start is not written
          for (let j = n; j < ldc && i < m - 1; j++) assert.ok(Object.is(cv[i * ldc + j], before[i * ldc + j]) || (Number.isNaN(cv[i * ldc + j] as number) && Number.isNaN(before[i * ldc + j] as number)));
        }
        give(a, b, c);
      }
    }
  }
});

/** A "library" that computes products in JavaScript on the kernels' memory: correct, and slow as a reference BLAS. */
function javascriptBlas(error = 0): NativeBlas {
  return {
    description: 'javascript',
    sgemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc) {
      const f = view({ ptr: 0, length: (c + 4 * m * ldc) / 4 });
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < k; p++) {
            sum += (f[a / 4 + (transA ? p * lda + i : i * lda + p)] as number) * (f[b / 4 + (transB ? j * ldb + p : p * ldb + j)] as number);
          }
          const o = c / 4 + i * ldc + j;
          f[o] = (beta === 0 ? 0 : beta * (f[o] as number)) + sum + error;
        }
      }
    },
  };
}

test('a library slower than the kernels (a reference BLAS) loses to them, with a note', () => {
  const verdict = judge(javascriptBlas(), [[false, 16, 64, 32], [true, 32, 64, 48]]);
  assert.equal(verdict.wrong, undefined);
  assert.equal(verdict.native, undefined);
  assert.equal(verdict.choice.description, 'wasm');
  assert.ok(verdict.choice.timing!.wasm > verdict.choice.timing!.native);
  assert.match(verdict.choice.note ?? '', /javascript is slower than the WebAssembly kernels/);
});

test('auto passes over a slower library without a warning; a slower library named by path gets the note', () => {
  const shapes: [boolean, number, number, number][] = [[false, 16, 64, 32], [true, 32, 64, 48]];
  const auto = decide('auto', () => javascriptBlas(), shapes);
  assert.equal(auto.native, undefined);
  assert.equal(auto.choice.description, 'wasm');
  assert.equal(auto.choice.note, undefined, 'choosing the faster path is what auto asks for');
  assert.ok(auto.choice.timing!.wasm > auto.choice.timing!.native);
  const named = decide('/opt/blas/libslow.so', () => javascriptBlas(), shapes);
  assert.equal(named.choice.description, 'wasm');
  assert.match(named.choice.note ?? '', /javascript is slower than the WebAssembly kernels/);
});

test('a library that computes products wrongly is not used', () => {
  const verdict = judge(javascriptBlas(1e-2));
  assert.equal(verdict.native, undefined);
  assert.match(verdict.wrong ?? '', /javascript computed a product wrongly/);
});
