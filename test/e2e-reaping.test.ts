// Runs a dead sweep left RUNNING, reaped by the next sweep through the real command: an owner on
// this host that is gone, and an owner on another host whose heartbeat is older than the limit;
// each ends KILLED at the time of its last event, and a fresh foreign run is left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './support/cli.js';
import { workspace } from './support/workspace.js';
import { storeRuns } from './support/store-runs.js';

const SWEEP = `
name: reaped
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 1, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
`;

/** Rewrites a run as if another process, `owner`, had left it RUNNING, its files last written at `at`. */
function abandon(runDir: string, owner: string, at: Date): void {
  const meta = path.join(runDir, 'meta.yaml');
  fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replace(/^status: \d$/m, 'status: 1').replace(/^end_time: .*$/m, 'end_time: null')
    .replace(/^start_time: .*$/m, `start_time: ${at.getTime() - 10_000}`));
  fs.writeFileSync(path.join(runDir, 'tags', 'run_sweep.owner'), owner);
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      fs.utimesSync(p, at, at);
    }
  };
  walk(runDir);
}

test('a foreign run silent past RUN_SWEEP_STALE_AFTER is reaped KILLED at its last event; a fresh one is not', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP });
  assert.equal((await runCli(['sweep.yaml'], cwd)).code, 0);
  const [parent, trial] = [...storeRuns(cwd, 'reaped')].sort((a) => (a.data.tags['run_sweep.role'] ? -1 : 1));
  assert.ok(parent && trial);
  const lastEvent = new Date(Date.now() - 120_000);
  abandon(path.join(cwd, 'runs', trial.info.experiment_id, trial.info.run_id), 'another-host:4242', lastEvent);

  const fresh = await runCli(['sweep.yaml', '--rerun'], cwd, { RUN_SWEEP_STALE_AFTER: '600' });
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal(storeRuns(cwd, 'reaped').find((r) => r.info.run_id === trial.info.run_id)?.info.status, 'RUNNING', 'younger than the limit: maybe alive');

  const stale = await runCli(['sweep.yaml', '--rerun'], cwd, { RUN_SWEEP_STALE_AFTER: '60' });
  assert.equal(stale.code, 0, stale.stderr);
  assert.match(stale.stdout, /marked 1 run\(s\) left RUNNING/);
  const reaped = storeRuns(cwd, 'reaped').find((r) => r.info.run_id === trial.info.run_id)!;
  assert.equal(reaped.info.status, 'KILLED');
  assert.ok(Math.abs(reaped.info.end_time! - lastEvent.getTime()) < 1000, `end time ${reaped.info.end_time} is the last event's (${lastEvent.getTime()})`);
});
