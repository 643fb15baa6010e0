// Each cell's shape as plain data, free of tfjs, so the main thread can size a model (memory
// estimate, cost for ordering trials) without loading the engine. The table is made of the cells'
// own spec files (./<cell>/spec.ts), which their plain cells, fused cells and kernels read too.

import * as gru from './gru/spec.js';
import * as lstm from './lstm/spec.js';
import * as rnn from './rnn/spec.js';

/** What the model and the layers need of a cell's shape. */
export interface CellShape {
  /** G: how many h-wide blocks the fused matrices hold */
  readonly gates: number;
  /** how many [batch, h] tensors make up the state */
  readonly stateSize: number;
}

export const CELL_SPEC = {
  rnn: { gates: rnn.GATES, stateSize: rnn.STATE_SIZE },
  gru: { gates: gru.GATES, stateSize: gru.STATE_SIZE },
  lstm: { gates: lstm.GATES, stateSize: lstm.STATE_SIZE },
} as const satisfies Record<string, CellShape>;

export type CellName = keyof typeof CELL_SPEC;
