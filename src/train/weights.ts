// Trained weights in tfjs's own save format: model.json (a weightsManifest naming weights.bin and
// each tensor's name, shape and dtype) and weights.bin (the tensors' bytes, from
// tf.io.encodeWeights). userDefinedMetadata carries what rebuilding the model needs besides the
// numbers: the model config, the token level and the vocabulary.

import * as tf from '@tensorflow/tfjs';
import type { DataConfig, ModelConfig } from '../config/types.js';
import { Vocab } from '../data/vocab.js';
import { RnnLM } from './model.js';

export const WEIGHTS_FORMAT = 'run-sweep-rnn-lm';
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface WeightsFile {
  path: string;
  data: Uint8Array;
}

interface Metadata {
  model: ModelConfig;
  level: DataConfig['level'];
  vocab: string[];
}

interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  weightsManifest: tf.io.WeightsManifestConfig;
  userDefinedMetadata: Metadata;
}

export async function exportWeights(model: RnnLM, vocab: Vocab, level: DataConfig['level']): Promise<WeightsFile[]> {
  const named = [...model.params].map(([name, v]) => ({ name, tensor: v as tf.Tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const json: ModelJson = {
    format: WEIGHTS_FORMAT,
    generatedBy: `TensorFlow.js tfjs-core v${tf.version_core}`,
    convertedBy: null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: specs }],
    userDefinedMetadata: { model: model.config, level, vocab: [...vocab.tokens] },
  };
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(await new Blob(data).arrayBuffer());
  return [
    { path: MODEL_JSON, data: new TextEncoder().encode(JSON.stringify(json, null, 1)) },
    { path: WEIGHTS_BIN, data: bytes },
  ];
}

/** Rebuilds a model and its vocabulary from the files exportWeights wrote. */
export function importWeights(files: WeightsFile[]): { model: RnnLM; vocab: Vocab; level: DataConfig['level'] } {
  const byPath = new Map(files.map((f) => [f.path, f.data]));
  const jsonBytes = byPath.get(MODEL_JSON);
  if (!jsonBytes) throw new Error(`no ${MODEL_JSON} among the weight files`);
  const json = JSON.parse(new TextDecoder().decode(jsonBytes)) as ModelJson;
  if (json.format !== WEIGHTS_FORMAT) throw new Error(`${MODEL_JSON} has format '${json.format}', not '${WEIGHTS_FORMAT}'`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const data = byPath.get(p);
      if (!data) throw new Error(`${MODEL_JSON} names ${p}, which is missing`);
      buffers.push(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
    }
  }
  const tensors = tf.io.decodeWeights(buffers.length === 1 ? (buffers[0] as ArrayBuffer) : buffers, specs);
  try {
    const values = new Map(Object.entries(tensors).map(([name, t]) => [name, t.dataSync() as Float32Array]));
    const { model, level, vocab } = json.userDefinedMetadata;
    const tokens = Vocab.fromTokens(vocab);
    return { model: RnnLM.fromValues(model, tokens.size, values), vocab: tokens, level };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
