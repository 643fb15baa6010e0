// `run-sweep report` from an MLflow server (the in-test fake): the same tables as from the local
// store the sweep mirrored, read over REST (runs/search, metrics/get-history, the artifact proxy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FakeMlflowServer } from './support/fake-mlflow.js';
import { runCli } from './support/cli.js';
import { sweptWorkspace } from './support/report-sweep.js';

/** A table's body rows as cell texts, tags stripped; columns named in `drop` left out. */
function rows(html: string, id: string, drop: number[] = []): string[][] {
  const table = new RegExp(`<table id="${id}"[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(html);
  assert.ok(table, `table #${id} is in the report`);
  return [...table[1]!.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '')).filter((_c, i) => !drop.includes(i)));
}

const samples = (html: string): string[] => [...html.matchAll(/<table class="samples"[\s\S]*?<\/table>/g)].map((m) => m[0]);

test('a report read from the server has the rows of the report read from the local store', { timeout: 120_000 }, async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const cwd = await sweptWorkspace(['--tracking-uri', server.uri]);
    const local = await runCli(['report', 'sweep.yaml', '--tracking-uri', 'runs', '--out', 'local.html'], cwd);
    assert.equal(local.code, 0, local.stderr);
    // without the local store, only the server can answer
    rmSync(join(cwd, 'runs'), { recursive: true });
    const served = await runCli(['report', 'sweep.yaml', '--out', 'served.html'], cwd, { MLFLOW_TRACKING_URI: server.uri });
    assert.equal(served.code, 0, served.stderr);
    assert.match(served.stdout, new RegExp(`3 configuration\\(s\\), 4 finished trial\\(s\\), 2 failed or killed, from the server ${server.uri.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.ok(server.requests.some((r) => r.path === '/api/2.0/mlflow/metrics/get-history'), 'curves come from the metric history endpoint');
    assert.ok(server.requests.some((r) => r.method === 'GET' && r.path.startsWith('/api/2.0/mlflow-artifacts/artifacts/')), 'samples come from the artifact proxy');

    const a = readFileSync(join(cwd, 'local.html'), 'utf8');
    const b = readFileSync(join(cwd, 'served.html'), 'utf8');
    assert.equal(rows(b, 'summary').length, 3);
    assert.deepEqual(rows(b, 'summary'), rows(a, 'summary'));
    assert.deepEqual(rows(b, 'differences'), rows(a, 'differences'));
    // run ids differ between the store and the server: compare everything else
    assert.deepEqual(rows(b, 'failures', [6]), rows(a, 'failures', [6]));
    assert.equal(rows(b, 'failures').length, 2);
    assert.equal(samples(b).length, 2);
    assert.deepEqual(samples(b), samples(a));
    const chartData = (html: string): string => /<script type="application\/json" id="chart-data">([^<]*)<\/script>/.exec(html)![1]!;
    assert.equal(chartData(b), chartData(a), 'the same curves and speeds');
  } finally {
    await server.stop();
  }
});
