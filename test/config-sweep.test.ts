// sweep.include and sweep.exclude as the loader checks them, and --set on a key the sweep varies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError } from '../src/config/errors.js';
import { loadExperiment } from '../src/config/load.js';
import { expandTrials } from '../src/plan/expand.js';
import { selectTrials } from '../src/plan/select.js';
import { workspace } from './support/workspace.js';

function load(yaml: string, set?: string[]): ReturnType<typeof loadExperiment> {
  const dir = workspace({ 'x.yaml': yaml });
  return loadExperiment(path.join(dir, 'x.yaml'), { set });
}

function problems(yaml: string, set?: string[]): string[] {
  try {
    load(yaml, set);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => (issue.line > 0 ? `${issue.line}:${issue.column}: ` : `${issue.file}: `) + `${issue.path}: ${issue.message}`);
  }
  return assert.fail('expected a ConfigError');
}

const GRID = ['name: x', 'sweep:', '  grid:', '    model.cell: [rnn, gru, lstm]', '    model.hidden_size: [8, 16]'];

test('exclude entries must name grid keys, with values the grid has', () => {
  const yaml = [...GRID, '  exclude:', '    - {model.cel: rnn}', '    - {model.cell: lstmm, model.hidden_size: 8}', '    - {model.hidden_size: 32, train.lr: 1}', '    - {}'].join('\n');
  assert.deepEqual(problems(yaml), [
    "7:8: sweep.exclude[0].model.cel: 'model.cel' is not a key of sweep.grid (its keys are model.cell, model.hidden_size); did you mean 'model.cell'?",
    "8:20: sweep.exclude[1].model.cell: \"lstmm\" is not one of sweep.grid's values for model.cell: rnn, gru, lstm; did you mean 'lstm'?",
    "9:27: sweep.exclude[2].model.hidden_size: 32 is not one of sweep.grid's values for model.hidden_size: 8, 16",
    "9:31: sweep.exclude[2].train.lr: 'train.lr' is not a key of sweep.grid (its keys are model.cell, model.hidden_size)",
    '10:7: sweep.exclude[3]: expected a non-empty mapping, got {}',
  ]);
  assert.deepEqual(problems('name: x\nsweep: {exclude: [{model.cell: rnn}]}\n'), [
    "2:20: sweep.exclude[0].model.cell: 'model.cell' is not a key of sweep.grid (sweep.grid is empty)",
  ]);
});

test('an exclude that removes every grid point, with nothing included, is an error', () => {
  const yaml = [...GRID, '  exclude: [{model.hidden_size: 8}, {model.hidden_size: 16}]'].join('\n');
  assert.deepEqual(problems(yaml), ['6:12: sweep.exclude: every grid point is excluded and sweep.include adds none: nothing would train']);
  assert.equal(expandTrials(load(`${yaml}\n  include: [{model.cell: gru}]`).config).length, 1, 'an include point survives');
});

test('include entries name sweepable keys with values valid for them', () => {
  const yaml = [
    ...GRID,
    '  seeds: [0]',
    '  include:',
    '    - {model.cell: gur, train.lr: 0}',
    '    - {tracking.uri: x, model.hiden_size: 3, train.seed: 4}',
    '    - {data.corpus: nope.txt}',
    '    - 5',
  ].join('\n');
  const dir = workspace({ 'x.yaml': yaml });
  let issues: string[] = [];
  try {
    loadExperiment(path.join(dir, 'x.yaml'));
  } catch (error) {
    issues = (error as ConfigError).issues.map((issue) => `${issue.line}:${issue.column}: ${issue.path}: ${issue.message}`);
  }
  assert.deepEqual(issues, [
    "8:20: sweep.include[0].model.cell: expected one of rnn, gru, lstm, got \"gur\"; did you mean 'gru'?",
    '8:35: sweep.include[0].train.lr: expected a number > 0, got 0',
    "9:8: sweep.include[1].tracking.uri: 'tracking.uri' cannot be swept: sweep.include keys are paths under data, model, train, sample or engine",
    "9:25: sweep.include[1].model.hiden_size: unknown sweep.include key 'model.hiden_size'; did you mean 'model.hidden_size'?",
    '9:46: sweep.include[1].train.seed: train.seed is already swept by sweep.seeds: use one or the other',
    `10:21: sweep.include[2].data.corpus: corpus file not found: ${path.join(dir, 'nope.txt')}`,
    '11:7: sweep.include[3]: expected a non-empty mapping, got 5',
  ]);
});

test('--set on a key sweep.grid varies is an error that says what to do instead', () => {
  const yaml = GRID.join('\n');
  assert.deepEqual(problems(yaml, ['model.cell=gru', 'model.hidden_size=[8, 16]', 'model.num_layers=2']), [
    "--set model.cell=gru: model.cell: swept by sweep.grid, so --set would be overridden in every trial; use --only model.cell=gru to run part of the grid, or --set 'sweep.grid.model.cell=[gru]' to sweep only that value",
    "--set model.hidden_size=[8, 16]: model.hidden_size: swept by sweep.grid, so --set would be overridden in every trial; use --only model.hidden_size=8 --only model.hidden_size=16 to run part of the grid, or --set 'sweep.grid.model.hidden_size=[8, 16]' to sweep only those values",
  ]);
  assert.deepEqual(problems('name: x\nsweep: {seeds: [0, 1]}\n', ['train.seed=1']), [
    "--set train.seed=1: train.seed: swept by sweep.seeds, so --set would be overridden in every trial; use --only train.seed=1 to run part of the sweep, or --set 'sweep.seeds=[1]'",
  ]);
});

test('what the --set message suggests works: the grid form, and --only', () => {
  const narrowed = load(GRID.join('\n'), ["sweep.grid.model.cell=[gru]"]).config;
  assert.deepEqual(narrowed.sweep.grid, { 'model.cell': ['gru'], 'model.hidden_size': [8, 16] });
  const whole = expandTrials(load(GRID.join('\n')).config);
  const only = selectTrials(whole, ['model.cell=gru']);
  assert.deepEqual(only.map((trial) => trial.varying['model.cell']), ['gru', 'gru']);
  assert.deepEqual(expandTrials(narrowed).map((trial) => trial.id), only.map((trial) => trial.id), 'both give the same trials, same ids');
  assert.equal(load('name: x\nsweep: {seeds: [0, 1]}\n', ['sweep.seeds=[1]']).config.sweep.seeds?.[0], 1);
});

test('--set of a key the grid does not vary, or once --set has removed it from the grid, is fine', () => {
  const { config } = load(GRID.join('\n'), ['sweep.grid={model.hidden_size: [8]}', 'model.cell=gru']);
  assert.equal(config.model.cell, 'gru');
});
