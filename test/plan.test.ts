import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../src/config/errors.js';
import { expandTrials } from '../src/plan/expand.js';
import { selectTrials } from '../src/plan/select.js';
import { corpusIdentity } from '../src/plan/corpus-identity.js';
import { canonicalJson } from '../src/plan/trial-id.js';
import { loadExperimentText } from './support/experiment.js';

const GRID = `
name: grid
sweep:
  grid:
    model.cell: [rnn, gru, lstm]
    model.hidden_size: [128, 256]
  seeds: [0, 1]
`;

test('the grid × seeds expand to their cartesian product, in order', () => {
  const trials = expandTrials(loadExperimentText(GRID));
  assert.equal(trials.length, 12);
  assert.deepEqual(trials[0].varying, { 'model.cell': 'rnn', 'model.hidden_size': 128, 'train.seed': 0 });
  assert.deepEqual(trials[1].varying, { 'model.cell': 'rnn', 'model.hidden_size': 128, 'train.seed': 1 });
  assert.deepEqual(trials[11].varying, { 'model.cell': 'lstm', 'model.hidden_size': 256, 'train.seed': 1 });
  assert.equal(trials[5].config.model.cell, 'gru');
  assert.equal(trials[5].config.model.hidden_size, 128);
  assert.equal(trials[5].config.train.seed, 1);
  assert.equal(trials[5].label, 'cell=gru hidden_size=128 seed=1');
  assert.ok(!('sweep' in trials[5].config), 'a trial config has no sweep section');
});

test('trial ids are short, distinct, and the same on every expansion', () => {
  const a = expandTrials(loadExperimentText(GRID));
  const b = expandTrials(loadExperimentText(GRID));
  assert.deepEqual(a.map((t) => t.id), b.map((t) => t.id));
  assert.equal(new Set(a.map((t) => t.id)).size, a.length);
  for (const t of a) assert.match(t.id, /^[0-9a-f]{10}$/);
});

test('a trial keeps its id when the grid around it changes, the name changes, or keys are reordered', () => {
  const small = expandTrials(loadExperimentText('name: one\nsweep: {grid: {model.cell: [gru]}}\n'));
  const big = expandTrials(loadExperimentText('name: two\ntracking: {experiment: other}\nsweep: {grid: {model.cell: [rnn, gru]}}\n'));
  assert.equal(small[0].id, big[1].id);
  const reordered = expandTrials(loadExperimentText('sweep: {grid: {model.cell: [gru]}}\nname: one\n'));
  assert.equal(reordered[0].id, small[0].id);
});

test('a change to anything that shapes the numbers changes the id', () => {
  const base = expandTrials(loadExperimentText('name: x\n'))[0].id;
  for (const change of ['train: {lr: 0.5}', 'model: {hidden_size: 64}', 'data: {level: word}', 'sample: {length: 10}', 'engine: {backend: cpu}']) {
    assert.notEqual(expandTrials(loadExperimentText(`name: x\n${change}\n`))[0].id, base, change);
  }
});

test('with no grid and no seeds there is one trial, labelled base', () => {
  const trials = expandTrials(loadExperimentText('name: solo\n'));
  assert.equal(trials.length, 1);
  assert.equal(trials[0].label, 'base');
  assert.deepEqual(trials[0].varying, {});
});

test('grid paths that end alike are labelled by their whole path', () => {
  const trials = expandTrials(loadExperimentText('name: x\nsweep: {grid: {train.lr: [1], model.dropout: [0.1]}}\n'));
  assert.equal(trials[0].label, 'lr=1 dropout=0.1');
});

test('a file corpus is identified by its content, not its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corpus-id-'));
  writeFileSync(join(dir, 'a.txt'), 'hello world');
  writeFileSync(join(dir, 'b.txt'), 'hello world');
  writeFileSync(join(dir, 'c.txt'), 'other text');
  const identify = corpusIdentity(dir);
  assert.equal(identify('a.txt'), identify('b.txt'));
  assert.notEqual(identify('a.txt'), identify('c.txt'));
  assert.equal(identify('moby-dick'), 'moby-dick');
});

test('canonical JSON ignores key order at every depth', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } }), '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
});

test('sweeping the backend gives distinct trials; sweeping the description is refused', () => {
  const trials = expandTrials(loadExperimentText('name: x\nsweep: {grid: {engine.backend: [wasm, cpu]}}\n'));
  assert.notEqual(trials[0].id, trials[1].id);
  assert.throws(() => loadExperimentText('name: x\nsweep: {grid: {description: [a, b]}}\n'), /'description' cannot be swept/);
});

const PLAIN_GRID_IDS = ['62c9f8a9e2', '522fe1a0a0', 'e5c86d989a', '1706e9f023', '46ba2275c5', '7eed39458a', 'bd002ba694', 'd3613fb42c', 'f86faf5cfb', 'ece8ee7b83', '9f51cc39e1', 'ec8a072f32'];

test('ids of a plain grid are exactly those of before include, exclude and ranges existed', () => {
  // Recorded from the planner before sweep.include/exclude: a change here would orphan every finished run.
  const ids = expandTrials(loadExperimentText(GRID)).map((t) => t.id);
  assert.deepEqual(ids, PLAIN_GRID_IDS);
});

test('exclude drops every grid point matching all keys of an entry; seeds still multiply the rest', () => {
  const trials = expandTrials(
    loadExperimentText(`${GRID}  exclude:\n    - {model.cell: rnn, model.hidden_size: 256}\n    - {model.cell: gru}\n`),
  );
  assert.deepEqual(
    trials.map((t) => t.label),
    ['cell=rnn hidden_size=128 seed=0', 'cell=rnn hidden_size=128 seed=1', 'cell=lstm hidden_size=128 seed=0', 'cell=lstm hidden_size=128 seed=1', 'cell=lstm hidden_size=256 seed=0', 'cell=lstm hidden_size=256 seed=1'],
  );
  const all = new Map(expandTrials(loadExperimentText(GRID)).map((t) => [t.label, t.id]));
  for (const t of trials) assert.equal(t.id, all.get(t.label), 'a trial left in keeps its id');
});

test('include adds points after the grid, unset keys from the base config, duplicates once, never excluded', () => {
  const trials = expandTrials(
    loadExperimentText(
      [
        'name: inc',
        'model: {hidden_size: 64}',
        'sweep:',
        '  grid: {model.cell: [rnn, gru]}',
        '  exclude: [{model.cell: rnn}]',
        '  include:',
        '    - {model.cell: rnn}',
        '    - {model.cell: gru}',
        '    - {model.cell: lstm, model.dropout: 0.5, model.num_layers: 2}',
        '    - {model.num_layers: 2, model.dropout: 0.5, model.cell: lstm}',
        '  seeds: [0, 1]',
      ].join('\n'),
    ),
  );
  assert.deepEqual(trials.map((t) => t.varying), [
    { 'model.cell': 'gru', 'model.dropout': 0, 'model.num_layers': 1, 'train.seed': 0 },
    { 'model.cell': 'gru', 'model.dropout': 0, 'model.num_layers': 1, 'train.seed': 1 },
    { 'model.cell': 'rnn', 'model.dropout': 0, 'model.num_layers': 1, 'train.seed': 0 },
    { 'model.cell': 'rnn', 'model.dropout': 0, 'model.num_layers': 1, 'train.seed': 1 },
    { 'model.cell': 'lstm', 'model.dropout': 0.5, 'model.num_layers': 2, 'train.seed': 0 },
    { 'model.cell': 'lstm', 'model.dropout': 0.5, 'model.num_layers': 2, 'train.seed': 1 },
  ]);
  assert.equal(trials[4].config.model.hidden_size, 64, 'a key no entry sets keeps the base value');
  assert.equal(trials[4].label, 'cell=lstm dropout=0.5 num_layers=2 seed=0');
  assert.equal(new Set(trials.map((t) => t.id)).size, 6);
});

test('an include point takes the base value, not a grid value, for a grid key it leaves out', () => {
  const trials = expandTrials(
    loadExperimentText('name: x\nmodel: {cell: lstm}\nsweep: {grid: {model.cell: [rnn, gru], train.lr: [0.5, 1]}, include: [{train.lr: 2}]}\n'),
  );
  assert.deepEqual(trials.at(-1)?.varying, { 'model.cell': 'lstm', 'train.lr': 2 });
  assert.equal(trials.length, 5);
});

test('with no grid, include adds points beside the base one', () => {
  const trials = expandTrials(loadExperimentText('name: x\nsweep: {include: [{model.cell: gru}, {model.cell: lstm}]}\n'));
  assert.deepEqual(trials.map((t) => t.label), ['cell=lstm', 'cell=gru'], 'the second entry is the base point');
  assert.equal(trials[0].id, expandTrials(loadExperimentText('name: x\n'))[0].id);
});

test('--only keeps the trials matching every path, either value for a path given twice, ids unchanged', () => {
  const trials = expandTrials(loadExperimentText(GRID));
  const gru = selectTrials(trials, ['model.cell=gru', 'model.hidden_size=128']);
  assert.deepEqual(gru.map((t) => t.label), ['cell=gru hidden_size=128 seed=0', 'cell=gru hidden_size=128 seed=1']);
  assert.deepEqual(gru.map((t) => t.id), [trials[4].id, trials[5].id]);
  const either = selectTrials(trials, ['model.cell=rnn', 'model.cell=lstm', 'train.seed=1']);
  assert.deepEqual(either.map((t) => t.label), ['cell=rnn hidden_size=128 seed=1', 'cell=rnn hidden_size=256 seed=1', 'cell=lstm hidden_size=128 seed=1', 'cell=lstm hidden_size=256 seed=1']);
  assert.equal(selectTrials(trials, []).length, 12);
});

test('--only compares values as YAML read them, by canonical JSON', () => {
  const trials = expandTrials(loadExperimentText('name: x\nsweep: {grid: {train.lr: [0.5, 1], sample.prefixes: [["a", "b"], ["c"]]}}\n'));
  assert.deepEqual(selectTrials(trials, ['train.lr=1.0', 'sample.prefixes=[a, b]']).map((t) => t.varying), [{ 'train.lr': 1, 'sample.prefixes': ['a', 'b'] }]);
});

/** The messages of the ConfigError `work` throws. */
function onlyProblems(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => `${issue.file}: ${issue.path}: ${issue.message}`);
  }
  return assert.fail('expected a ConfigError');
}

test('--only names an unknown path, a value no trial has, and a combination none has, all at once', () => {
  const trials = expandTrials(loadExperimentText(GRID));
  assert.deepEqual(onlyProblems(() => selectTrials(trials, ['model.cel=gru', 'model.cell=gre', 'train.lr=1', 'nonsense', 'model.hidden_size=64'])), [
    "--only model.cel=gru: model.cel: not swept, so there is nothing to choose; did you mean 'model.cell'?; the swept paths are model.cell, model.hidden_size, train.seed",
    "--only model.cell=gre: model.cell: no trial has model.cell=gre; did you mean 'gru'?; its values are rnn, gru, lstm",
    '--only train.lr=1: train.lr: not swept, so there is nothing to choose; the swept paths are model.cell, model.hidden_size, train.seed',
    '--only nonsense: : expected path=value, e.g. model.cell=gru',
    '--only model.hidden_size=64: model.hidden_size: no trial has model.hidden_size=64; its values are 128, 256',
  ]);
  const excluded = expandTrials(loadExperimentText(`${GRID}  exclude: [{model.cell: rnn, model.hidden_size: 128}]\n`));
  assert.deepEqual(onlyProblems(() => selectTrials(excluded, ['model.cell=rnn', 'model.hidden_size=128'])), [
    '--only model.cell=rnn --only model.hidden_size=128: : each value is in the sweep, but no trial has all of them together',
  ]);
  assert.deepEqual(onlyProblems(() => selectTrials(expandTrials(loadExperimentText('name: x\n')), ['model.cell=gru'])), [
    '--only model.cell=gru: model.cell: not swept, so there is nothing to choose; this experiment sweeps nothing',
  ]);
});
