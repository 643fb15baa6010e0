// `run-sweep check` through the command as a process: baselines written and read back, a real
// regression caught, and every way a check can refuse to judge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCheck, xmlProblem } from './support/check-run.js';
import { workspace } from './support/workspace.js';

// Two configurations × two seeds, ~1 s to train.
const SWEEP = `
name: check-e2e
data: {max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 2, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5, every_epochs: 2}
sweep: {grid: {model.cell: [rnn, gru]}, seeds: [0, 1], workers: 2}
engine: {backend: wasm}
check:
  metrics:
    val_perplexity: {max_increase: 0.03, sigmas: 3}
`;

const base = { file: 'sweep.yaml', baseline: 'baseline.json' };

async function withBaseline(files: Record<string, string> = {}): Promise<string> {
  const cwd = workspace({ 'sweep.yaml': SWEEP, ...files });
  const made = await runCheck({ ...base, updateBaseline: true }, cwd);
  assert.equal(made.code, 0, made.stderr);
  return cwd;
}

test('--update-baseline writes a stable file that round-trips, and an unchanged sweep passes', async () => {
  const cwd = await withBaseline();
  const text = readFileSync(join(cwd, 'baseline.json'), 'utf8');
  assert.ok(text.endsWith('}\n'), 'a trailing newline');
  const data = JSON.parse(text) as { configurations: Record<string, { label: string; seeds: Record<string, unknown>; config: { train: Record<string, unknown> } }>; corpora: Record<string, string>; version: string };
  // sorted keys at every depth, 2-space indentation: what a reviewer diffs
  const sortedDeep = (v: unknown): unknown => (v === null || typeof v !== 'object' || Array.isArray(v) ? v : Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedDeep((v as Record<string, unknown>)[k])])));
  assert.equal(text, `${JSON.stringify(sortedDeep(data), null, 2)}\n`);
  assert.deepEqual(Object.values(data.configurations).map((c) => c.label).sort(), ['cell=gru', 'cell=rnn']);
  for (const c of Object.values(data.configurations)) {
    assert.deepEqual(Object.keys(c.seeds), ['0', '1'], 'every seed kept');
    assert.equal(c.config.train.seed, undefined, 'the configuration has no seed');
  }
  assert.match(data.corpora['moby-dick']!, /^sha256:[0-9a-f]{64}$/);
  assert.equal(data.version, JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);

  // Written again from the same (reused) trials: byte for byte the same file.
  const again = await runCheck({ ...base, updateBaseline: true }, cwd);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(join(cwd, 'baseline.json'), 'utf8'), text);

  const check = await runCheck({ ...base, junit: 'out/junit.xml', markdown: 'out/check.md' }, cwd);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^configuration\s+metric\s+baseline\s+now\s+change\s+allowed\s+verdict$/m);
  assert.match(check.stdout, /^cell=rnn \[[0-9a-f]{10}\]\s+val_perplexity\s+[\d.]+ \(n=2\)\s+[\d.]+ \(n=2\)\s+\+0\.00%\s+\+[\d.]+%\s+pass/m);
  assert.match(check.stdout, /^check passed: 2 comparison\(s\)$/m);
  const junit = readFileSync(join(cwd, 'out/junit.xml'), 'utf8');
  assert.equal(xmlProblem(junit), undefined);
  assert.equal([...junit.matchAll(/<testcase /g)].length, 2, 'one test case per configuration and metric');
  assert.match(readFileSync(join(cwd, 'out/check.md'), 'utf8'), /^\| cell=gru \[[0-9a-f]{10}\] \| val_perplexity \| .* \| ✅ pass/m);
});

test('a real regression (a learning rate 100× too small) fails with exit 1 on the right rows, with the numbers in JUnit', async () => {
  const cwd = await withBaseline();
  const check = await runCheck({ ...base, set: ['train.lr=0.01'], junit: 'junit.xml' }, cwd);
  assert.equal(check.code, 1, check.stdout + check.stderr);
  for (const cell of ['rnn', 'gru']) {
    assert.match(check.stdout, new RegExp(`^cell=${cell} \\[[0-9a-f]{10}\\]\\s+val_perplexity\\s+[\\d.]+ \\(n=2\\)\\s+[\\d.]+ \\(n=2\\)\\s+\\+[\\d.]+%\\s+\\+[\\d.]+%\\s+FAIL \\(matched by label: id [0-9a-f]{10} in the baseline; settings differ: train.lr 1 → 0.01`, 'm'));
  }
  assert.match(check.stdout, /^check failed: 2 of 2 comparison\(s\)/m);
  const junit = readFileSync(join(cwd, 'junit.xml'), 'utf8');
  assert.equal(xmlProblem(junit), undefined, junit);
  assert.match(junit, /failures="2"/);
  assert.match(junit, /<failure message="baseline [\d.]+ \(n=2\), now [\d.]+ \(n=2\), change \+[\d.]+%, allowed \+[\d.]+%/);
});

test('a missing or unreadable baseline exits 2 with the --update-baseline hint, training nothing', async () => {
  const cwd = workspace({ 'sweep.yaml': SWEEP, 'bad.json': '{"format": 1, "corpora": {}' });
  const missing = await runCheck(base, cwd);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  assert.match(missing.stderr, /^run-sweep: cannot read the baseline .*baseline\.json: no such file; run the check with --update-baseline/);
  assert.doesNotMatch(missing.stdout, /trial\(s\)/, 'nothing trained');
  const bad = await runCheck({ ...base, baseline: 'bad.json' }, cwd);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^run-sweep: the baseline .*bad\.json is not JSON .*--update-baseline/);
});

test('configurations missing from either side fail unless --allow-missing / --allow-new', async () => {
  const cwd = await withBaseline();
  const only = { ...base, only: ['model.cell=rnn'] };
  const missing = await runCheck(only, cwd);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stdout, /^cell=gru \[[0-9a-f]{10}\]\s+configuration\s.*FAIL \(missing: in the baseline, not in this sweep; --allow-missing accepts that\)$/m);
  assert.equal((await runCheck({ ...only, allowMissing: true }, cwd)).code, 0);

  // a baseline of rnn alone: gru is new
  assert.equal((await runCheck({ ...only, baseline: 'rnn.json', updateBaseline: true }, cwd)).code, 0);
  const fresh = await runCheck({ ...base, baseline: 'rnn.json' }, cwd);
  assert.equal(fresh.code, 1);
  assert.match(fresh.stdout, /^cell=gru \[[0-9a-f]{10}\]\s+configuration\s.*FAIL \(new: in this sweep, not in the baseline; --allow-new accepts that/m);
  assert.equal((await runCheck({ ...base, baseline: 'rnn.json', allowNew: true }, cwd)).code, 0);
});

test('a baseline made on other data is refused (exit 2) unless --allow-data-change', async () => {
  const text = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us. '.repeat(40);
  const sweep = SWEEP.replace('{max_tokens: 3000}', '{corpus: corpus.txt, max_tokens: 3000}');
  const cwd = workspace({ 'sweep.yaml': sweep, 'corpus.txt': text });
  assert.equal((await runCheck({ ...base, updateBaseline: true }, cwd)).code, 0);
  writeFileSync(join(cwd, 'corpus.txt'), text.toUpperCase());
  const refused = await runCheck(base, cwd);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /^run-sweep: the baseline baseline\.json was made on other data: corpus corpus\.txt is sha256:[0-9a-f]{64} there and sha256:[0-9a-f]{64} now; --allow-data-change/m);
  const allowed = await runCheck({ ...base, allowDataChange: true, allowNew: true, allowMissing: true }, cwd);
  assert.match(allowed.stderr, /warning: the baseline baseline\.json was made on other data/);
  assert.notEqual(allowed.code, 2);
});

test('bad check rules exit 2 before anything trains', async () => {
  const cwd = workspace({
    'none.yaml': `${SWEEP.replace('val_perplexity: {max_increase: 0.03, sigmas: 3}', 'val_perplexity: {max_increase: null}')}`,
    'negative.yaml': `${SWEEP.replace('sigmas: 3', 'sigmas: -1')}`,
    'baseline.json': '{}',
  });
  const none = await runCheck({ ...base, file: 'none.yaml' }, cwd);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /check\.metrics: every metric's tolerance is null/);
  const negative = await runCheck({ ...base, file: 'negative.yaml' }, cwd);
  assert.equal(negative.code, 2);
  assert.match(negative.stderr, /check\.metrics\.val_perplexity\.sigmas/);
});

test('a sweep that fails makes the check exit with its code, comparing nothing', async () => {
  const cwd = await withBaseline();
  const result = await runCheck({ ...base, set: ['train.epochs=0'] }, cwd);
  assert.equal(result.code, 2, 'a bad config is exit 2');
  assert.doesNotMatch(result.stdout, /check (passed|failed)/);
});
