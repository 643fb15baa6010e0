// Hand-made stores for report tests that need no training: trial runs with the params, tags,
// metrics and artifacts SweepRecorder writes, at chosen times and statuses.
import { join } from 'node:path';
import { FileStoreTracker } from '../../src/track/file-store.js';
import type { RunStatus } from '../../src/track/tracker.js';

export interface FakeTrial {
  cell: string;
  seed: number;
  status?: Exclude<RunStatus, 'RUNNING'> | 'RUNNING';
  /** val perplexity per epoch (train is val + 1; tokens/s 1000 × seed + 1000) */
  val?: number[];
  start?: number;
  failure?: string;
  error?: string;
  samples?: Record<number, string>;
  trialId?: string;
}

export function trialParams(cell: string, seed: number): Record<string, string> {
  return {
    'data.corpus': 'moby-dick', 'data.max_tokens': '3000', 'model.cell': cell, 'model.hidden_size': '8',
    'train.epochs': '3', 'train.lr': '1', 'train.seed': String(seed), 'sample.prefixes': '["the "]',
    'engine.backend': 'auto', vocab_size: '90', 'run_sweep.version': '0.1.0', name: 'x',
  };
}

/** Writes an experiment's runs into the store at dir; returns its id. */
export async function writeStore(dir: string, experiment: string, trials: FakeTrial[], opts: { parent?: boolean } = {}): Promise<string> {
  const store = new FileStoreTracker(dir, dir, { onWarning: () => {} });
  const id = await store.experiment(experiment);
  if (opts.parent) {
    const parent = await store.createRun(id, { runName: 'sweep', startTime: 1, tags: { 'run_sweep.role': 'sweep', 'run_sweep.trial_id': 'parent-should-be-ignored' }, params: trialParams('rnn', 9) });
    await store.endRun(parent, 'FINISHED', 2);
  }
  for (const t of trials) {
    const start = t.start ?? 1_000;
    const run = await store.createRun(id, {
      runName: `cell=${t.cell} seed=${t.seed}`, startTime: start,
      tags: { 'run_sweep.trial_id': t.trialId ?? `${t.cell}-${t.seed}`, ...(t.failure ? { 'run_sweep.failure': t.failure } : {}) },
      params: trialParams(t.cell, t.seed),
    });
    const val = t.val ?? [];
    await store.logMetrics(run, val.flatMap((v, i) => [
      { key: 'val_perplexity', value: v, step: i + 1, timestamp: start + i },
      { key: 'train_perplexity', value: v + 1, step: i + 1, timestamp: start + i },
    ]));
    if ((t.status ?? 'FINISHED') === 'FINISHED' && val.length > 0) {
      await store.logMetrics(run, [
        { key: 'trial_val_perplexity', value: val.at(-1)!, step: val.length, timestamp: start + 10 },
        { key: 'trial_train_perplexity', value: val.at(-1)! + 1, step: val.length, timestamp: start + 10 },
        { key: 'trial_tokens_per_second', value: 1000 * t.seed + 1000, step: val.length, timestamp: start + 10 },
      ]);
    }
    for (const [epoch, text] of Object.entries(t.samples ?? {})) {
      await store.logArtifact(run, `samples/epoch_${String(epoch).padStart(3, '0')}.txt`, text);
    }
    if (t.error !== undefined) await store.logArtifact(run, 'error.txt', `${t.error}\n`);
    if ((t.status ?? 'FINISHED') !== 'RUNNING') await store.endRun(run, (t.status ?? 'FINISHED') as Exclude<RunStatus, 'RUNNING'>, start + 100);
  }
  return id;
}

export const storeDir = (cwd: string, name = 'runs'): string => join(cwd, name);
