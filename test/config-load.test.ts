import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, formatIssues } from '../src/config/errors.js';
import { loadExperiment } from '../src/config/load.js';
import type { ExperimentConfig } from '../src/config/types.js';

const dir = mkdtempSync(path.join(tmpdir(), 'run-sweep-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let written = 0;
function write(lines: string[] | string, name = `case-${++written}.yaml`): string {
  const file = path.join(dir, name);
  writeFileSync(file, Array.isArray(lines) ? `${lines.join('\n')}\n` : lines);
  return file;
}

/** Each issue as `line:column: path: message`, or `file: path: message` when it has no position. */
function problems(lines: string[] | string, set?: string[]): string[] {
  const file = write(lines);
  try {
    loadExperiment(file, { set });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) =>
      issue.line > 0 ? `${issue.line}:${issue.column}: ${issue.path}: ${issue.message}` : `${issue.file}: ${issue.path}: ${issue.message}`,
    );
  }
  return assert.fail('expected a ConfigError');
}

const CONTRACT_EXAMPLE = `name: cell-comparison
description: Vanilla RNN vs GRU vs LSTM, character level
data: {corpus: moby-dick, level: char, max_tokens: 200000, validation_fraction: 0.1}
model: {cell: lstm, hidden_size: 256, num_layers: 1}
train: {epochs: 10, batch_size: 32, num_steps: 35, sampling: sequential, optimizer: sgd, lr: 1.0, clip_norm: 1.0, seed: 0}
sample: {prefixes: ["the whale", "call me"], length: 50, every_epochs: 5}
sweep: {grid: {model.cell: [rnn, gru, lstm], model.hidden_size: [128, 256]}, seeds: [0, 1], workers: 2}
tracking: {experiment: cell-comparison}
`;

const D2L_DEFAULTS: Omit<ExperimentConfig, 'name'> = {
  description: '',
  data: { corpus: 'moby-dick', level: 'char', max_tokens: null, validation_fraction: 0.1, min_freq: 0, lowercase: false, normalize: 'none' },
  model: {
    cell: 'lstm',
    hidden_size: 256,
    num_layers: 1,
    nonlinearity: 'tanh',
    bidirectional: false,
    dropout: 0,
    embedding: 'one_hot',
    init: 'uniform',
    forget_bias: 0,
  },
  train: {
    epochs: 10,
    batch_size: 32,
    num_steps: 35,
    sampling: 'sequential',
    optimizer: 'sgd',
    lr: 1,
    momentum: 0,
    lr_schedule: 'constant',
    lr_step_epochs: 10,
    lr_gamma: 0.1,
    lr_min: 0,
    clip_norm: 1,
    early_stopping: 0,
    seed: 0,
  },
  sample: { prefixes: ['the '], length: 50, every_epochs: 10, temperature: 0, top_k: 0 },
  sweep: { grid: {}, include: [], exclude: [], seeds: null, workers: null, trial_timeout: null, max_memory_mb: null, retries: 1 },
  tracking: { experiment: null, uri: null, upload_timeout: 60, require_server: false },
  engine: { backend: 'auto', path: 'fast', blas: 'auto' },
  check: { metrics: { val_perplexity: { max_increase: 0.03, sigmas: 3 }, train_perplexity: { max_increase: null, sigmas: 3 }, tokens_per_second: { max_decrease: null, sigmas: 3 } } },
};

test('a file with only a name gets every default (d2l values where d2l has one)', () => {
  const file = write(['name: minimal']);
  const loaded = loadExperiment(file);
  assert.deepEqual(loaded.config, { name: 'minimal', ...D2L_DEFAULTS });
  assert.equal(loaded.file, file);
  assert.equal(loaded.dir, dir);
});

test("issue 2's example experiment loads as written, the rest defaulted", () => {
  const { config } = loadExperiment(write(CONTRACT_EXAMPLE));
  assert.deepEqual(config, {
    ...D2L_DEFAULTS,
    name: 'cell-comparison',
    description: 'Vanilla RNN vs GRU vs LSTM, character level',
    data: { ...D2L_DEFAULTS.data, max_tokens: 200000 },
    sample: { ...D2L_DEFAULTS.sample, prefixes: ['the whale', 'call me'], every_epochs: 5 },
    sweep: { ...D2L_DEFAULTS.sweep, grid: { 'model.cell': ['rnn', 'gru', 'lstm'], 'model.hidden_size': [128, 256] }, seeds: [0, 1], workers: 2 },
    tracking: { ...D2L_DEFAULTS.tracking, experiment: 'cell-comparison' },
  });
});

test('the resolved config lists keys in schema order whatever order the file uses', () => {
  const a = loadExperiment(write(['name: x', 'train: {seed: 3, epochs: 2}', 'model: {hidden_size: 8, cell: gru}'])).config;
  const b = loadExperiment(write(['model: {cell: gru, hidden_size: 8}', 'train: {epochs: 2, seed: 3}', 'name: x'])).config;
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  assert.deepEqual(Object.keys(a.train).slice(0, 3), ['epochs', 'batch_size', 'num_steps']);
});

test('every non-default setting the schema allows loads', () => {
  const corpus = write('some text\n', 'corpus.txt');
  const { config } = loadExperiment(
    write([
      '# yaml-language-server: $schema=../schemas/experiment.schema.json',
      'name: every_knob-2',
      `data: {corpus: ${path.basename(corpus)}, level: word, max_tokens: 10, validation_fraction: 0.2, min_freq: 2, lowercase: true, normalize: letters}`,
      'model: {cell: rnn, hidden_size: 4, num_layers: 3, nonlinearity: relu, bidirectional: true, dropout: 0.5, embedding: 16, init: orthogonal, forget_bias: 1}',
      'train: {optimizer: adam, momentum: 0.9, lr: 0.01, lr_schedule: cosine, lr_step_epochs: 2, lr_gamma: 0.5, lr_min: 0.001, clip_norm: 0, early_stopping: 3, sampling: random}',
      'sample: {prefixes: [], temperature: 0.8, top_k: 5}',
      'sweep: {grid: {engine.backend: [wasm, cpu], data.corpus: [timemachine, corpus.txt]}, workers: 1}',
      'tracking: {uri: "http://127.0.0.1:5000"}',
      'engine: {backend: tensorflow}',
    ]),
  );
  assert.equal(config.model.embedding, 16);
  assert.equal(config.data.corpus, 'corpus.txt', 'corpus paths stay as written; LoadedExperiment.dir resolves them');
  assert.deepEqual(config.sample.prefixes, []);
});

test('an empty file, a comment-only file, a list and a scalar are not experiments', () => {
  const expected = '1:1: : file is empty: expected a mapping with at least `name`';
  assert.deepEqual(problems(''), [expected]);
  assert.deepEqual(problems(['# nothing here', '']), [expected]);
  assert.deepEqual(problems(['# a list', '- name: a', '- name: b']), ['2:1: : expected a mapping with at least `name`, found a list']);
  assert.deepEqual(problems(['just words']), ['1:1: : expected a mapping with at least `name`, found "just words"']);
});

test('every YAML syntax error is reported at the position yaml gives it', () => {
  assert.deepEqual(problems(['name: x', 'model: {cell: gru', 'train:', '  epochs: [1,', '  lr: 1']), [
    '3:1: : invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
    '5:3: : invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
  assert.deepEqual(problems(['name: x', '---', 'name: y']), ['2:1: : a second YAML document starts here; an experiment file holds one']);
  const aliasBomb = ['name: x', 'a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]'];
  for (const [name, below] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd']]) aliasBomb.push(`${name}: &${name} [${Array(10).fill(`*${below}`).join(', ')}]`);
  assert.deepEqual(problems(aliasBomb), ['1:1: : cannot read YAML: Excessive alias count indicates a resource exhaustion attack']);
});

test('duplicate keys are reported together with the schema errors of the same file', () => {
  assert.deepEqual(problems(['name: a', 'model:', '  cell: gru', '  cell: rnn', '  hidden_size: -1', 'name: b']), [
    '4:3: model.cell: duplicate key \'cell\'',
    '5:16: model.hidden_size: expected an integer ≥ 1, got -1',
    "6:1: name: duplicate key 'name'",
  ]);
});

test('an unknown key points at the key and suggests a near known key', () => {
  assert.deepEqual(problems(['name: x', 'model:', '  hiden_size: 128', '  colour: red', 'trian: {}']), [
    "3:3: model.hiden_size: unknown key 'hiden_size'; did you mean 'hidden_size'?",
    "4:3: model.colour: unknown key 'colour'",
    "5:1: trian: unknown key 'trian'; did you mean 'train'?",
  ]);
});

test('wrong types, enum misses and ranges point at the value and say what is allowed', () => {
  assert.deepEqual(
    problems([
      'name: bad name',
      'data: {level: chars, validation_fraction: 1, max_tokens: many}',
      'model: {cell: lstmm, hidden_size: "256", dropout: 1, embedding: one_hto, bidirectional: yes}',
      'train: {epochs: 0, lr: 0, batch_size: 2.5, clip_norm: -1}',
      'sample: {prefixes: the, temperature: -0.5}',
      'sweep: {seeds: [0, 1, 0], workers: 0}',
    ]),
    [
      "1:7: name: expected a string made of letters, digits, '-' and '_', got \"bad name\"",
      "2:15: data.level: expected one of char, word, got \"chars\"; did you mean 'char'?",
      '2:43: data.validation_fraction: expected a number in [0, 1), got 1',
      '2:58: data.max_tokens: expected an integer ≥ 1 or null, got "many"',
      "3:15: model.cell: expected one of rnn, gru, lstm, got \"lstmm\"; did you mean 'lstm'?",
      '3:35: model.hidden_size: expected an integer ≥ 1, got "256"',
      '3:51: model.dropout: expected a number in [0, 1), got 1',
      "3:65: model.embedding: expected \"one_hot\" or an integer ≥ 1, got \"one_hto\"; did you mean 'one_hot'?",
      '3:89: model.bidirectional: expected true or false, got "yes"',
      '4:17: train.epochs: expected an integer ≥ 1, got 0',
      '4:24: train.lr: expected a number > 0, got 0',
      '4:39: train.batch_size: expected an integer ≥ 1, got 2.5',
      '4:55: train.clip_norm: expected a number ≥ 0, got -1',
      '5:20: sample.prefixes: expected a list, each a non-empty string, got "the"',
      '5:38: sample.temperature: expected a number ≥ 0, got -0.5',
      '6:23: sweep.seeds[2]: 0 repeats item 0: values here must be distinct',
      '6:36: sweep.workers: expected an integer ≥ 1 or null, got 0',
    ],
  );
});

test('a section that is not a mapping, and a key left empty, are type errors at the right place', () => {
  assert.deepEqual(problems(['name: x', 'model: 5', 'train:', '  epochs:']), [
    '2:8: model: expected a mapping, got 5',
    '4:3: train.epochs: expected an integer ≥ 1, got null',
  ]);
});

test('a missing name points at the top-level mapping', () => {
  assert.deepEqual(problems(['# header comment', 'description: nameless', 'model: {cell: gru}']), [
    "2:1: name: missing required key 'name'",
  ]);
});

test('grid keys must be sweepable schema paths and every grid value valid for its path', () => {
  assert.deepEqual(
    problems([
      'name: x',
      'sweep:',
      '  grid:',
      '    model.cell: [rnn, gru, lsmt]',
      '    model.hiden_size: [1]',
      '    tracking.uri: [a]',
      '    model: [a]',
      '    train.lr: [0.5, 0, -1]',
      '    train.epochs: 3',
      '    model.embedding: [one_hot, 32, 0]',
      '    data.level: []',
    ]),
    [
      "4:28: sweep.grid.model.cell[2]: expected one of rnn, gru, lstm, got \"lsmt\"; did you mean 'lstm'?",
      "5:5: sweep.grid.model.hiden_size: unknown grid key 'model.hiden_size'; did you mean 'model.hidden_size'?",
      "6:5: sweep.grid.tracking.uri: 'tracking.uri' cannot be swept: grid keys are paths under data, model, train, sample or engine",
      "7:5: sweep.grid.model: unknown grid key 'model'; grid keys are dotted paths to a value, such as model.cell",
      '8:21: sweep.grid.train.lr[1]: expected a number > 0, got 0',
      '8:24: sweep.grid.train.lr[2]: expected a number > 0, got -1',
      '9:19: sweep.grid.train.epochs: expected a non-empty list of distinct values, or a mapping {start, stop, step}, or a mapping {log, num}, got 3',
      '10:36: sweep.grid.model.embedding[2]: expected "one_hot" or an integer ≥ 1, got 0',
      '11:17: sweep.grid.data.level: expected a non-empty list of distinct values, or a mapping {start, stop, step}, or a mapping {log, num}, got []',
    ],
  );
});

test('train.seed may be swept by the grid or by sweep.seeds, not both', () => {
  assert.deepEqual(problems(['name: x', 'sweep: {grid: {train.seed: [1, 2, -3]}, seeds: [0]}']), [
    '2:16: sweep.grid.train.seed: train.seed is already swept by sweep.seeds: use one or the other',
    '2:35: sweep.grid.train.seed[2]: expected an integer ≥ 0, got -3',
  ]);
  assert.deepEqual(loadExperiment(write(['name: x', 'sweep: {grid: {train.seed: [1, 2]}}'])).config.sweep.grid, { 'train.seed': [1, 2] });
});

test('a corpus path is resolved next to the YAML file and must be a readable file', () => {
  mkdirSync(path.join(dir, 'texts'), { recursive: true });
  writeFileSync(path.join(dir, 'texts', 'tiny.txt'), 'hello world\n');
  assert.equal(loadExperiment(write(['name: x', 'data: {corpus: texts/tiny.txt}'])).config.data.corpus, 'texts/tiny.txt');
  assert.deepEqual(problems(['name: x', 'data:', '  corpus: texts/missing.txt']), [
    `3:11: data.corpus: corpus file not found: ${path.join(dir, 'texts', 'missing.txt')}`,
  ]);
  assert.deepEqual(problems(['name: x', 'data: {corpus: texts}']), [`2:16: data.corpus: corpus is not a file: ${path.join(dir, 'texts')}`]);
  assert.deepEqual(problems(['name: x', 'sweep: {grid: {data.corpus: [moby-dick, timemachine, texts/tiny.txt, nope.txt]}}']), [
    `2:70: sweep.grid.data.corpus[3]: corpus file not found: ${path.join(dir, 'nope.txt')}`,
  ]);
});

test('--set overrides are applied before validation, their errors named by the argument', () => {
  const file = write(CONTRACT_EXAMPLE);
  const { config } = loadExperiment(file, {
    set: ['train.epochs=2', 'model.num_layers=2', 'sweep.grid={model.cell: [rnn, gru]}', 'engine.backend=cpu', 'sweep.seeds='],
  });
  assert.equal(config.train.epochs, 2);
  assert.equal(config.model.num_layers, 2);
  assert.deepEqual(config.sweep.grid, { 'model.cell': ['rnn', 'gru'] });
  assert.equal(config.engine.backend, 'cpu');
  assert.equal(config.sweep.seeds, null);

  assert.deepEqual(problems(CONTRACT_EXAMPLE, ['train.epoch=2', 'train.epochs=x', 'nonsense', 'model.cell=[rnn', 'sweep.grid={model.cel: [rnn]}']), [
    "--set train.epoch=2: train.epoch: unknown key 'train.epoch'; did you mean 'train.epochs'?",
    '--set nonsense: : expected path=value, e.g. train.epochs=2',
    '--set model.cell=[rnn: model.cell: value is not valid YAML: Flow sequence must end with a ]',
    '--set train.epochs=x: train.epochs: expected an integer ≥ 1, got "x"',
    "--set sweep.grid={model.cel: [rnn]}: sweep.grid.model.cel: unknown grid key 'model.cel'; did you mean 'model.cell'?",
  ]);
});

test('--set fills in a section the file leaves out, and can supply the name', () => {
  const { config } = loadExperiment(write(['description: from the command line']), { set: ['name=cli', 'model.hidden_size=8'] });
  assert.equal(config.name, 'cli');
  assert.equal(config.model.hidden_size, 8);
  assert.equal(config.model.cell, 'lstm');
});

test('a missing or unreadable experiment file is a ConfigError without a position', () => {
  const missing = path.join(dir, 'does-not-exist.yaml');
  assert.throws(
    () => loadExperiment(missing),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.issues.length === 1 &&
      error.message === `${missing}: cannot read experiment file: no such file` &&
      error.issues[0]?.line === 0,
  );
  assert.throws(() => loadExperiment(dir), { name: 'ConfigError', message: `${dir}: cannot read experiment file: it is a directory` });
});

test('messages are written for people, never in ajv phrasing', () => {
  const all = problems(['name: "?"', 'extra: 1', 'model: {embedding: -1, cell: 3}', 'sweep: {seeds: [], grid: []}']);
  assert.equal(all.length, 6);
  for (const line of all) assert.doesNotMatch(line, /must NOT|must be|must have|must match|additional properties/i);
});

test('formatIssues prints file:line:column: path: message, relative to cwd when inside it', () => {
  const issues = [
    { file: path.join(dir, 'a.yaml'), line: 3, column: 5, path: 'model.cell', message: 'bad' },
    { file: '--set x=1', line: 0, column: 0, path: 'x', message: "unknown key 'x'" },
    { file: path.join(dir, 'b.yaml'), line: 1, column: 1, path: '', message: 'file is empty' },
  ];
  assert.equal(
    formatIssues(issues, dir),
    ['a.yaml:3:5: model.cell: bad', "--set x=1: x: unknown key 'x'", 'b.yaml:1:1: file is empty'].join('\n'),
  );
  assert.equal(formatIssues(issues.slice(0, 1), path.join(dir, 'elsewhere')), `${path.join(dir, 'a.yaml')}:3:5: model.cell: bad`);
});
