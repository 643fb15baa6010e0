// Memory on the fast path: no tfjs tensor leaks across epochs and trials, and a 256-hidden trial's
// peak resident memory within 300 MiB (measured in a child process, whose peak is its own).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { MeasuredTrial } from '../bench/measure-trial.js';
import type { ModelConfig, TrainConfig } from '../src/config/types.js';
import { initBackend } from '../src/train/backend.js';
import { prepareDataset } from '../src/train/dataset.js';
import { trainModel } from '../src/train/loop.js';
import { RnnLM } from '../src/train/model.js';
import { Rng } from '../src/train/rng.js';
import { loadExperimentText } from './support/experiment.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpusDir = mkdtempSync(path.join(tmpdir(), 'memory-fast-'));
const corpusFile = path.join(corpusDir, 'corpus.txt');
writeFileSync(corpusFile, 'the time traveller was expounding a recondite matter to us. '.repeat(30));

before(async () => {
  await initBackend('wasm');
});

test('fast path: the tensor count is the same after every epoch and back to its start after training', async () => {
  const { sweep: _sweep, ...base } = loadExperimentText(`
name: memory-test
data: { corpus: ${JSON.stringify(corpusFile)}, validation_fraction: 0.2 }
model: { hidden_size: 16 }
train: { epochs: 4, batch_size: 4, num_steps: 8 }
`);
  const { vocab, train, val } = prepareDataset(readFileSync(corpusFile, 'utf8'), base.data);
  const variants: [Partial<ModelConfig>, Partial<TrainConfig>][] = [
    [{ cell: 'lstm' }, {}],
    [{ cell: 'gru', bidirectional: true, num_layers: 2, dropout: 0.2 }, { sampling: 'random' }],
    [{ cell: 'rnn', embedding: 8 }, { optimizer: 'adam', lr: 0.01 }],
  ];
  const start = tf.memory().numTensors;
  for (const [model, trainCfg] of variants) {
    const config = { ...base, model: { ...base.model, ...model }, train: { ...base.train, ...trainCfg } };
    const rng = new Rng(1);
    const lm = RnnLM.init(config.model, vocab.size, rng.fork('init'), 'fast');
    const counts: number[] = [];
    await trainModel({
      model: lm,
      vocab,
      train,
      val,
      config,
      rng,
      onEvent: (e) => {
        if (e.type === 'epoch') counts.push(tf.memory().numTensors);
      },
    });
    lm.dispose();
    assert.equal(counts.length, 4);
    assert.equal(new Set(counts).size, 1, `tensor counts per epoch: ${counts} (${JSON.stringify(model)})`);
    assert.equal(tf.memory().numTensors, start);
  }
});

test('an lstm trial at 256 hidden (d2l setup) peaks below 300 MiB resident', () => {
  const spec = { cell: 'lstm', backend: 'wasm', path: 'fast', epochs: 1, maxTokens: 2300 };
  const child = spawnSync(process.execPath, [path.join(here, '..', 'bench', 'measure-trial.js'), JSON.stringify(spec)], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  const measured = JSON.parse(child.stdout.trim().split('\n').pop() as string) as MeasuredTrial;
  assert.equal(measured.perEpoch.length, 1);
  assert.ok(measured.peakRssMiB > 0 && measured.peakRssMiB <= 300, `peak RSS ${measured.peakRssMiB.toFixed(0)} MiB`);
});
