// A sweep-shaped sequence of tracker calls (parent run, trial runs with params, per-epoch metrics,
// artifacts, a failed trial), and the canonical content every sink must end up holding.
import type { RunRef, Tracker } from '../../src/track/tracker.js';

export interface CanonRun {
  name: string;
  parentName: string | null;
  status: string;
  startTime: number;
  endTime: number | null;
  params: Record<string, string>;
  /** without the tags whose values are sink-specific ids */
  tags: Record<string, string>;
  metrics: Record<string, Array<[number, number, number]>>;
  artifacts: Record<string, string>;
}

export const T0 = 1_760_000_000_000;
export const EXPERIMENT = 'cell-comparison';
export const SPECIFIC_TAGS = ['mlflow.parentRunId', 'run_sweep.local_run_id', 'run_sweep.owner', 'run_sweep.create_token'];

export interface SweepResult {
  experimentId: string;
  parent: RunRef;
  trials: RunRef[];
  expected: CanonRun[];
}

/** Values are chosen to exercise the layout: '/' in keys, nan/inf, multi-line tags, binary artifacts. */
export async function runSweepScript(t: Tracker, epochs = 3): Promise<SweepResult> {
  const experimentId = await t.experiment(EXPERIMENT);
  const expected: CanonRun[] = [];
  const parentName = `${EXPERIMENT} 2025-10-09T08:53:20`;
  const parentTags = { 'mlflow.source.name': 'run-sweep', 'mlflow.source.type': 'LOCAL', 'mlflow.user': 'tester' };
  const parent = await t.createRun(experimentId, { runName: parentName, startTime: T0, tags: parentTags, params: { 'sweep.workers': '2' } });
  const trials: RunRef[] = [];
  const cells = ['rnn', 'gru', 'lstm'];
  for (const [i, cell] of cells.entries()) {
    const name = `cell=${cell} seed=0`;
    const tags = { ...parentTags, 'run_sweep.trial_id': `t${i}abc`, 'note': 'line one\nline two' };
    const params = { 'model.cell': cell, 'model.hidden_size': '128', 'data/corpus': 'moby-dick', 'vocab_size': '28' };
    const start = T0 + 10 + i;
    const ref = await t.createRun(experimentId, { runName: name, startTime: start, tags, params, parent });
    trials.push(ref);
    const metrics: CanonRun['metrics'] = {};
    const add = (key: string, ts: number, value: number, step: number): void => {
      (metrics[key] ??= []).push([ts, value, step]);
    };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const ts = start + 1000 * epoch;
      const failed = i === 2 && epoch === epochs;
      const points = [
        { key: 'train_perplexity', value: failed ? NaN : 20 / epoch + i, step: epoch, timestamp: ts },
        { key: 'val_perplexity', value: failed ? Infinity : 22 / epoch + i + 0.125, step: epoch, timestamp: ts },
        { key: 'val/loss', value: Math.log(22 / epoch + i), step: epoch, timestamp: ts },
      ];
      await t.logMetrics(ref, points);
      for (const p of points) add(p.key, p.timestamp, p.value, p.step);
    }
    const artifacts: Record<string, string> = {};
    const put = async (p: string, content: string | Uint8Array): Promise<void> => {
      await t.logArtifact(ref, p, content);
      artifacts[p] = Buffer.from(content).toString('base64');
    };
    await put('config.yaml', `model:\n  cell: ${cell}\n`);
    await put('samples/epoch_001.txt', 'the whale and the sea');
    await put('model/weights.bin', new Uint8Array([0, 255, 1, 254, i]));
    const status = i === 2 ? 'FAILED' : 'FINISHED';
    if (status === 'FAILED') await put('error.txt', 'Error: loss diverged\n    at train (loop.ts:1:1)');
    await t.setTags(ref, { 'run_sweep.status_detail': status.toLowerCase() });
    const end = start + 1000 * epochs + 5;
    await t.endRun(ref, status as 'FINISHED' | 'FAILED', end);
    expected.push({
      name, parentName, status, startTime: start, endTime: end, params,
      tags: { ...tags, 'mlflow.runName': name, 'run_sweep.status_detail': status.toLowerCase() },
      metrics, artifacts,
    });
  }
  await t.logMetrics(parent, [{ key: 'best_val_perplexity', value: 22 / epochs + 0.125, step: epochs, timestamp: T0 + 9000 }]);
  await t.endRun(parent, 'FINISHED', T0 + 9999);
  expected.unshift({
    name: parentName, parentName: null, status: 'FINISHED', startTime: T0, endTime: T0 + 9999,
    params: { 'sweep.workers': '2' },
    tags: { ...parentTags, 'mlflow.runName': parentName },
    metrics: { best_val_perplexity: [[T0 + 9000, 22 / epochs + 0.125, epochs]] },
    artifacts: {},
  });
  return { experimentId, parent, trials, expected };
}

/** Sorts runs by name and metric points by (step, timestamp), so sinks can be compared. */
export function canon(runs: CanonRun[]): CanonRun[] {
  const sortObj = <T>(o: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return runs
    .map((r) => ({
      ...r,
      params: sortObj(r.params),
      tags: sortObj(Object.fromEntries(Object.entries(r.tags).filter(([k]) => !SPECIFIC_TAGS.includes(k)))),
      metrics: sortObj(Object.fromEntries(Object.entries(r.metrics).map(([k, pts]) =>
        [k, [...pts].sort((a, b) => a[2] - b[2] || a[0] - b[0])]))),
      artifacts: sortObj(r.artifacts),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
