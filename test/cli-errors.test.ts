// Bad input through the real command: clear errors with positions, exit 2, nothing under runs/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from './support/workspace.js';
import { runCli } from './support/cli.js';


const CASES: { name: string; yaml: string; expect: RegExp[] }[] = [
  { name: 'a YAML syntax error', yaml: 'name: x\nmodel: {cell: lstm\n', expect: [/^bad\.yaml:3:1: invalid YAML: .*end with a }/m] },
  { name: 'an empty file', yaml: '', expect: [/^bad\.yaml:1:1: .*empty/m] },
  { name: 'a list instead of a mapping', yaml: '- name: x\n', expect: [/^bad\.yaml:1:1: .*mapping/m] },
  { name: 'an unknown key with a typo', yaml: 'name: x\nmodel:\n  hiden_size: 3\n', expect: [/^bad\.yaml:3:3: model\.hiden_size: .*did you mean 'hidden_size'/m] },
  { name: 'a wrong type', yaml: 'name: x\ntrain:\n  epochs: many\n', expect: [/^bad\.yaml:3:11: train\.epochs: /m] },
  { name: 'an impossible value', yaml: 'name: x\ndata:\n  validation_fraction: 1.5\n', expect: [/^bad\.yaml:3:24: data\.validation_fraction: /m] },
  {
    name: 'early stopping with nothing held out',
    yaml: 'name: x\ndata: {validation_fraction: 0}\ntrain:\n  early_stopping: 2\n',
    expect: [/^bad\.yaml:4:19: train\.early_stopping: early stopping watches validation perplexity/m],
  },
  { name: 'a missing corpus file', yaml: 'name: x\ndata:\n  corpus: nowhere.txt\n', expect: [/^bad\.yaml:3:11: data\.corpus: .*not found/m] },
  {
    name: 'several errors at once',
    yaml: 'name: x\nmodel:\n  cell: transformer\ntrain:\n  lr: -1\n',
    expect: [/^bad\.yaml:3:9: model\.cell: /m, /^bad\.yaml:5:7: train\.lr: /m],
  },
];

for (const c of CASES) {
  test(`run with ${c.name}: exit 2, positions, no stack, no runs`, async () => {
    const cwd = workspace({ 'bad.yaml': c.yaml });
    const result = await runCli(['bad.yaml'], cwd);
    assert.equal(result.code, 2, result.stderr);
    for (const pattern of c.expect) assert.match(result.stderr, pattern);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(join(cwd, 'runs')), false, 'nothing written under runs/');
  });
}

test('validate reports every file and exits 2 if any is bad', async () => {
  const cwd = workspace({ 'good.yaml': 'name: good\n', 'bad.yaml': 'name: bad\ntrain: {epochs: 0}\n' });
  const result = await runCli(['validate', 'good.yaml', 'bad.yaml'], cwd);
  assert.equal(result.code, 2);
  assert.match(result.stdout, /good\.yaml: ok \(1 trial\(s\)\)/);
  assert.match(result.stderr, /^bad\.yaml:2:\d+: train\.epochs: /m);
});

test('usage errors exit 2 with the usage text', async () => {
  const cwd = workspace({});
  for (const args of [[], ['--workers', '0', 'x.yaml'], ['--bogus', 'x.yaml'], ['a.yaml', 'b.yaml']]) {
    const result = await runCli(args, cwd);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /usage:/);
  }
});

test('a missing experiment file is a clear error', async () => {
  const result = await runCli(['missing.yaml'], workspace({}));
  assert.equal(result.code, 2);
  assert.match(result.stderr, /missing\.yaml/);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});

test('--dry-run lists the trials and trains nothing', async () => {
  const cwd = workspace({ 'grid.yaml': 'name: g\nsweep: {grid: {model.cell: [rnn, lstm]}, seeds: [0, 1]}\n' });
  const result = await runCli(['grid.yaml', '--dry-run'], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /4 trial\(s\)/);
  assert.match(result.stdout, /^trial\s+model\.cell\s+train\.seed$/m);
  assert.equal(result.stdout.match(/^[0-9a-f]{10}\s+(rnn|lstm)\s+[01]$/gm)?.length, 4);
  assert.equal(existsSync(join(cwd, 'runs')), false);
});

test('tracking problems are clear errors with exit 2, no stack, no runs, no leaked password', async () => {
  const long = 'x'.repeat(6001);
  const cases: { args: string[]; yaml?: string; expect: RegExp }[] = [
    { args: ['--tracking-uri', 'http://alice:s3cret@exa mple'], expect: /--tracking-uri: "http:\/\/\*\*\*@exa mple" is not a valid URL/ },
    { args: ['--tracking-uri', 'databricks'], expect: /Databricks workspaces are not supported/ },
    { args: ['--tracking-uri', 's3://bucket/runs'], expect: /--tracking-uri: s3: URIs are not supported .*use an http:\/\/ or https:\/\/ MLflow server, a file: URI, or a directory/ },
    { args: [], yaml: `name: x\ndescription: ${long}\n`, expect: /param 'description' has a value of 6001 characters; MLflow's limit is 6000/ },
  ];
  for (const c of cases) {
    const cwd = workspace({ 'x.yaml': c.yaml ?? 'name: x\ntrain: {epochs: 1}\ndata: {max_tokens: 2000}\n' });
    const result = await runCli(['x.yaml', ...c.args], cwd);
    assert.equal(result.code, 2, `${c.args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, c.expect);
    assert.doesNotMatch(result.stderr, /\n\s+at |s3cret/);
    assert.equal(existsSync(join(cwd, 'runs')), false);
  }
});
