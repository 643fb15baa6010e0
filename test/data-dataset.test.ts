import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataConfig } from '../src/config/types.js';
import { prepareDataset } from '../src/data/dataset.js';

const cfg = (over: Partial<DataConfig>): DataConfig => ({
  corpus: 'unused',
  level: 'char',
  max_tokens: null,
  validation_fraction: 0,
  min_freq: 0,
  lowercase: false,
  normalize: 'none',
  ...over,
});

test('the last validation_fraction of the stream is held out; 0 holds out nothing', () => {
  const text = 'abcdefghij';
  const d = prepareDataset(text, cfg({ validation_fraction: 0.3 }));
  assert.equal(d.vocab.decode(d.train, 'char'), 'abcdefg');
  assert.equal(d.vocab.decode(d.val, 'char'), 'hij');
  const all = prepareDataset(text, cfg({}));
  assert.equal(all.train.length, 10);
  assert.equal(all.val.length, 0);
});

test('max_tokens cuts the stream before the split, but the vocabulary covers the whole text (as d2l)', () => {
  const d = prepareDataset('aaaabbbcc d', cfg({ max_tokens: 5, validation_fraction: 0.4 }));
  assert.deepEqual(d.vocab.tokens, ['<unk>', 'a', 'b', 'c', ' ', 'd']);
  assert.equal(d.vocab.decode(d.train, 'char'), 'aaa');
  assert.equal(d.vocab.decode(d.val, 'char'), 'ab');
});

test('word level with min_freq: rare words become <unk>', () => {
  const d = prepareDataset('The cat. The dog!\nthe CAT', cfg({ level: 'word', min_freq: 2, lowercase: true, normalize: 'letters' }));
  assert.deepEqual(d.vocab.tokens, ['<unk>', 'the', 'cat']);
  assert.equal(d.vocab.decode(d.train, 'word'), 'the cat the <unk> the cat');
});
