// What the real command prints in each mode: --json events on stdout that validate against
// schemas/events.schema.json (text on stderr), --quiet the summary only, and on a terminal the
// live view (captured from a real pseudo-terminal under tmux).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { CLI, runCli } from './support/cli.js';
import { workspace } from './support/workspace.js';

const SWEEP = `
name: output
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 2, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5, every_epochs: 1}
sweep: {grid: {model.cell: [rnn, gru]}, workers: 2}
`;
const SCHEMA = JSON.parse(readFileSync(new URL('../../schemas/events.schema.json', import.meta.url), 'utf8')) as object;

test('--json: stdout is one event per line, each valid against the events schema; text goes to stderr', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const result = await runCli(['sweep.yaml', '--json'], cwd);
  assert.equal(result.code, 0, result.stderr);
  const validate = new Ajv({ allErrors: true, strict: false }).compile(SCHEMA);
  const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; exitCode?: number });
  for (const e of events) assert.ok(validate(e), `${JSON.stringify(e)}: ${JSON.stringify(validate.errors)}`);
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'sweep-start');
  assert.equal(types.at(-1), 'sweep-end');
  assert.equal(events.at(-1)?.exitCode, 0);
  for (const t of ['trial-start', 'setup', 'epoch', 'sample', 'trial-end']) assert.ok(types.includes(t), `has ${t}`);
  assert.ok(!types.includes('weights'), 'weights stay in the store');
  assert.match(result.stderr, /configuration +model\.cell +n +val ppl/, 'the summary goes to stderr');
});

test('--quiet: the summary and nothing of the progress', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const result = await runCli(['sweep.yaml', '--quiet'], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stdout, /epoch 1\/2/);
  assert.match(result.stdout, /configuration +model\.cell +n +val ppl/);
});

const noTmux = spawnSync('tmux', ['-V']).status === 0 ? false : 'tmux is not installed';

test('on a terminal: the live view draws an overall line with counts and ends with the summary', { skip: noTmux }, async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const socket = `run-sweep-e2e-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-f', '/dev/null', '-L', socket, ...args], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } });
  const command = `cd ${JSON.stringify(cwd)} && MLFLOW_TRACKING_URI= ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} sweep.yaml; echo "exit=$?" > done.txt`;
  tmux('new-session', '-d', '-s', 'e2e', '-x', '100', '-y', '40', command);
  tmux('set-option', '-t', 'e2e', 'remain-on-exit', 'on');
  try {
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(cwd, 'done.txt'))) {
      assert.ok(Date.now() < deadline, 'the sweep ended');
      await new Promise((r) => setTimeout(r, 100));
    }
    const screen = tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'e2e');
    assert.match(readFileSync(join(cwd, 'done.txt'), 'utf8'), /exit=0/);
    assert.match(screen, /\[2\/2\] 2 finished · 0 failed · 0 running · 0 queued/, screen);
    assert.match(screen, /configuration +model\.cell +n +val ppl/);
    assert.equal(screen.match(/\[\d\/2\] \d finished/g)?.length, 1, 'the overall line is redrawn in place, not repeated');
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  }
});
