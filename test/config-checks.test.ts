// Checks that need no data: the tracking URI's form, an installed tensorflow, durations; and the new keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { backendFindings } from '../src/config/backend-check.js';
import { parseDuration } from '../src/config/duration.js';
import { ConfigError } from '../src/config/errors.js';
import { loadExperiment } from '../src/config/load.js';
import { RunSweepError } from '../src/errors.js';
import { tensorflowInstalled } from '../src/train/tensorflow-packages.js';
import { workspace } from './support/workspace.js';

function load(yaml: string, set?: string[]): ReturnType<typeof loadExperiment> {
  const dir = workspace({ 'x.yaml': yaml });
  return loadExperiment(path.join(dir, 'x.yaml'), { set });
}

function caught(yaml: string, set?: string[]): ConfigError {
  try {
    load(yaml, set);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  return assert.fail('expected a ConfigError');
}

function problems(yaml: string, set?: string[]): string[] {
  return caught(yaml, set).issues.map((issue) => (issue.line > 0 ? `${issue.line}:${issue.column}: ` : `${issue.file}: `) + `${issue.path}: ${issue.message}`);
}

const FORMS = 'an http:// or https:// MLflow server, a file: URI, or a directory';

test('a ConfigError is a RunSweepError of kind config, exit code 2, with its issues', () => {
  const error = caught('name: x\nmodel: {cell: 3}\n');
  assert.ok(error instanceof RunSweepError);
  assert.equal(error.kind, 'config');
  assert.equal(error.exitCode, 2);
  assert.equal(error.name, 'ConfigError');
  assert.equal(error.issues.length, 1);
  assert.match(error.message, /x\.yaml:2:15: model\.cell: expected one of rnn, gru, lstm, got 3$/);
});

test('tracking.uri takes a directory, a file: URI or http(s)://, and names those forms otherwise, at its line', () => {
  for (const uri of ['runs', '/srv/mlruns', 'file:///srv/mlruns', 'http://127.0.0.1:5000', 'HTTPS://mlflow.example.com/x', 'C:\\\\runs']) {
    assert.equal(load(`name: x\ntracking: {uri: "${uri}"}\n`).config.tracking.uri, uri.replace('\\\\', '\\'), uri);
  }
  assert.deepEqual(problems('name: x\ntracking:\n  experiment: e\n  uri: ftp://files.example.com/runs\n'), [
    `4:8: tracking.uri: ftp: URIs are not supported ("ftp://files.example.com/runs"); use ${FORMS}`,
  ]);
  assert.deepEqual(problems('name: x\ntracking: {uri: s3://bucket/runs}\n'), [`2:17: tracking.uri: s3: URIs are not supported ("s3://bucket/runs"); use ${FORMS}`]);
  assert.deepEqual(problems('name: x\ntracking: {uri: databricks}\n'), [`2:17: tracking.uri: Databricks workspaces are not supported ("databricks"); use ${FORMS}`]);
  assert.deepEqual(problems('name: x\ntracking: {uri: "http://exa mple"}\n'), ['2:17: tracking.uri: "http://exa mple" is not a valid URL']);
});

test('a malformed percent-escape in tracking.uri is an error that does not print the password', () => {
  const error = caught('name: x\ntracking:\n  uri: "http://bob:p%zzsecret@mlflow.example.com:5000/"\n');
  assert.deepEqual(
    error.issues.map((issue) => `${issue.line}:${issue.column}: ${issue.path}: ${issue.message}`),
    [`3:8: tracking.uri: malformed percent-escape in "http://***@mlflow.example.com:5000/": '%' must be followed by two hex digits (write %25 for a '%' itself)`],
  );
  assert.doesNotMatch(error.message, /secret|bob|%zz/);
});

test('no message echoes a URI password, not even a --set argument that carries one', () => {
  const error = caught('name: x\n', ['tracking.uri=ftp://alice:hunter2@host/runs', 'tracking.experiment=http://carol:pw@host', 'tracking.experment=https://dan:pw2@h']);
  assert.doesNotMatch(error.message, /hunter2|alice|carol|dan|pw/);
  assert.match(error.message, /--set tracking\.uri=ftp:\/\/\*\*\*@host\/runs: tracking\.uri: ftp: URIs are not supported \("ftp:\/\/\*\*\*@host\/runs"\)/);
  assert.deepEqual(load('name: x\ntracking: {uri: "http://bob:s3cret@host:5000"}\n').config.tracking.uri, 'http://bob:s3cret@host:5000', 'a good URI is kept whole');
});

test('engine.backend tensorflow without tfjs-node is an error saying what to install, wherever a trial would use it', () => {
  const yaml = 'name: x\nengine: {backend: tensorflow}\nsweep: {grid: {engine.backend: [wasm, tensorflow]}, include: [{engine.backend: tensorflow, model.cell: gru}]}\n';
  const message = 'the tensorflow backend needs @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu), which is not installed: npm install @tensorflow/tfjs-node';
  if (tensorflowInstalled()) {
    assert.equal(load(yaml).config.engine.backend, 'tensorflow');
  } else {
    // The grid replaces the base value in every grid point and the include entry sets its own, so line 2 is not reported.
    assert.deepEqual(problems(yaml), [`3:39: sweep.grid.engine.backend[1]: ${message}`, `3:80: sweep.include[0].engine.backend: ${message}`]);
    assert.deepEqual(problems('name: x\nengine:\n  backend: tensorflow\n'), [`3:12: engine.backend: ${message}`]);
  }
  // Both branches, whatever this machine has installed.
  assert.deepEqual(backendFindings({ engine: { backend: 'tensorflow' } }, () => true), []);
  assert.equal(backendFindings({ engine: { backend: 'tensorflow' } }, () => false).length, 1);
  assert.deepEqual(backendFindings({ engine: { backend: 'tensorflow' }, sweep: { grid: { 'engine.backend': ['cpu'] }, include: [{ 'model.cell': 'gru' }] } }, () => false).map((f) => f.path.join('.')), ['engine.backend'], 'an include entry without a backend uses the base one');
});

test('the new sweep and tracking keys default as documented and take their values', () => {
  const defaults = load('name: x\n').config;
  assert.deepEqual(
    [defaults.tracking.upload_timeout, defaults.tracking.require_server, defaults.sweep.trial_timeout, defaults.sweep.max_memory_mb, defaults.sweep.retries],
    [60, false, null, null, 1],
  );
  const set = load('name: x\ntracking: {upload_timeout: 90s, require_server: true}\nsweep: {trial_timeout: 2h, max_memory_mb: 2048, retries: 0}\n').config;
  assert.deepEqual([set.tracking.upload_timeout, set.tracking.require_server, set.sweep.trial_timeout, set.sweep.max_memory_mb, set.sweep.retries], ['90s', true, '2h', 2048, 0]);
  assert.equal(parseDuration(set.tracking.upload_timeout), 90_000);
});

test('bad durations, memory and retries are config errors naming the accepted forms', () => {
  assert.deepEqual(
    problems('name: x\ntracking: {upload_timeout: 30x, require_server: yes}\nsweep: {trial_timeout: 0s, max_memory_mb: 32, retries: -1}\n'),
    [
      '2:28: tracking.upload_timeout: expected a number ≥ 0, or a string with a unit, such as "500ms", "45s", "30m" or "2h", got "30x"',
      '2:49: tracking.require_server: expected true or false, got "yes"',
      '3:24: sweep.trial_timeout: expected a duration above 0 (seconds as a number (90), or a number with a unit: "500ms", "45s", "30m", "2h") or null, got "0s"',
      '3:43: sweep.max_memory_mb: expected an integer ≥ 64 or null, got 32',
      '3:56: sweep.retries: expected an integer ≥ 0, got -1',
    ],
  );
  assert.deepEqual(problems('name: x\nsweep: {trial_timeout: -5}\n'), [
    '2:24: sweep.trial_timeout: expected a number > 0, or a string with a unit, such as "500ms", "45s", "30m" or "2h", or null, got -5',
  ]);
});

test('parseDuration reads seconds and unit strings, and names the accepted forms for anything else', () => {
  assert.deepEqual([parseDuration(90), parseDuration(0.5), parseDuration('45s'), parseDuration('2m'), parseDuration('1.5h'), parseDuration('250ms')], [90_000, 500, 45_000, 120_000, 5_400_000, 250]);
  for (const bad of ['30x', '', '5', '1h30m', ' 5s', '-5s', -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => parseDuration(bad), { name: 'RangeError', message: /is not a duration: expected seconds as a number \(90\), or a number with a unit: "500ms", "45s", "30m", "2h"$/ }, String(bad));
  }
});
