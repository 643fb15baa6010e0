// experiments/ci-smoke.yaml, the check CI runs: deterministic on one machine (two trainings from
// scratch give the same numbers bit for bit), and passing against its committed baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCheck } from './support/check-run.js';
import { workspace } from './support/workspace.js';

const EXPERIMENT = fileURLToPath(new URL('../../experiments/ci-smoke.yaml', import.meta.url));
const BASELINE = fileURLToPath(new URL('../../experiments/ci-smoke.baseline.json', import.meta.url));

type Seeds = Record<string, { seeds: Record<string, { val_perplexity: number; train_perplexity: number; tokens_per_second: number }> }>;

/** every seed's perplexities, speed left out (it is the machine's, not the model's) */
function perplexities(file: string): string {
  const { configurations } = JSON.parse(readFileSync(file, 'utf8')) as { configurations: Seeds };
  return JSON.stringify(Object.entries(configurations).map(([id, c]) => [id, Object.entries(c.seeds).map(([s, v]) => [s, v.val_perplexity, v.train_perplexity])]));
}

test('ci-smoke trains the same numbers twice and passes against its committed baseline', async () => {
  const cwd = workspace({});
  const started = Date.now();
  const first = await runCheck({ file: EXPERIMENT, baseline: 'first.json', updateBaseline: true }, cwd);
  assert.equal(first.code, 0, first.stderr);
  const seconds = (Date.now() - started) / 1000;
  const second = await runCheck({ file: EXPERIMENT, baseline: 'second.json', updateBaseline: true, rerun: true }, cwd);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(perplexities(`${cwd}/second.json`), perplexities(`${cwd}/first.json`), 'a rerun from scratch gives identical metrics');
  const configs = JSON.parse(readFileSync(`${cwd}/first.json`, 'utf8')) as { configurations: Seeds };
  assert.equal(Object.keys(configs.configurations).length, 3, 'rnn, gru and lstm');
  assert.ok(Object.values(configs.configurations).every((c) => Object.keys(c.seeds).length === 2), 'two seeds each');
  assert.ok(seconds < 60, `under a minute (took ${seconds.toFixed(1)} s)`);

  const check = await runCheck({ file: EXPERIMENT, baseline: BASELINE }, cwd);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^check passed: 6 comparison\(s\)$/m);
});
