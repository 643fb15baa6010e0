// Generation (d2l's predict_ch8, temperature and top-k sampling) and the saved-weights round trip.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../src/config/types.js';
import { modelConfig } from './support/model-config.js';
import { initBackend } from '../src/train/backend.js';
import { chooseToken, predict, prefixProblem, sampleText } from '../src/train/generate.js';
import { RnnLM } from '../src/train/model.js';
import { Rng } from '../src/data/rng.js';
import { Vocab } from '../src/data/vocab.js';
import { MODEL_JSON, WEIGHTS_BIN, exportWeights, importWeights } from '../src/train/weights.js';

const vocab = Vocab.fromTokens(['<unk>', ' ', 'e', 't', 'a', 'h', 'i', 'm', 'r', 'v', 'l']);

function model(overrides: Partial<ModelConfig> = {}): RnnLM {
  const config = modelConfig({ cell: 'lstm', hidden_size: 8, num_layers: 2, ...overrides });
  return RnnLM.init(config, vocab.size, new Rng(3));
}

const greedy = { length: 12, temperature: 0, topK: 0, rng: new Rng(0) };

before(async () => {
  await initBackend('wasm');
});

test('greedy generation warms the state up on the prefix, then feeds back the argmax', () => {
  const m = model();
  const prefix = vocab.encode([...'time']);
  const out = predict(m, prefix, greedy);
  assert.equal(out.length, prefix.length + 12);
  assert.deepEqual(out.slice(0, 4), [...prefix]);
  // Feeding the prefix one token at a time must leave the same state as one forward pass over it:
  // the first generated token is the argmax of the last step's logits of that pass.
  const last = tf.tidy(() => {
    const f = m.forward(prefix, prefix.length, m.beginState(1));
    return f.logits.slice([prefix.length - 1, 0], [1, vocab.size]).argMax(1).dataSync()[0];
  });
  assert.equal(out[4], last);
  m.dispose();
});

test('top_k = 1 at any temperature is greedy; sampling is seeded', () => {
  const m = model({ cell: 'gru' });
  const prefix = vocab.encode([...'the']);
  const g = predict(m, prefix, greedy);
  assert.deepEqual(predict(m, prefix, { length: 12, temperature: 2, topK: 1, rng: new Rng(9) }), g);
  const a = predict(m, prefix, { length: 12, temperature: 1.5, topK: 0, rng: new Rng(4) });
  const b = predict(m, prefix, { length: 12, temperature: 1.5, topK: 0, rng: new Rng(4) });
  assert.deepEqual(a, b);
  m.dispose();
});

test('sampling draws from softmax(logits / temperature), restricted to the top k', () => {
  const logits = Float32Array.of(0, Math.log(3), -50, Math.log(1));
  const rng = new Rng(1);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[chooseToken(logits, { temperature: 1, topK: 0, rng })]!++;
  // probabilities 0.2, 0.6, ~0, 0.2
  assert.ok(Math.abs(counts[1]! / 4000 - 0.6) < 0.03, `${counts}`);
  assert.ok(Math.abs(counts[0]! / 4000 - 0.2) < 0.03, `${counts}`);
  assert.equal(counts[2], 0);
  // top 2 of [0, log 3, −50, −1] are indices 1 and 0, renormalised to 0.75 and 0.25
  const top2 = [0, 0, 0, 0];
  const ranked = Float32Array.of(0, Math.log(3), -50, -1);
  for (let i = 0; i < 4000; i++) top2[chooseToken(ranked, { temperature: 1, topK: 2, rng })]!++;
  assert.equal(top2[2]! + top2[3]!, 0, `${top2}`);
  assert.ok(Math.abs(top2[1]! / 4000 - 0.75) < 0.03, `${top2}`);
  // a high temperature flattens the distribution
  const hot = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) hot[chooseToken(Float32Array.of(0, Math.log(3)), { temperature: 100, topK: 0, rng })]!++;
  assert.ok(Math.abs(hot[0]! / 4000 - 0.5) < 0.03, `${hot}`);
  assert.equal(chooseToken(logits, { temperature: 0, topK: 0, rng }), 1);
});

test('sampleText tokenises the prefix as the corpus was and decodes the result', () => {
  const m = model();
  const text = sampleText(m, vocab, { level: 'char', normalize: 'letters', lowercase: true }, 'The  Time!', greedy);
  assert.ok(text.startsWith('the time'), text);
  assert.equal(text.length, 'the time'.length + 12);
  m.dispose();
});

test('saved weights reload into a model with the same logits, config and vocabulary', async () => {
  for (const overrides of [{}, { cell: 'rnn', bidirectional: true, embedding: 5 }] as Partial<ModelConfig>[]) {
    const m = model(overrides);
    const files = await exportWeights(m, vocab, 'char');
    assert.deepEqual(files.map((f) => f.path), [MODEL_JSON, WEIGHTS_BIN]);
    const json = JSON.parse(new TextDecoder().decode(files[0]!.data));
    assert.deepEqual(json.weightsManifest[0].paths, [WEIGHTS_BIN]);
    assert.deepEqual(json.weightsManifest[0].weights.map((w: { name: string }) => w.name), [...m.params.keys()]);
    assert.deepEqual(json.userDefinedMetadata.vocab, [...vocab.tokens]);
    assert.equal(files[1]!.data.byteLength, m.paramCount * 4);

    const loaded = importWeights(files);
    assert.deepEqual(loaded.model.config, m.config);
    assert.deepEqual([...loaded.vocab.tokens], [...vocab.tokens]);
    assert.equal(loaded.level, 'char');
    const ids = vocab.encode([...'the time machine']);
    const logits = (net: RnnLM): Float32Array =>
      tf.tidy(() => net.forward(ids, ids.length / 2, net.beginState(2)).logits.dataSync() as Float32Array);
    assert.deepEqual(logits(loaded.model), logits(m));
    loaded.model.dispose();
    m.dispose();
  }
});

test('a prefix that normalises to nothing or has unknown tokens is reported, a good one is not', () => {
  const letters = { level: 'char', normalize: 'letters', lowercase: true } as const;
  assert.equal(prefixProblem(vocab, letters, 'the tim'), null);
  assert.match(prefixProblem(vocab, letters, '123') ?? '', /"123" is empty once normalised/);
  assert.match(prefixProblem(vocab, letters, 'zebra') ?? '', /"zebra" has tokens the vocabulary lacks \("z", "b"\)/);
});
