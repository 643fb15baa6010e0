// The three cells, one folder each (./rnn/, ./gru/, ./lstm/): its spec (gate blocks and state,
// ./<cell>/spec.ts, which ./spec.ts gathers into CELL_SPEC), its plain cell (tfjs ops per step,
// the oracle: ./<cell>/plain.ts), its fused cell (the fast path's time loop: ./<cell>/fused.ts)
// and that loop's step kernel (AssemblyScript: ./<cell>/kernel.ts, gathered by ./kernels.ts).

import type { ModelConfig } from '../../config/types.js';
import type { FusedCell } from '../fast/sequence.js';
import type { PlainCell } from './cell.js';
import { fusedGru } from './gru/fused.js';
import { gruCell } from './gru/plain.js';
import { fusedLstm } from './lstm/fused.js';
import { lstmCell } from './lstm/plain.js';
import { fusedRnn } from './rnn/fused.js';
import { rnnCell } from './rnn/plain.js';
import { CELL_SPEC, type CellShape } from './spec.js';

export type { CellState } from './cell.js';

/** A model's cell: its shape and both ways of computing it (engine.path picks one, ../path.ts). */
export interface Cell extends CellShape {
  readonly plain: PlainCell;
  readonly fused: FusedCell;
}

export function cellFor(model: Pick<ModelConfig, 'cell' | 'nonlinearity'>): Cell {
  switch (model.cell) {
    case 'rnn':
      return { ...CELL_SPEC.rnn, plain: rnnCell(model.nonlinearity), fused: fusedRnn(model.nonlinearity) };
    case 'gru':
      return { ...CELL_SPEC.gru, plain: gruCell, fused: fusedGru };
    case 'lstm':
      return { ...CELL_SPEC.lstm, plain: lstmCell, fused: fusedLstm };
  }
}
