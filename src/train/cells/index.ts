import type { ModelConfig } from '../../config/types.js';
import type { Cell } from './cell.js';
import { gruCell } from './gru.js';
import { lstmCell } from './lstm.js';
import { rnnCell } from './rnn.js';

export type { Cell, CellState } from './cell.js';

export function cellFor(model: Pick<ModelConfig, 'cell' | 'nonlinearity'>): Cell {
  switch (model.cell) {
    case 'rnn':
      return rnnCell(model.nonlinearity);
    case 'gru':
      return gruCell;
    case 'lstm':
      return lstmCell;
  }
}
