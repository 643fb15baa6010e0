import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evalBatches, minimumTrainTokens, randomBatches, sequentialBatches, type Batch } from '../src/data/batches.js';
import { Rng } from '../src/data/rng.js';

// A stream whose ids are their positions: every batch entry says where in the stream it came from.
const positions = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);
const at = (a: Int32Array, b: Batch, r: number, t: number): number => a[r * b.numSteps + t] as number;

function assertShapesAndTargets(batches: Batch[], batchSize: number, numSteps: number): void {
  for (const b of batches) {
    assert.equal(b.batchSize, batchSize);
    assert.equal(b.numSteps, numSteps);
    assert.equal(b.x.length, batchSize * numSteps);
    assert.equal(b.y.length, batchSize * numSteps);
    for (let i = 0; i < b.x.length; i++) assert.equal(b.y[i], (b.x[i] as number) + 1, 'y is x shifted by one');
    for (let r = 0; r < batchSize; r++) {
      for (let t = 1; t < numSteps; t++) assert.equal(at(b.x, b, r, t), at(b.x, b, r, t - 1) + 1, 'rows are contiguous');
    }
  }
}

test("sequential: d2l's offset in [0, numSteps], shapes, batch count, targets", () => {
  const n = 1000;
  const [B, T] = [4, 7];
  const offsets = new Set<number>();
  for (let seed = 0; seed < 200; seed++) {
    const batches = sequentialBatches(positions(n), B, T, new Rng(seed));
    assertShapesAndTargets(batches, B, T);
    const offset = batches[0]!.x[0] as number;
    assert.ok(offset >= 0 && offset <= T, `offset ${offset}`);
    offsets.add(offset);
    const cols = Math.floor((n - offset - 1) / B);
    assert.equal(batches.length, Math.floor(cols / T));
    // rows start cols apart: the stream is reshaped to [B, cols]
    for (let r = 0; r < B; r++) assert.equal(at(batches[0]!.x, batches[0]!, r, 0), offset + r * cols);
  }
  assert.equal(offsets.size, T + 1, 'every offset in [0, numSteps] occurs');
});

test('sequential: row r of batch i+1 continues row r of batch i (state carry-over is sound)', () => {
  const batches = sequentialBatches(positions(500), 3, 5, new Rng(11));
  assert.ok(batches.length > 2);
  for (let i = 1; i < batches.length; i++) {
    const [prev, cur] = [batches[i - 1]!, batches[i]!];
    for (let r = 0; r < 3; r++) assert.equal(at(cur.x, cur, r, 0), at(prev.x, prev, r, 4) + 1);
  }
});

test('random: leading drop in [0, numSteps-1], disjoint shuffled subsequences, batch count', () => {
  const n = 1000;
  const [B, T] = [4, 7];
  const starts = new Set<number>();
  for (let seed = 0; seed < 200; seed++) {
    const batches = randomBatches(positions(n), B, T, new Rng(seed));
    assertShapesAndTargets(batches, B, T);
    const firsts = batches.flatMap((b) => Array.from({ length: B }, (_, r) => at(b.x, b, r, 0)));
    const start = Math.min(...firsts) % T;
    assert.ok(start >= 0 && start <= T - 1);
    starts.add(start);
    for (const f of firsts) assert.equal((f - start) % T, 0, 'subsequences sit on the numSteps grid');
    assert.equal(new Set(firsts).size, firsts.length, 'no subsequence is used twice');
    const numSubseqs = Math.floor((n - start - 1) / T);
    assert.equal(batches.length, Math.floor(numSubseqs / B));
    for (const f of firsts) assert.ok(f + T <= n - 1, 'every target exists');
  }
  assert.equal(starts.size, T, 'every leading drop in [0, numSteps-1] occurs');
});

test('random: the order is shuffled, not the stream order', () => {
  const batches = randomBatches(positions(2000), 2, 5, new Rng(3));
  const firsts = batches.flatMap((b) => [at(b.x, b, 0, 0), at(b.x, b, 1, 0)]);
  assert.notDeepEqual(firsts, [...firsts].sort((p, q) => p - q));
});

test('both samplers are deterministic for a seed and differ across seeds', () => {
  const corpus = positions(3000);
  for (const sampler of [sequentialBatches, randomBatches]) {
    const a = sampler(corpus, 8, 10, new Rng(42).fork('batches'));
    const b = sampler(corpus, 8, 10, new Rng(42).fork('batches'));
    assert.deepEqual(a, b);
    const firstXs = (seed: number): number[][] =>
      Array.from({ length: 10 }, (_, k) => Array.from(sampler(corpus, 8, 10, new Rng(seed + 100 * k))[0]!.x));
    assert.notDeepEqual(firstXs(1), firstXs(2));
  }
});

test('a stream too short for one batch gives no batches', () => {
  assert.deepEqual(sequentialBatches(positions(20), 4, 7, new Rng(0)), []);
  assert.deepEqual(randomBatches(positions(20), 4, 7, new Rng(0)), []);
  assert.deepEqual(randomBatches(positions(0), 4, 7, new Rng(0)), []);
  assert.throws(() => sequentialBatches(positions(20), 0, 7, new Rng(0)), RangeError);
});

test('eval: offset 0, rows reduced to what a short split can fill', () => {
  // plenty: the full batch size, sequential partition from 0
  const full = evalBatches(positions(1000), 4, 7);
  assertShapesAndTargets(full, 4, 7);
  assert.equal(full[0]!.x[0], 0);
  assert.equal(full.length, Math.floor(Math.floor(999 / 4) / 7));
  // 30 tokens: floor(29 / 7) = 4 rows fit, of floor(29 / 4) = 7 columns: exactly one batch
  const exact = evalBatches(positions(30), 4, 7);
  assertShapesAndTargets(exact, 4, 7);
  assert.equal(exact.length, 1);
  // 20 tokens: floor(19 / 7) = 2 rows of 9 columns, one batch of 7 steps
  const two = evalBatches(positions(20), 4, 7);
  assertShapesAndTargets(two, 2, 7);
  assert.equal(two.length, 1);
  assert.deepEqual([at(two[0]!.x, two[0]!, 0, 0), at(two[0]!.x, two[0]!, 1, 0)], [0, 9]);
  // shorter than numSteps + 1: one row of everything but the last token
  const one = evalBatches(positions(5), 4, 7);
  assertShapesAndTargets(one, 1, 4);
  assert.deepEqual(Array.from(one[0]!.x), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(one[0]!.y), [1, 2, 3, 4]);
  assert.deepEqual(evalBatches(positions(1), 4, 7), []);
});

test('minimumTrainTokens is the exact length from which every offset gives a minibatch', () => {
  for (const sampling of ['sequential', 'random'] as const) {
    const sample = sampling === 'sequential' ? sequentialBatches : randomBatches;
    for (const [batchSize, numSteps] of [[2, 3], [4, 5], [3, 7]] as const) {
      const min = minimumTrainTokens(batchSize, numSteps, sampling);
      const counts = (length: number): number[] =>
        Array.from({ length: 200 }, (_, seed) => sample(Int32Array.from({ length }, (_v, i) => i), batchSize, numSteps, new Rng(seed)).length);
      assert.ok(Math.min(...counts(min)) >= 1, `${sampling} ${batchSize}×${numSteps}: ${min} tokens always give a batch`);
      assert.equal(Math.min(...counts(min - 1)), 0, `${sampling} ${batchSize}×${numSteps}: ${min - 1} tokens sometimes give none`);
    }
  }
});
