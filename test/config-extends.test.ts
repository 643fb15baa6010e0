// `extends:` — bases merged in order, the file itself winning, every error placed in the file that wrote it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../src/config/errors.js';
import { loadExperiment } from '../src/config/load.js';
import { workspace } from './support/workspace.js';

/** Each issue as `file:line:column: path: message`, the file named relative to `dir`. */
function problems(dir: string, file: string, set?: string[]): string[] {
  try {
    loadExperiment(path.join(dir, file), { set });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => {
      const where = issue.line > 0 ? `${path.relative(dir, issue.file)}:${issue.line}:${issue.column}` : issue.file;
      return `${where}: ${issue.path}: ${issue.message}`;
    });
  }
  return assert.fail('expected a ConfigError');
}

test('a chain of two files merges key by key, the extending file winning; extends is not in the result', () => {
  const dir = workspace({
    'base.yaml': ['name: base', 'description: shared setup', 'model: {cell: gru, hidden_size: 64, num_layers: 2}', 'train: {epochs: 3}', 'sample: {prefixes: [a, b]}'].join('\n'),
    'child.yaml': ['extends: base.yaml', 'name: child', 'model: {hidden_size: 32}', 'sample: {prefixes: [c]}'].join('\n'),
  });
  const loaded = loadExperiment(path.join(dir, 'child.yaml'));
  const { config } = loaded;
  assert.equal(config.name, 'child', 'the file itself wins over its base');
  assert.equal(config.description, 'shared setup', 'what only the base says is kept');
  assert.deepEqual([config.model.cell, config.model.hidden_size, config.model.num_layers], ['gru', 32, 2], 'mappings merge key by key');
  assert.equal(config.train.epochs, 3);
  assert.deepEqual(config.sample.prefixes, ['c'], 'a list replaces, it is not appended to');
  assert.ok(!('extends' in config), 'extends is not part of the resolved config');
  assert.deepEqual(loaded.bases, [path.join(dir, 'base.yaml')]);
});

test('a list of bases merges in order, later winning, and sweep.grid merges by key', () => {
  const dir = workspace({
    'a.yaml': [
      'model: {cell: rnn, hidden_size: 8}',
      'sweep: {grid: {model.cell: [rnn, gru], train.lr: [1, 2], train.epochs: {start: 1, stop: 3, step: 1}}, seeds: [0, 1]}',
    ].join('\n'),
    'b.yaml': ['model: {cell: lstm}', 'sweep: {grid: {train.lr: [0.5], train.epochs: {log: [1, 8], num: 4}}}'].join('\n'),
    'top.yaml': ['extends: [a.yaml, b.yaml]', 'name: top', 'sweep: {grid: {model.hidden_size: [16, 32]}}'].join('\n'),
  });
  const { config } = loadExperiment(path.join(dir, 'top.yaml'));
  assert.equal(config.model.cell, 'lstm');
  assert.equal(config.model.hidden_size, 8);
  // A grid key's values are replaced whole: a log range over a linear one is not a mix of the two.
  assert.deepEqual(config.sweep.grid, { 'model.cell': ['rnn', 'gru'], 'train.lr': [0.5], 'train.epochs': [1, 2, 4, 8], 'model.hidden_size': [16, 32] });
  assert.deepEqual(config.sweep.seeds, [0, 1]);
});

test('errors point at the file and line that wrote the value, the base file for a base value', () => {
  const dir = workspace({
    'base.yaml': ['# shared', 'model:', '  cell: lstmm', '  hiden_size: 3', 'train: {epochs: 0, lr: 0.5}'].join('\n'),
    'child.yaml': ['name: child', 'extends: base.yaml', 'train:', '  lr: -1'].join('\n'),
  });
  assert.deepEqual(problems(dir, 'child.yaml'), [
    'child.yaml:4:7: train.lr: expected a number > 0, got -1',
    "base.yaml:3:9: model.cell: expected one of rnn, gru, lstm, got \"lstmm\"; did you mean 'lstm'?",
    "base.yaml:4:3: model.hiden_size: unknown key 'hiden_size'; did you mean 'hidden_size'?",
    'base.yaml:5:17: train.epochs: expected an integer ≥ 1, got 0',
  ]);
});

test('a value the extending file replaces is no longer an error of the base', () => {
  const dir = workspace({
    'base.yaml': 'model: {cell: lstmm}\n',
    'child.yaml': 'extends: base.yaml\nname: ok\nmodel: {cell: gru}\n',
  });
  assert.equal(loadExperiment(path.join(dir, 'child.yaml')).config.model.cell, 'gru');
});

test('a cycle is reported at the extends line that closes it', () => {
  const dir = workspace({
    'a.yaml': 'name: a\nextends: b.yaml\n',
    'b.yaml': '# b\nextends: [c.yaml]\n',
    'c.yaml': 'model: {cell: gru}\nextends: a.yaml\n',
    'self.yaml': 'name: self\nextends: ./self.yaml\n',
  });
  assert.deepEqual(problems(dir, 'a.yaml'), ['c.yaml:2:10: extends: extends cycle: a.yaml → b.yaml → c.yaml → a.yaml']);
  assert.deepEqual(problems(dir, 'self.yaml'), ['self.yaml:2:10: extends: extends cycle: self.yaml → self.yaml']);
});

test('a cycle through a symlinked directory is still a cycle', () => {
  const dir = workspace({ 'a.yaml': 'name: a\nextends: link/a.yaml\n' });
  symlinkSync(dir, path.join(dir, 'link'));
  assert.deepEqual(problems(dir, 'a.yaml'), ['a.yaml:2:10: extends: extends cycle: a.yaml → link/a.yaml']);
});

test('a diamond (two bases sharing a base) is not a cycle', () => {
  const dir = workspace({
    'root.yaml': 'train: {epochs: 4}\n',
    'left.yaml': 'extends: root.yaml\nmodel: {cell: rnn}\n',
    'right.yaml': 'extends: root.yaml\nmodel: {hidden_size: 16}\n',
    'top.yaml': 'name: top\nextends: [left.yaml, right.yaml]\n',
  });
  const { config } = loadExperiment(path.join(dir, 'top.yaml'));
  assert.deepEqual([config.model.cell, config.model.hidden_size, config.train.epochs], ['rnn', 16, 4]);
});

test('a missing or unreadable base is an error at the extends line, with every other problem', () => {
  const dir = workspace({
    'child.yaml': ['name: child', 'extends:', '  - there.yaml', '  - missing.yaml', '  - broken.yaml', '  - empty.yaml'].join('\n'),
    'there.yaml': 'model: {cell: gru}\n',
    'broken.yaml': 'model: {cell: gru\n',
    'empty.yaml': '',
  });
  assert.deepEqual(problems(dir, 'child.yaml'), [
    `child.yaml:4:5: extends[1]: cannot read base file ${path.join(dir, 'missing.yaml')}: no such file`,
    'broken.yaml:2:1: : invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
    'empty.yaml:1:1: : file is empty: expected a mapping of settings',
  ]);
});

test('extends must be a path or a list of paths, and cannot be --set', () => {
  const dir = workspace({ 'a.yaml': 'name: a\nextends: {file: b.yaml}\n', 'b.yaml': 'name: b\n' });
  assert.deepEqual(problems(dir, 'a.yaml'), [
    'a.yaml:2:10: extends: expected a non-empty string, or a list, each a non-empty string, got {"file":"b.yaml"}',
  ]);
  assert.deepEqual(problems(dir, 'b.yaml', ['extends=a.yaml']), [
    '--set extends=a.yaml: extends: extends is read from the file itself, before --set applies; it cannot be set',
  ]);
});

test('a misspelt extends is an unknown key with a suggestion', () => {
  const dir = workspace({ 'a.yaml': 'name: a\nextend: b.yaml\n' });
  assert.deepEqual(problems(dir, 'a.yaml'), ["a.yaml:2:1: extend: unknown key 'extend'; did you mean 'extends'?"]);
});

test('a base in another directory names its corpus and its own bases relative to itself', () => {
  const dir = workspace({ 'top.yaml': 'name: top\nextends: common/base.yaml\n' });
  mkdirSync(path.join(dir, 'common', 'texts'), { recursive: true });
  writeFileSync(path.join(dir, 'common', 'texts', 'tiny.txt'), 'hello world\n');
  writeFileSync(path.join(dir, 'common', 'root.yaml'), 'train: {epochs: 2}\n');
  writeFileSync(
    path.join(dir, 'common', 'base.yaml'),
    [
      'extends: root.yaml',
      'data: {corpus: texts/tiny.txt}',
      'sweep: {grid: {data.corpus: [moby-dick, texts/tiny.txt]}, include: [{data.corpus: texts/tiny.txt}], exclude: [{data.corpus: texts/tiny.txt}]}',
    ].join('\n'),
  );
  const { config, dir: resolvedDir } = loadExperiment(path.join(dir, 'top.yaml'));
  const corpus = path.join('common', 'texts', 'tiny.txt');
  assert.equal(resolvedDir, dir, 'corpus paths resolve from the experiment file');
  assert.equal(config.data.corpus, corpus);
  assert.deepEqual(config.sweep.grid['data.corpus'], ['moby-dick', corpus]);
  assert.deepEqual(config.sweep.include, [{ 'data.corpus': corpus }]);
  assert.deepEqual(config.sweep.exclude, [{ 'data.corpus': corpus }]);
  assert.equal(config.train.epochs, 2);

  writeFileSync(path.join(dir, 'common', 'base.yaml'), 'data: {corpus: texts/none.txt}\n');
  assert.deepEqual(problems(dir, 'top.yaml'), [`common/base.yaml:1:16: data.corpus: corpus file not found: ${path.join(dir, 'common', 'texts', 'none.txt')}`]);
});

test('a missing name is reported at the experiment file, and a base may supply it', () => {
  const dir = workspace({ 'base.yaml': 'model: {cell: gru}\n', 'child.yaml': 'extends: base.yaml\n', 'named.yaml': 'name: from-base\n', 'c2.yaml': 'extends: named.yaml\n' });
  assert.deepEqual(problems(dir, 'child.yaml'), ["child.yaml:1:1: name: missing required key 'name'"]);
  assert.equal(loadExperiment(path.join(dir, 'c2.yaml')).config.name, 'from-base');
});

test('--set applies over the merged files', () => {
  const dir = workspace({ 'base.yaml': 'name: b\ntrain: {epochs: 3}\n', 'child.yaml': 'extends: base.yaml\n' });
  assert.equal(loadExperiment(path.join(dir, 'child.yaml'), { set: ['train.epochs=5'] }).config.train.epochs, 5);
  assert.deepEqual(problems(dir, 'child.yaml', ['train.epochs=0']), ['--set train.epochs=0: train.epochs: expected an integer ≥ 1, got 0']);
});
