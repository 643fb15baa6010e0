import type { ModelConfig } from '../../src/config/types.js';

export type Variant = [name: string, model: Partial<ModelConfig>];

/** Each cell and nonlinearity once, and a deep stack: the variants every engine check starts from. */
export const CELL_VARIANTS: Variant[] = [
  ['rnn tanh', { cell: 'rnn' }],
  ['rnn relu', { cell: 'rnn', nonlinearity: 'relu' }],
  ['gru', { cell: 'gru' }],
  ['lstm', { cell: 'lstm', forget_bias: 1 }],
  ['deep lstm (2 layers)', { cell: 'lstm', num_layers: 2 }],
];
