// Text generation, d2l 8.5's predict_ch8: warm the state up on the prefix (feeding its tokens one
// at a time, from a zero state), then feed back each predicted token. Temperature 0 picks the
// argmax, as d2l does; otherwise the next token is drawn from softmax(logits / temperature),
// restricted to the top_k most likely tokens when top_k > 0.

import * as tf from '@tensorflow/tfjs';
import type { DataConfig } from '../config/types.js';
import type { Rng } from '../data/rng.js';
import { textTokens } from '../data/text.js';
import { UNK, type Vocab } from '../data/vocab.js';
import { type ModelState, type RnnLM, stateTensors } from './model.js';

export interface SampleOptions {
  /** how many tokens to generate after the prefix */
  length: number;
  temperature: number;
  topK: number;
  /** draws the sampled tokens; unused when temperature is 0 */
  rng: Rng;
}

/** The prefix's ids followed by `length` generated ids. */
export function predict(model: RnnLM, prefix: ArrayLike<number>, opts: SampleOptions): number[] {
  // An empty prefix (say, one that normalisation removed entirely) starts from '<unk>', id 0,
  // which is left out of the result.
  const seed = prefix.length > 0 ? Array.from(prefix) : [0];
  const out = [...seed];
  let state: ModelState = model.beginState(1);
  const feed = (id: number): Float32Array => {
    const next = tf.tidy(() => model.forward(Int32Array.of(id), 1, state));
    tf.dispose(stateTensors(state));
    state = next.state;
    const logits = next.logits.dataSync() as Float32Array;
    next.logits.dispose();
    return logits;
  };
  try {
    for (let i = 1; i < seed.length; i++) feed(seed[i - 1] as number);
    for (let i = 0; i < opts.length; i++) out.push(chooseToken(feed(out[out.length - 1] as number), opts));
  } finally {
    tf.dispose(stateTensors(state));
  }
  return prefix.length > 0 ? out : out.slice(1);
}

export function chooseToken(logits: Float32Array, opts: Pick<SampleOptions, 'temperature' | 'topK' | 'rng'>): number {
  if (opts.temperature === 0) return argmax(logits);
  let candidates = Array.from(logits.keys());
  if (opts.topK > 0 && opts.topK < logits.length) {
    candidates.sort((a, b) => (logits[b] as number) - (logits[a] as number));
    candidates = candidates.slice(0, opts.topK);
  }
  // softmax over the candidates, shifted by the max for stability
  const scaled = candidates.map((i) => (logits[i] as number) / opts.temperature);
  const max = Math.max(...scaled);
  const weights = scaled.map((s) => Math.exp(s - max));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = opts.rng.next() * total;
  for (let k = 0; k < candidates.length; k++) {
    u -= weights[k] as number;
    if (u < 0) return candidates[k] as number;
  }
  return candidates[candidates.length - 1] as number;
}

/** The first index of the largest value, as torch.argmax. */
function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** Why a prefix cannot warm the model up as written: it normalises to nothing, or has tokens the vocabulary lacks. */
export function prefixProblem(vocab: Vocab, data: Pick<DataConfig, 'level' | 'normalize' | 'lowercase'>, prefix: string): string | null {
  const tokens = textTokens(prefix, data);
  if (tokens.length === 0) return `sample prefix ${JSON.stringify(prefix)} is empty once normalised like the corpus`;
  const unknown = [...new Set(tokens.filter((t) => t !== UNK && vocab.id(t) === vocab.id(UNK)))];
  if (unknown.length === 0) return null;
  return `sample prefix ${JSON.stringify(prefix)} has tokens the vocabulary lacks (${unknown.map((t) => JSON.stringify(t)).join(', ')}): they read as <unk>`;
}

/** Generates from a text prefix, tokenised and normalised as the corpus was; returns text. */
export function sampleText(
  model: RnnLM,
  vocab: Vocab,
  data: Pick<DataConfig, 'level' | 'normalize' | 'lowercase'>,
  prefix: string,
  opts: SampleOptions,
): string {
  const ids = vocab.encode(textTokens(prefix, data));
  return vocab.decode(predict(model, ids, opts), data.level);
}
