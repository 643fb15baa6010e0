// The corpus as a dataset input of every trial run (MLflow's Dataset column): read back through the
// independent port of MLflow's FileStore (test/support/mlflow-reader.ts), byte-checked against what
// MLflow's log_inputs writes, mirrored to a server (runs/log-inputs), and uploaded once by sync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workspace } from './support/workspace.js';
import { runCli } from './support/cli.js';
import { FakeMlflowServer } from './support/fake-mlflow.js';
import { MlflowFileStoreReader, type Run } from './support/mlflow-reader.js';
import { FileStoreTracker } from '../src/track/file-store.js';
import { loadCorpusText } from '../src/data/corpus.js';

const TINY = (corpus?: string): string => `
name: datasets
data: {${corpus ? `corpus: ${corpus}, ` : ''}max_tokens: 3000}
model: {hidden_size: 8}
train: {epochs: 1, batch_size: 8, num_steps: 10}
sample: {prefixes: ["the "], length: 5}
sweep: {grid: {model.cell: [rnn, gru]}, workers: 2}
`;

const md5 = (...parts: string[]): string => {
  const h = createHash('md5');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest('hex');
};
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function trialRuns(reader: MlflowFileStoreReader, experiment: string): Run[] {
  const exp = reader.getExperimentByName(experiment);
  assert.ok(exp, `experiment ${experiment} is in the store`);
  return reader.searchRuns([exp.experiment_id]).filter((r) => r.data.tags['run_sweep.trial_id'] !== undefined);
}

/** a run's inputs as [context, name, digest], sorted */
function contexts(run: Run): Array<[unknown, unknown, unknown]> {
  return run.inputs.dataset_inputs.map((i): [unknown, unknown, unknown] =>
    [i.tags.find((t) => t.key === 'mlflow.data.context')?.value, i.dataset.name, i.dataset.digest]).sort();
}

test('a sweep on a file corpus: MLflow reads its trial runs\' inputs, laid out as its log_inputs writes them (bytes checked with PyYAML)', async () => {
  const text = 'the time traveller was expounding a recondite matter to us. '.repeat(200);
  const cwd = workspace({ 'sweep.yaml': TINY('corpus.txt'), 'corpus.txt': text });
  const result = await runCli(['sweep.yaml'], cwd);
  assert.equal(result.code, 0, result.stderr);

  const store = join(cwd, 'runs');
  const reader = new MlflowFileStoreReader(store);
  const exp = reader.getExperimentByName('datasets')!;
  const runs = trialRuns(reader, 'datasets');
  assert.equal(runs.length, 2);
  const all = reader.searchRuns([exp.experiment_id]);
  assert.equal(all.length, 3);
  assert.deepEqual(all.find((r) => r.data.tags['run_sweep.trial_id'] === undefined)!.inputs.dataset_inputs, [], 'the parent run has no inputs');

  const digests = new Set<unknown>();
  const metaFiles: string[] = [];
  for (const run of runs) {
    const inputs = run.inputs.dataset_inputs;
    assert.deepEqual(inputs.map((i) => i.tags.map((t) => t.key)), [['mlflow.data.context'], ['mlflow.data.context']]);
    assert.deepEqual(contexts(run).map(([c]) => c), ['training', 'validation']);
    for (const { dataset, tags } of inputs) {
      const context = tags[0]!.value;
      assert.equal(dataset.name, 'corpus.txt');
      assert.equal(dataset.source_type, 'local');
      assert.equal(dataset.source, `{"uri": "${pathToFileURL(join(cwd, 'corpus.txt')).href}"}`);
      assert.equal(dataset.schema, null);
      assert.match(String(dataset.digest), /^[0-9a-f]{32}$/);
      assert.equal(typeof dataset.digest, 'string');
      const profile = JSON.parse(dataset.profile as string) as { corpus_sha256: string; split: string };
      assert.equal(profile.corpus_sha256, `sha256:${sha256(text)}`);
      assert.equal(profile.split, context);
      digests.add(`${context}:${String(dataset.digest)}`);

      // the files, as MLflow's FileStore.log_inputs names and writes them (PyYAML safe_dump, keys sorted)
      const datasetId = md5(dataset.name as string, dataset.digest as string);
      const inputId = md5(datasetId, run.info.run_id);
      const runDir = join(store, exp.experiment_id, run.info.run_id);
      assert.equal(fs.readFileSync(join(runDir, 'inputs', inputId, 'meta.yaml'), 'utf8'),
        `destination_id: ${datasetId}\ndestination_type: RUN\nsource_id: ${datasetId}\nsource_type: DATASET\n` +
        `tags:\n  mlflow.data.context: ${context}\n`);
      const datasetMeta = fs.readFileSync(join(store, exp.experiment_id, 'datasets', datasetId, 'meta.yaml'), 'utf8');
      assert.deepEqual(datasetMeta.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(':')[0]),
        ['digest', 'name', 'profile', 'schema', 'source', 'source_type']);
      metaFiles.push(join(runDir, 'inputs', inputId, 'meta.yaml'), join(store, exp.experiment_id, 'datasets', datasetId, 'meta.yaml'));
    }
  }
  // both trials trained on the same splits of the same text: one dataset per split, shared
  assert.equal(digests.size, 2);
  assert.equal(fs.readdirSync(join(store, exp.experiment_id, 'datasets')).length, 2);
  // what MLflow's UI offers in its dataset filter
  assert.deepEqual(reader.searchDatasets([exp.experiment_id]).map((s) => `${String(s.context)}:${String(s.digest)}`).sort(),
    [...digests].sort());
  assert.deepEqual(reader.warnings, []);
  assertPyYamlWouldWrite(metaFiles);
});

/**
 * Each file is what MLflow's write_yaml would write for its content: PyYAML's safe_dump with
 * MLflow's options, run on what PyYAML's safe_load reads from it. Skipped (with a note) where
 * python3 with PyYAML is not installed.
 */
function assertPyYamlWouldWrite(files: string[]): void {
  const script = 'import json, sys, yaml\n' +
    'files = json.load(sys.stdin)\n' +
    'print(json.dumps([yaml.safe_dump(yaml.safe_load(open(f, encoding="utf-8")), default_flow_style=False, allow_unicode=True) for f in files]))';
  const py = spawnSync('python3', ['-c', script], { input: JSON.stringify(files), encoding: 'utf8' });
  if (py.status !== 0) {
    process.stderr.write(`# note: PyYAML cross-check skipped (python3 -c 'import yaml' failed: ${(py.stderr || String(py.error)).trim().split('\n').pop()})\n`);
    return;
  }
  const dumped = JSON.parse(py.stdout) as string[];
  files.forEach((f, i) => assert.equal(fs.readFileSync(f, 'utf8'), dumped[i], `${f} is not what PyYAML writes`));
}

test('logging the same dataset again adds nothing; another run shares the dataset; a dataset over MLflow\'s limits is refused', async () => {
  const cwd = workspace({});
  const tracker = new FileStoreTracker(join(cwd, 'runs'), cwd, { onWarning: () => {} });
  const expId = await tracker.experiment('e');
  const a = await tracker.createRun(expId, { runName: 'a', startTime: 1, tags: {}, params: {} });
  const b = await tracker.createRun(expId, { runName: 'b', startTime: 2, tags: {}, params: {} });
  const input = { dataset: { name: 'n', digest: 'd', sourceType: 'http', source: '{"url": "http://x"}' }, tags: { 'mlflow.data.context': 'training' } };
  await tracker.logInputs(a, [input]);
  const inputsDir = join(cwd, 'runs', expId, a.runId, 'inputs');
  const before = fs.readdirSync(inputsDir);
  await tracker.logInputs(a, [{ ...input, tags: { 'mlflow.data.context': 'validation' } }]);
  await tracker.logInputs(b, [input]);
  assert.deepEqual(fs.readdirSync(inputsDir), before);
  assert.equal(fs.readdirSync(join(cwd, 'runs', expId, 'datasets')).length, 1);
  const reader = new MlflowFileStoreReader(join(cwd, 'runs'));
  for (const run of [a, b]) {
    assert.deepEqual(reader.getRunInputs(run.runId).map((i) => [i.dataset.name, i.dataset.digest, i.dataset.profile, i.tags]),
      [['n', 'd', null, [{ key: 'mlflow.data.context', value: 'training' }]]]);
  }
  // nothing else is left in the run or the datasets directory (no temp directories)
  assert.deepEqual(fs.readdirSync(join(cwd, 'runs', expId, a.runId)).filter((n) => n.startsWith('.')), []);
  await assert.rejects(tracker.logInputs(a, [{ ...input, dataset: { ...input.dataset, digest: 'x'.repeat(37) } }]), /digest is longer than MLflow's 36/);
});

test('with a server: the same datasets and contexts reach runs/log-inputs; down, sync uploads them once, and a second sync adds nothing', async () => {
  const cwd = workspace({ 'sweep.yaml': TINY() });
  const server = await new FakeMlflowServer().start();
  let port: number;
  try {
    const result = await runCli(['sweep.yaml'], cwd, { MLFLOW_TRACKING_URI: server.uri });
    assert.equal(result.code, 0, result.stderr);
    const local = trialRuns(new MlflowFileStoreReader(join(cwd, 'runs')), 'datasets');
    assert.equal(local.length, 2);
    const text = await loadCorpusText('moby-dick', cwd);
    for (const run of local) {
      assert.equal(run.inputs.dataset_inputs.length, 2);
      for (const { dataset } of run.inputs.dataset_inputs) {
        assert.equal(dataset.name, 'moby-dick');
        assert.equal(dataset.source_type, 'http');
        assert.equal(JSON.parse(dataset.profile as string).corpus_sha256, `sha256:${sha256(text)}`);
      }
    }
    const expected = local.map(contexts).sort();
    const onServer = [...server.runs.values()].filter((r) => r.tags.has('run_sweep.trial_id'));
    assert.equal(onServer.length, 2);
    assert.deepEqual(onServer.map((r) => r.inputs.map((i): [unknown, unknown, unknown] =>
      [i.tags.find((t) => t.key === 'mlflow.data.context')?.value, i.dataset.name, i.dataset.digest]).sort()).sort(), expected);
    port = server.port;
  } finally {
    await server.stop();
  }

  // the same store, synced to an empty server (as after a sweep with the server down)
  const fresh = await new FakeMlflowServer().start(port);
  try {
    const first = await runCli(['sync', '--to', fresh.uri], cwd);
    assert.equal(first.code, 0, first.stderr);
    const local = trialRuns(new MlflowFileStoreReader(join(cwd, 'runs')), 'datasets').map(contexts).sort();
    const synced = [...fresh.runs.values()].filter((r) => r.tags.has('run_sweep.trial_id')).map((r) => r.inputs.map((i): [unknown, unknown, unknown] =>
      [i.tags.find((t) => t.key === 'mlflow.data.context')?.value, i.dataset.name, i.dataset.digest]).sort()).sort();
    assert.deepEqual(synced, local);

    const mark = fresh.requests.length;
    const again = await runCli(['sync', '--to', fresh.uri], cwd);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 run\(s\) uploaded, 0 updated, 3 unchanged/);
    assert.deepEqual(fresh.writesSince(mark), []);

    // a server run that lacks its inputs (uploaded before run-sweep logged them) gets them, once
    const trial = [...fresh.runs.values()].find((r) => r.tags.has('run_sweep.trial_id'))!;
    trial.inputs = [];
    const third = await runCli(['sync', '--to', fresh.uri], cwd);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /0 run\(s\) uploaded, 1 updated, 2 unchanged/);
    assert.match(third.stdout, /2 dataset input\(s\)/);
    assert.equal(trial.inputs.length, 2);
  } finally {
    await fresh.stop();
  }
});
