// A corpus's text → vocabulary and the train / validation token-id streams.
//
// src/data/ is the data pipeline both threads use: the main thread's preflight sizes every trial
// with it before training, and a worker's trial trains on what it yields. It imports neither tfjs
// nor src/train/ (which imports it).

import type { DataConfig } from '../config/types.js';
import { textTokens } from './text.js';
import { Vocab } from './vocab.js';

export interface Dataset {
  vocab: Vocab;
  train: Int32Array;
  val: Int32Array;
}

/**
 * As d2l's load_corpus_time_machine: the vocabulary is built from every token of the text, and only
 * then is the id stream cut to max_tokens, so the vocabulary does not depend on max_tokens. The
 * last validation_fraction of the (cut) stream is held out, rounded to whole tokens.
 */
export function prepareDataset(text: string, cfg: DataConfig): Dataset {
  const tokens = textTokens(text, cfg);
  const vocab = Vocab.build(tokens, cfg.min_freq);
  let ids = vocab.encode(tokens);
  if (cfg.max_tokens !== null && cfg.max_tokens > 0) ids = ids.subarray(0, cfg.max_tokens);
  const nVal = Math.round(ids.length * cfg.validation_fraction);
  return { vocab, train: ids.slice(0, ids.length - nVal), val: ids.slice(ids.length - nVal) };
}
