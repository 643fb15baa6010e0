// One trial, start to finish, inside a worker: backend, corpus, dataset, model, training, weights.
// Everything random is drawn from streams forked off train.seed, so a trial is reproducible.

import type { TrialConfig } from '../config/types.js';
import { loadCorpusText } from '../data/corpus.js';
import { prepareDataset } from '../data/dataset.js';
import { Rng } from '../data/rng.js';
import { initBackend } from './backend.js';
import type { TrainEvent, TrainResult } from './events.js';
import { prefixProblem } from './generate.js';
import { trainModel } from './loop.js';
import { RnnLM } from './model.js';
import { pathFor } from './path.js';
import { exportWeights } from './weights.js';

export interface TrialOptions {
  /** the directory a relative corpus path is resolved against (the experiment file's) */
  baseDir: string;
  onEvent: (e: TrainEvent) => void;
  /** checked between minibatches; the trial rejects with the signal's reason */
  signal?: AbortSignal;
  /**
   * For tests: applied to the model before training and after every update (the parity test holds
   * a model's recurrent weights at zero with it, to show that its band rejects such a model).
   */
  hold?: (model: RnnLM) => void;
}

export async function runTrial(config: TrialConfig, opts: TrialOptions): Promise<TrainResult> {
  const backend = await initBackend(config.engine.backend);
  const text = await loadCorpusText(config.data.corpus, opts.baseDir);
  const { vocab, train, val } = prepareDataset(text, config.data);
  const rng = new Rng(config.train.seed);
  const path = pathFor(config.engine.path);
  const blas = path.setUp(config.engine);
  opts.signal?.throwIfAborted(); // loading and the BLAS check take a while: a stop asked meanwhile ends here
  const model = RnnLM.init(config.model, vocab.size, rng.fork('init'), config.engine.path);
  try {
    opts.onEvent({
      type: 'setup',
      vocabSize: vocab.size,
      paramCount: model.paramCount,
      backend,
      kernels: path.kernels(),
      blas: blas?.description ?? 'none',
      trainTokens: train.length,
      valTokens: val.length,
      unknownShare: train.length > 0 ? train.reduce((n, id) => n + (id === 0 ? 1 : 0), 0) / train.length : 0,
    });
    if (blas?.note) opts.onEvent({ type: 'warning', message: blas.note });
    for (const prefix of config.sample.prefixes) {
      const problem = prefixProblem(vocab, config.data, prefix);
      if (problem) opts.onEvent({ type: 'warning', message: problem });
    }
    const result = await trainModel({ model, vocab, train, val, config, rng, onEvent: opts.onEvent, signal: opts.signal, hold: opts.hold });
    opts.onEvent({ type: 'weights', files: await exportWeights(model, vocab, config.data.level) });
    return result;
  } finally {
    model.dispose();
  }
}
