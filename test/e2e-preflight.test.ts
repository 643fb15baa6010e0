// Everything that can be known before training is checked before any run exists: by the run
// (exit 2, no ./runs) and by `validate` (exit 2, the same message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { workspace } from './support/workspace.js';

const SECTIONS = {
  data: '{corpus: text.txt}',
  model: '{hidden_size: 8}',
  train: '{epochs: 1, batch_size: 4, num_steps: 5}',
};
/** The experiment, with some sections replaced. */
const experiment = (changes: Record<string, string> = {}): string =>
  `name: preflight\n${Object.entries({ ...SECTIONS, ...changes }).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
const words = 'the time machine by h g wells i the time traveller for so it will be convenient to speak of him '.repeat(30);

const cases: { name: string; text?: string; changes?: Record<string, string>; expect: RegExp }[] = [
  { name: 'an empty corpus', text: '', expect: /data\.corpus: the corpus "text\.txt" has no tokens/ },
  { name: 'a corpus of one character', text: 'a', expect: /has 1 distinct token\(s\): nothing to learn/ },
  { name: 'num_steps longer than the data', changes: { train: '{epochs: 1, batch_size: 4, num_steps: 5000}' }, expect: /train\.num_steps: the training split has \d+ token\(s\), too few for one minibatch of batch_size 4 × num_steps 5000/ },
  { name: 'a validation split with nothing to score', changes: { data: '{corpus: text.txt, validation_fraction: 0.0001}' }, expect: /data\.validation_fraction: the validation split has 0 token\(s\)/ },
  { name: 'min_freq that maps everything to <unk>', changes: { data: '{corpus: text.txt, level: word, min_freq: 1000}' }, expect: /data\.min_freq: the vocabulary has collapsed: 100% of the training tokens are <unk>.*lower data\.min_freq \(1000\)/ },
  { name: 'a model too big for WebAssembly and the machine', changes: { model: '{hidden_size: 1000000000}' }, expect: /model\.hidden_size: the model needs about .* over /s },
  { name: 'a model over sweep.max_memory_mb', changes: { model: '{hidden_size: 1024}', sweep: '{max_memory_mb: 160}' }, expect: /over sweep\.max_memory_mb \(160 MiB\)/ },
  { name: 'tracking.uri with a scheme run-sweep cannot write to', changes: { tracking: '{uri: "ftp://host/runs"}' }, expect: /tracking\.uri/ },
  { name: 'engine.backend tensorflow without tfjs-node installed', changes: { engine: '{backend: tensorflow}' }, expect: /npm install @tensorflow\/tfjs-node/ },
];

for (const c of cases) {
  test(`${c.name}: run and validate exit 2 with one clear line, and nothing is written`, async () => {
    const cwd = workspace({ 'sweep.yaml': experiment(c.changes), 'text.txt': c.text ?? words });
    const run = await runCli(['sweep.yaml'], cwd);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, c.expect);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(join(cwd, 'runs')), false, 'no store, no run');
    const validate = await runCli(['validate', 'sweep.yaml'], cwd);
    assert.equal(validate.code, 2, validate.stdout);
    assert.match(validate.stderr, c.expect);
  });
}

test('a trial set that fits passes validate with "ok"', async () => {
  const cwd = workspace({ 'sweep.yaml': experiment(), 'text.txt': words });
  const validate = await runCli(['validate', 'sweep.yaml'], cwd);
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /sweep\.yaml: ok \(1 trial\(s\)\)/);
});
