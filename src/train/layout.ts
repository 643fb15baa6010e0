// The parameters of a model, by name and shape: what init.ts fills, what model.ts turns into
// variables, and what weights.ts saves. Names are stable, so saved weights stay readable.

import type { ModelConfig } from '../config/types.js';
import { CELL_SPEC } from './cells/spec.js';

export type ParamRole = 'embedding' | 'input' | 'recurrent' | 'bias' | 'head' | 'head_bias';

export interface ParamSpec {
  name: string;
  shape: [number] | [number, number];
  role: ParamRole;
}

export type ModelShape = Pick<
  ModelConfig,
  'cell' | 'nonlinearity' | 'hidden_size' | 'num_layers' | 'bidirectional' | 'embedding'
>;

export const directionNames = ['fwd', 'bwd'] as const;

export function directionsOf(model: ModelShape): number {
  return model.bidirectional ? 2 : 1;
}

/** The width of what the first layer reads: the vocabulary (one-hot) or the embedding size. */
export function inputSizeOf(model: ModelShape, vocabSize: number): number {
  return model.embedding === 'one_hot' ? vocabSize : model.embedding;
}

export function layerParamName(layer: number, direction: number, part: 'W_x' | 'W_h' | 'b'): string {
  return `layer${layer}.${directionNames[direction]}.${part}`;
}

export function parameterLayout(model: ModelShape, vocabSize: number): ParamSpec[] {
  const h = model.hidden_size;
  const gh = CELL_SPEC[model.cell].gates * h;
  const dirs = directionsOf(model);
  const specs: ParamSpec[] = [];
  if (model.embedding !== 'one_hot') {
    specs.push({ name: 'embedding', shape: [vocabSize, model.embedding], role: 'embedding' });
  }
  for (let layer = 0; layer < model.num_layers; layer++) {
    const inSize = layer === 0 ? inputSizeOf(model, vocabSize) : dirs * h;
    for (let d = 0; d < dirs; d++) {
      specs.push({ name: layerParamName(layer, d, 'W_x'), shape: [inSize, gh], role: 'input' });
      specs.push({ name: layerParamName(layer, d, 'W_h'), shape: [h, gh], role: 'recurrent' });
      specs.push({ name: layerParamName(layer, d, 'b'), shape: [gh], role: 'bias' });
    }
  }
  specs.push({ name: 'head.W', shape: [dirs * h, vocabSize], role: 'head' });
  specs.push({ name: 'head.b', shape: [vocabSize], role: 'head_bias' });
  return specs;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
