// A store that cannot be written, through the real command: one line naming the path, exit 2, no
// stack trace, no temporary file left, and (disk full mid-sweep) the parent run closed if possible.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './support/cli.js';
import { workspace } from './support/workspace.js';
import { MlflowFileStoreReader } from './support/mlflow-reader.js';

const SWEEP = `
name: full
data: {max_tokens: 3000}
model: {hidden_size: 96}
train: {epochs: 2, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
sweep: {grid: {model.cell: [rnn, lstm]}, workers: 1}
`;

function temps(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.startsWith('.tmp-')) out.push(path.join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

function mountTmpfs(t: TestContext, dir: string, sizeKb: number): boolean {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(r.stderr || 'not root').trim()}); test/store-fs-errors simulates a full disk`);
    return false;
  }
  t.after(() => spawnSync('umount', [dir]));
  return true;
}

test('the disk fills up mid-sweep: one line naming the file, exit 2, no temp file, the store still readable', async (t) => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  const runs = path.join(cwd, 'runs');
  // Room for the runs' small files, not for a trained model's weights (~200 KiB for the lstm).
  if (!mountTmpfs(t, runs, 160)) return;
  const result = await runCli(['sweep.yaml'], cwd);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /^run-sweep: cannot write \/\S+: no space left on the device \(ENOSPC\)$/m);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  assert.deepEqual(temps(runs), []);
  const reader = new MlflowFileStoreReader(runs);
  const exp = reader.getExperimentByName('full');
  assert.ok(exp);
  const parent = reader.searchRuns([exp.experiment_id]).find((r) => r.data.tags['run_sweep.role'] === 'sweep');
  assert.notEqual(parent?.info.status, 'RUNNING', 'the parent is closed when the disk lets it');
});

test('a directory the user may not write (EACCES): one line naming the path, exit 2, nothing written', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to run the command as another user');
    return;
  }
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  fs.chmodSync(cwd, 0o755);
  fs.chmodSync(path.join(cwd, 'sweep.yaml'), 0o644);
  const result = spawnSync(process.execPath, [new URL('../src/cli/main.js', import.meta.url).pathname, 'sweep.yaml'], {
    cwd, uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, MLFLOW_TRACKING_URI: '', HOME: '/tmp' },
  });
  assert.equal(result.status, 2, result.stdout + result.stderr);
  assert.match(result.stderr, new RegExp(`^run-sweep: cannot \\w+ ${cwd}/runs.*permission denied \\(EACCES\\)$`, 'm'));
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false);
});
