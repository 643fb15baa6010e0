// Each cell's shape as plain data, free of tfjs, so the main thread can size a model (memory
// estimate, cost for ordering trials) without loading the engine. The cells read it from here.
export const CELL_SPEC = {
  rnn: { gates: 1, stateSize: 1 },
  gru: { gates: 3, stateSize: 1 },
  lstm: { gates: 4, stateSize: 2 },
} as const;

export type CellName = keyof typeof CELL_SPEC;
