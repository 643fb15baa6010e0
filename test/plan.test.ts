import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandTrials } from '../src/plan/expand.js';
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
