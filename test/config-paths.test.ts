import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenConfig, getPath, setPath } from '../src/config/paths.js';

test('getPath follows dotted keys and gives undefined for a missing or blocked step', () => {
  const config = { model: { cell: 'gru', hidden_size: 8 }, name: 'x' };
  assert.equal(getPath(config, 'model.cell'), 'gru');
  assert.deepEqual(getPath(config, 'model'), { cell: 'gru', hidden_size: 8 });
  assert.equal(getPath(config, 'model.missing'), undefined);
  assert.equal(getPath(config, 'name.length'), undefined);
  assert.equal(getPath(config, 'model.toString'), undefined, 'inherited properties are not config keys');
});

test('setPath replaces a leaf, creates missing mappings and refuses to write through a non-mapping', () => {
  const config: Record<string, unknown> = { model: { cell: 'lstm', hidden_size: 256 } };
  setPath(config, 'model.cell', 'rnn');
  setPath(config, 'train.epochs', 2);
  assert.deepEqual(config, { model: { cell: 'rnn', hidden_size: 256 }, train: { epochs: 2 } });
  assert.throws(() => setPath(config, 'model.cell.x', 1), /cannot set model\.cell\.x: cell is not a mapping/);
});

test('flattenConfig gives dotted keys and string values, lists and nulls as JSON', () => {
  const flat = flattenConfig({
    name: 'x',
    data: { corpus: 'moby-dick', max_tokens: null, lowercase: false, validation_fraction: 0.1 },
    sample: { prefixes: ['the whale', 'call me'] },
    sweep: { grid: { 'model.cell': ['rnn', 'gru'] }, seeds: null },
    empty: {},
  });
  assert.deepEqual(flat, {
    name: 'x',
    'data.corpus': 'moby-dick',
    'data.max_tokens': 'null',
    'data.lowercase': 'false',
    'data.validation_fraction': '0.1',
    'sample.prefixes': '["the whale","call me"]',
    'sweep.grid.model.cell': '["rnn","gru"]',
    'sweep.seeds': 'null',
    empty: '{}',
  });
});
