// Token-id stream → minibatches, d2l 8.3's two samplers. x and y are row-major [batchSize, numSteps];
// y is x shifted by one token in the stream (the next-token targets).

import type { Rng } from './rng.js';

export interface Batch {
  x: Int32Array;
  y: Int32Array;
  batchSize: number;
  numSteps: number;
}

/**
 * d2l's seq_data_iter_sequential: after a random offset in [0, numSteps], the stream is cut into
 * batchSize equal rows and each batch takes the next numSteps columns. Row r of batch i+1
 * continues row r of batch i in the stream, which is why the hidden state may be carried over.
 */
export function sequentialBatches(corpus: Int32Array, batchSize: number, numSteps: number, rng: Rng): Batch[] {
  checkShape(batchSize, numSteps);
  const offset = rng.int(0, numSteps);
  return partition(corpus, offset, batchSize, numSteps);
}

/**
 * d2l's seq_data_iter_random: after dropping a random [0, numSteps-1] leading tokens, the stream is
 * cut into non-overlapping subsequences of numSteps; they are shuffled and dealt batchSize at a time.
 * Neighbouring batches are not adjacent in the stream, so each starts from a fresh state.
 */
export function randomBatches(corpus: Int32Array, batchSize: number, numSteps: number, rng: Rng): Batch[] {
  checkShape(batchSize, numSteps);
  const start = rng.int(0, numSteps - 1);
  const numSubseqs = Math.max(0, Math.floor((corpus.length - start - 1) / numSteps));
  const initial = Array.from({ length: numSubseqs }, (_, k) => start + k * numSteps);
  rng.shuffle(initial);
  const numBatches = Math.floor(numSubseqs / batchSize);
  const batches: Batch[] = [];
  for (let b = 0; b < numBatches; b++) {
    const x = new Int32Array(batchSize * numSteps);
    const y = new Int32Array(batchSize * numSteps);
    for (let r = 0; r < batchSize; r++) {
      const pos = initial[b * batchSize + r] as number;
      x.set(corpus.subarray(pos, pos + numSteps), r * numSteps);
      y.set(corpus.subarray(pos + 1, pos + 1 + numSteps), r * numSteps);
    }
    batches.push({ x, y, batchSize, numSteps });
  }
  return batches;
}

/**
 * Validation batches: the sequential partition with offset 0, so every trial scores the same tokens.
 * A validation split is often too short for the training batch size, and d2l's rule would then give
 * no batch at all; instead the rows are reduced to as many full rows of numSteps (+1 for the target)
 * as the stream can fill, min(batchSize, floor((len-1)/numSteps)). A stream shorter than numSteps+1
 * becomes one row of len-1 steps; one with fewer than 2 tokens has nothing to score.
 */
export function evalBatches(corpus: Int32Array, batchSize: number, numSteps: number): Batch[] {
  checkShape(batchSize, numSteps);
  if (corpus.length < 2) return [];
  const rows = Math.min(batchSize, Math.floor((corpus.length - 1) / numSteps));
  if (rows === 0) return partition(corpus, 0, 1, corpus.length - 1);
  return partition(corpus, 0, rows, numSteps);
}

/** The sequential partition of d2l's seq_data_iter_sequential from a given offset. */
function partition(corpus: Int32Array, offset: number, batchSize: number, numSteps: number): Batch[] {
  const numTokens = Math.max(0, Math.floor((corpus.length - offset - 1) / batchSize) * batchSize);
  const cols = numTokens / batchSize;
  const numBatches = Math.floor(cols / numSteps);
  const batches: Batch[] = [];
  for (let b = 0; b < numBatches; b++) {
    const x = new Int32Array(batchSize * numSteps);
    const y = new Int32Array(batchSize * numSteps);
    for (let r = 0; r < batchSize; r++) {
      const pos = offset + r * cols + b * numSteps;
      x.set(corpus.subarray(pos, pos + numSteps), r * numSteps);
      y.set(corpus.subarray(pos + 1, pos + 1 + numSteps), r * numSteps);
    }
    batches.push({ x, y, batchSize, numSteps });
  }
  return batches;
}

function checkShape(batchSize: number, numSteps: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isInteger(numSteps) || numSteps < 1) {
    throw new RangeError(`batchSize and numSteps must be positive integers, got ${batchSize}, ${numSteps}`);
  }
}

/**
 * The fewest tokens that give every epoch at least one minibatch, whatever d2l's random offset:
 * sequential partitioning may skip up to numSteps leading tokens and needs one more for the
 * shifted targets; random sampling may skip up to numSteps − 1.
 */
export function minimumTrainTokens(batchSize: number, numSteps: number, sampling: 'sequential' | 'random'): number {
  return batchSize * numSteps + (sampling === 'sequential' ? numSteps + 1 : numSteps);
}
