// Grid ranges: {start, stop, step} and {log: [lo, hi], num}, expanded by the loader and checked like lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError } from '../src/config/errors.js';
import { loadExperiment } from '../src/config/load.js';
import { expandRange, MAX_RANGE_VALUES } from '../src/config/range.js';
import { expandTrials } from '../src/plan/expand.js';
import { workspace } from './support/workspace.js';

function grid(lines: string[], set?: string[]): Record<string, unknown[]> {
  const dir = workspace({ 'x.yaml': ['name: x', 'sweep:', '  grid:', ...lines.map((line) => `    ${line}`)].join('\n') });
  return loadExperiment(path.join(dir, 'x.yaml'), { set }).config.sweep.grid;
}

function problems(lines: string[], set?: string[]): string[] {
  try {
    grid(lines, set);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => (issue.line > 0 ? `${issue.line}:${issue.column}: ` : `${issue.file}: `) + `${issue.path}: ${issue.message}`);
  }
  return assert.fail('expected a ConfigError');
}

test('a linear range includes its stop when the steps reach it, and stops short when they do not', () => {
  assert.deepEqual(grid(['model.hidden_size: {start: 64, stop: 256, step: 64}']), { 'model.hidden_size': [64, 128, 192, 256] });
  assert.deepEqual(grid(['model.hidden_size: {start: 64, stop: 250, step: 64}']), { 'model.hidden_size': [64, 128, 192] });
  assert.deepEqual(grid(['train.epochs: {start: 3, stop: 3, step: 1}']), { 'train.epochs': [3] });
});

test('a float range does not drift: start 0.1, step 0.1, stop 0.5 gives exactly 5 tidy values', () => {
  assert.deepEqual(grid(['model.dropout: {start: 0.1, stop: 0.5, step: 0.1}']), { 'model.dropout': [0.1, 0.2, 0.3, 0.4, 0.5] });
  assert.deepEqual(grid(['model.dropout: {start: 0, stop: 0.3, step: 0.1}']), { 'model.dropout': [0, 0.1, 0.2, 0.3] });
  assert.deepEqual(grid(['model.forget_bias: {start: -0.2, stop: 0.2, step: 0.1}']), { 'model.forget_bias': [-0.2, -0.1, 0, 0.1, 0.2] });
  // -0.9 + 3·0.3 is -1.1e-16, which rounds to -0: it must come out as 0, which prints and compares as 0.
  const throughZero = expandRange({ start: -0.9, stop: 0.3, step: 0.3 }, false);
  assert.ok('values' in throughZero && Object.is(throughZero.values[3], 0), 'zero, not -0');
  assert.deepEqual(throughZero, { values: [-0.9, -0.6, -0.3, 0, 0.3] });
});

test('a log range spaces values geometrically, both ends exact', () => {
  assert.deepEqual(grid(['train.lr: {log: [0.0001, 0.1], num: 4}']), { 'train.lr': [0.0001, 0.001, 0.01, 0.1] });
  assert.deepEqual(grid(['train.lr: {log: [0.001, 1], num: 2}']), { 'train.lr': [0.001, 1] });
  assert.deepEqual(grid(['train.lr: {log: [0.1, 1.23456789012345], num: 3}'])['train.lr']?.at(-1), 1.23456789012345, 'an end keeps all its digits');
});

test('a log range on an integer key is rounded and its repeats dropped', () => {
  // 1, 1.468, 2.154, 3.162, 4.642, 6.813, 10 → 1, 1, 2, 3, 5, 7, 10 → repeats dropped
  assert.deepEqual(grid(['model.num_layers: {log: [1, 10], num: 7}']), { 'model.num_layers': [1, 2, 3, 5, 7, 10] });
  assert.deepEqual(grid(['model.hidden_size: {log: [32, 512], num: 5}']), { 'model.hidden_size': [32, 64, 128, 256, 512] });
  assert.deepEqual(grid(['model.embedding: {log: [10, 1000], num: 3}']), { 'model.embedding': [10, 100, 1000] }, 'oneOf with an integer branch rounds too');
});

test('a bad range is reported at the range, every problem at once', () => {
  assert.deepEqual(
    problems([
      'model.hidden_size: {start: 64, stop: 256, step: 0}',
      'train.epochs: {start: 5, stop: 1, step: 1}',
      'train.lr: {log: [0.1, 0.001], num: 3}',
      'model.dropout: {log: [0, 0.5], num: 1}',
      'train.batch_size: {start: 1, stop: 4, stpe: 1}',
      'model.cell: {start: 1, stop: 3, step: 1}',
      'model.num_layers: {start: 0, stop: 2, step: 0.5}',
      'train.momentum: {start: 0, stop: 1000, step: 0.01}',
    ]),
    [
      '4:53: sweep.grid.model.hidden_size.step: expected a number > 0, got 0',
      '5:19: sweep.grid.train.epochs: stop 1 is below start 5: the range is empty',
      '6:15: sweep.grid.train.lr: log: [0.1, 0.001] must go from low to high',
      '7:27: sweep.grid.model.dropout.log[0]: expected a number > 0, got 0',
      '7:41: sweep.grid.model.dropout.num: expected an integer ≥ 2, got 1',
      "8:23: sweep.grid.train.batch_size.step: missing required key 'step'",
      "8:43: sweep.grid.train.batch_size.stpe: unknown key 'stpe'; did you mean 'step'?",
      '9:17: sweep.grid.model.cell: a range makes numbers, and model.cell takes one of rnn, gru, lstm: list its values instead',
      '10:23: sweep.grid.model.num_layers: the range gives 3 values model.num_layers does not take: expected an integer ≥ 1, got 0, 0.5, 1.5',
      `11:21: sweep.grid.train.momentum: the range has 100001 values; at most ${MAX_RANGE_VALUES}`,
    ],
  );
});

test('a value a range gives is checked against its key like a list item', () => {
  assert.deepEqual(problems(['model.dropout: {start: 0.5, stop: 1, step: 0.25}']), [
    '4:20: sweep.grid.model.dropout: the range gives a value model.dropout does not take: expected a number in [0, 1), got 1',
  ]);
});

test('--set can give one grid key a list or a range', () => {
  const lines = ['model.cell: [rnn, gru, lstm]', 'model.hidden_size: [8]'];
  assert.deepEqual(grid(lines, ['sweep.grid.model.cell=[gru]']), { 'model.cell': ['gru'], 'model.hidden_size': [8] });
  assert.deepEqual(grid(lines, ['sweep.grid.train.lr={log: [0.01, 1], num: 3}']), {
    'model.cell': ['rnn', 'gru', 'lstm'],
    'model.hidden_size': [8],
    'train.lr': [0.01, 0.1, 1],
  });
  assert.deepEqual(problems(lines, ['sweep.grid.model.hidden_size={start: 0, stop: 8, step: 8}', 'sweep.grid.model.cel=[gru]']), [
    '--set sweep.grid.model.hidden_size={start: 0, stop: 8, step: 8}: sweep.grid.model.hidden_size: the range gives a value model.hidden_size does not take: expected an integer ≥ 1, got 0',
    "--set sweep.grid.model.cel=[gru]: sweep.grid.model.cel: unknown grid key 'model.cel'; did you mean 'model.cell'?",
  ]);
});

test('trials of a range are the trials of the same list, ids included', () => {
  const dir = workspace({
    'range.yaml': 'name: x\nsweep: {grid: {model.hidden_size: {start: 64, stop: 192, step: 64}}}\n',
    'list.yaml': 'name: x\nsweep: {grid: {model.hidden_size: [64, 128, 192]}}\n',
  });
  const ids = (file: string): string[] => expandTrials(loadExperiment(path.join(dir, file)).config).map((trial) => trial.id);
  assert.deepEqual(ids('range.yaml'), ids('list.yaml'));
});
