// The config features through the real command: extends, grid ranges, include / exclude, --only,
// --set on a swept key, and errors in a base file reported at the base file's line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './support/cli.js';
import { workspace } from './support/workspace.js';

const BASE = `
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 1, batch_size: 8, num_steps: 10}
sweep:
  grid:
    model.cell: [rnn, gru, lstm]
`;

/** The trial rows of a --dry-run: the values of each trial, in order. */
function planRows(stdout: string): string[][] {
  return stdout.split('\n').filter((l) => /^[0-9a-f]{10} /.test(l)).map((l) => l.trim().split(/\s+/).slice(1));
}

test('extends + a range + exclude + include, as --dry-run lists them', async () => {
  const cwd = workspace({
    'base.yaml': BASE,
    'sweep.yaml': `
extends: base.yaml
name: configured
sweep:
  grid:
    model.hidden_size: {start: 8, stop: 16, step: 8}
  exclude:
    - {model.cell: lstm, model.hidden_size: 16}
  include:
    - {model.cell: rnn, model.hidden_size: 32}
`,
  });
  const result = await runCli(['sweep.yaml', '--dry-run'], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(planRows(result.stdout), [
    ['rnn', '8'], ['rnn', '16'], ['gru', '8'], ['gru', '16'], ['lstm', '8'], ['rnn', '32'],
  ]);
  const only = await runCli(['sweep.yaml', '--dry-run', '--only', 'model.cell=gru', '--only', 'model.hidden_size=16'], cwd);
  assert.equal(only.code, 0, only.stderr);
  assert.deepEqual(planRows(only.stdout), [['gru', '16']]);
});

test('an error in a base file is reported at the base file\'s line; --set on a swept key says what to do', async () => {
  const cwd = workspace({
    'base.yaml': BASE.replace('hidden_size: 8', 'hidden_size: -3'),
    'sweep.yaml': 'extends: base.yaml\nname: configured\n',
  });
  const bad = await runCli(['sweep.yaml'], cwd);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^base\.yaml:3:\d+: model\.hidden_size: expected an integer ≥ 1, got -3$/m);

  const ok = workspace({ 'base.yaml': BASE, 'sweep.yaml': 'extends: base.yaml\nname: configured\n' });
  const set = await runCli(['sweep.yaml', '--set', 'model.cell=gru'], ok);
  assert.equal(set.code, 2);
  assert.match(set.stderr, /--only model\.cell=gru/);
});
