// The WebAssembly kernels of the fast path (src/train/cells/kernels.ts gathers them: the shared
// ones of src/train/fast/kernels/, each cell's in src/train/cells/<cell>/kernel.ts) against plain
// float64 JavaScript, in both builds (with and without relaxed SIMD's fused multiply-add): the
// products at sizes that leave every kind of edge (rows not a multiple of 4, columns not a multiple
// of 8 or 4, strided operands, a transposed left operand, accumulation), and each cell's step
// kernels, whose vectors reach past a row's end when h is not a multiple of 4. The model-level
// checks (engine-cells, fast-path) run whichever build this machine picks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLACK_BYTES } from '../src/train/fast/pool.js';
import { type KernelBuild, type Kernels, chooseBuild, instantiate } from '../src/train/fast/wasm.js';
import { Rng } from '../src/data/rng.js';

const builds: KernelBuild[] = chooseBuild() === 'relaxed-simd' ? ['simd', 'relaxed-simd'] : ['simd'];

const CANARY = -7777.5;

/**
 * A bump allocator over a fresh instance's memory that leaves the pool's slack after each array
 * (kernels may read it) filled with canaries (no kernel may write it): intact() checks them.
 */
function arena(k: Kernels) {
  let top = k.heapBase();
  const slacks: [number, number][] = [];
  const floats = () => new Float32Array(k.memory.buffer);
  return {
    put(values: Float32Array): number {
      const ptr = top;
      const end = ptr + values.length * 4 + SLACK_BYTES;
      top = Math.ceil(end / 16) * 16;
      if (top > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((top - k.memory.buffer.byteLength) / 65536));
      floats().set(values, ptr / 4);
      floats().fill(CANARY, ptr / 4 + values.length, top / 4);
      slacks.push([ptr / 4 + values.length, top / 4]);
      return ptr;
    },
    get: (ptr: number, n: number) => new Float32Array(k.memory.buffer, ptr, n).slice(),
    intact(): void {
      const f = floats();
      for (const [from, to] of slacks) {
        for (let i = from; i < to; i++) assert.equal(f[i], CANARY, `a kernel wrote past an array's end (float ${i})`);
      }
    },
  };
}

function random(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

function assertClose(actual: Float32Array, expected: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] as number;
    const err = Math.abs((actual[i] as number) - e) / Math.max(1, Math.abs(e));
    assert.ok(err < tol, `${what}: element ${i} is ${actual[i]}, expected ${e}`);
  }
}

for (const build of builds) {
  test(`${build} gemm = float64 product at every edge size, strided, transposed and accumulating`, () => {
    const rng = new Rng(1);
    for (const [m, kk, n] of [[1, 1, 1], [3, 5, 7], [4, 8, 8], [5, 3, 9], [9, 17, 13], [32, 33, 20], [7, 2, 33]] as const) {
      for (const aTransposed of [false, true]) {
        for (const acc of [false, true]) {
          const k = instantiate(build);
          const mem = arena(k);
          // a is stored [m, k] or, transposed, [k, m], with 2 extra columns; w [k, n] with 3
          const lda = (aTransposed ? m : kk) + 2;
          const ldw = n + 3;
          const ldo = n + 1;
          const a = random(rng, (aTransposed ? kk : m) * lda);
          const w = random(rng, kk * ldw);
          const out0 = random(rng, m * ldo);
          const aAt = (i: number, p: number) => (aTransposed ? a[p * lda + i] : a[i * lda + p]) as number;
          const aPtr = mem.put(a);
          const panels = mem.put(new Float32Array(k.panelsSize(kk, n)));
          k.packPanels(panels, mem.put(w), ldw, false, kk, n);
          const outPtr = mem.put(out0);
          k.gemm(outPtr, ldo, aPtr, lda, aTransposed, panels, m, kk, n, acc, mem.put(new Float32Array(k.quadsSize(m, kk))));
          const expected = Float64Array.from(out0);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let sum = acc ? (out0[i * ldo + j] as number) : 0;
              for (let p = 0; p < kk; p++) sum += aAt(i, p) * (w[p * ldw + j] as number);
              expected[i * ldo + j] = sum;
            }
          }
          // the columns past n in each output row are untouched
          assertClose(mem.get(outPtr, m * ldo), expected, `m=${m} k=${kk} n=${n} aTransposed=${aTransposed} acc=${acc}`);
          mem.intact();
        }
      }
    }
  });

  test(`${build} packPanels reads a transposed right operand as the transpose`, () => {
    const k = instantiate(build);
    const mem = arena(k);
    const [kk, n, ld] = [6, 11, 9]; // wᵀ stored [n, kk] with row stride 9
    const wT = random(new Rng(2), n * ld);
    const direct = new Float32Array(kk * n);
    for (let p = 0; p < kk; p++) for (let j = 0; j < n; j++) direct[p * n + j] = wT[j * ld + p] as number;
    const a = mem.put(new Float32Array(k.panelsSize(kk, n)));
    const b = mem.put(new Float32Array(k.panelsSize(kk, n)));
    k.packPanels(a, mem.put(wT), ld, true, kk, n);
    k.packPanels(b, mem.put(direct), n, false, kk, n);
    assert.deepEqual(mem.get(a, k.panelsSize(kk, n)), mem.get(b, k.panelsSize(kk, n)));
    mem.intact();
  });

  test(`${build} rows: bias added to every row, gradient rows scattered back to the rows they came from`, () => {
    const k = instantiate(build);
    const mem = arena(k);
    const rng = new Rng(4);
    const [rows, width, vocab] = [6, 7, 4];
    const x = random(rng, rows * width);
    const b = random(rng, width);
    const xPtr = mem.put(x);
    k.addBias(xPtr, mem.put(b), rows, width);
    assertClose(mem.get(xPtr, rows * width), Array.from(x, (v, i) => v + (b[i % width] as number)), 'x + b');
    const ids = Int32Array.from([3, 0, 3, 1, 3, 0]);
    const d = random(rng, rows * width);
    const dW = mem.put(new Float32Array(vocab * width));
    const idPtr = mem.put(new Float32Array(ids.buffer)); // the ids' bits, as the kernel reads them
    k.scatterRows(dW, mem.put(d), idPtr, rows, width);
    const expectedW = new Float64Array(vocab * width);
    ids.forEach((id, r) => {
      for (let j = 0; j < width; j++) expectedW[id * width + j] = (expectedW[id * width + j] as number) + (d[r * width + j] as number);
    });
    // vocabulary row 2 is never picked: its gradient stays 0
    assertClose(mem.get(dW, vocab * width), expectedW, 'dW_x');
    mem.intact();
  });

  test(`${build} softmax cross-entropy and its gradient = float64, with logits far apart`, () => {
    const k = instantiate(build);
    const mem = arena(k);
    const [rows, width] = [4, 7];
    const logits = random(new Rng(5), rows * width).map((v) => v * 4);
    logits[3] = 60; // one dominant logit, and one far below: exp must neither overflow nor lose the rest
    logits[width + 2] = -120;
    const targets = Int32Array.from([3, 2, 6, 0]);
    const ids = mem.put(new Float32Array(targets.buffer));
    const p = mem.put(logits);
    const total = k.softmaxCrossEntropy(p, ids, rows, width);
    const probs: number[] = [];
    let expected = 0;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(logits.subarray(r * width, (r + 1) * width));
      const top = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - top), 0);
      expected += Math.log(sum) + top - (row[targets[r] as number] as number);
      probs.push(...row.map((v) => Math.exp(v - top) / sum));
    }
    assert.ok(Math.abs(total - expected) < 1e-5 * Math.abs(expected), `loss ${total}, expected ${expected}`);
    assertClose(mem.get(p, rows * width), probs, 'softmax');
    k.softmaxCrossEntropyGrad(p, ids, rows, width, 0.5);
    const grads = probs.map((q, i) => (q - (targets[Math.floor(i / width)] === i % width ? 1 : 0)) * 0.5);
    assertClose(mem.get(p, rows * width), grads, 'dL/dlogits');
    const sums = mem.put(new Float32Array(width));
    k.columnSums(sums, p, rows, width);
    assertClose(mem.get(sums, width), Array.from({ length: width }, (_, j) => grads.reduce((s, g, i) => (i % width === j ? s + g : s), 0)), 'column sums');
    mem.intact();
  });

  test(`${build} step kernels = their equations in float64, h not a multiple of 4`, () => {
    const k = instantiate(build);
    const mem = arena(k);
    const rng = new Rng(3);
    const [batch, h] = [3, 5];
    const block = batch * h;
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    // LSTM forward: gates i f c̃ o from xw + g
    const xw = random(rng, block * 4);
    const g = random(rng, block * 4);
    const cPrev = random(rng, block);
    const ptrs = { xw: mem.put(xw), g: mem.put(g), cPrev: mem.put(cPrev), acts: mem.put(new Float32Array(block * 4)) };
    const [c, tc, ht] = [mem.put(new Float32Array(block)), mem.put(new Float32Array(block)), mem.put(new Float32Array(block))];
    k.lstmForwardStep(ptrs.xw, ptrs.g, ptrs.cPrev, ptrs.acts, c, tc, ht, batch, h);
    const expectedH: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < h; j++) {
        const pre = (q: number) => (xw[b * 4 * h + q * h + j] as number) + (g[b * 4 * h + q * h + j] as number);
        const cv = sig(pre(1)) * (cPrev[b * h + j] as number) + sig(pre(0)) * Math.tanh(pre(2));
        expectedH.push(sig(pre(3)) * Math.tanh(cv));
      }
    }
    assertClose(mem.get(ht, block), expectedH, 'lstm H_t');
    // RNN forward (tanh and relu), in place over H_{t−1}·W_h
    for (const relu of [false, true]) {
      const rec = random(rng, block);
      const x = random(rng, block);
      const hPtr = mem.put(rec);
      k.rnnForwardStep(hPtr, mem.put(x), block, relu);
      const expected = Array.from(rec, (r, i) => (relu ? Math.max(0, r + (x[i] as number)) : Math.tanh(r + (x[i] as number))));
      assertClose(mem.get(hPtr, block), expected, `rnn ${relu ? 'relu' : 'tanh'} H_t`);
    }
    // GRU forward, both halves
    const gx = random(rng, block * 3);
    const rz = random(rng, block * 2);
    const cand = random(rng, block);
    const prev = random(rng, block);
    const gActs = mem.put(new Float32Array(block * 3));
    const gPtrs = { xw: mem.put(gx), prev: mem.put(prev), rh: mem.put(new Float32Array(block)), h: mem.put(new Float32Array(block)) };
    k.gruGatesStep(gPtrs.xw, mem.put(rz), gPtrs.prev, gActs, gPtrs.rh, batch, h);
    k.gruOutputStep(gPtrs.xw, mem.put(cand), gPtrs.prev, gActs, gPtrs.h, batch, h);
    const expectedRh: number[] = [];
    const expectedGh: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < h; j++) {
        const r = sig((gx[b * 3 * h + j] as number) + (rz[b * 2 * h + j] as number));
        const z = sig((gx[b * 3 * h + h + j] as number) + (rz[b * 2 * h + h + j] as number));
        const n = Math.tanh((gx[b * 3 * h + 2 * h + j] as number) + (cand[b * h + j] as number));
        expectedRh.push(r * (prev[b * h + j] as number));
        expectedGh.push(z * (prev[b * h + j] as number) + (1 - z) * n);
      }
    }
    assertClose(mem.get(gPtrs.rh, block), expectedRh, 'gru R⊙H');
    assertClose(mem.get(gPtrs.h, block), expectedGh, 'gru H_t');
    mem.intact();
  });
}
