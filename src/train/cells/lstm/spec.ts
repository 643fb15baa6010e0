// The LSTM's shape (d2l 9.2), as plain numeric constants that the TypeScript cells, the
// AssemblyScript kernel and the initialisation (model.forget_bias) import (TypeScript as
// './spec.js', AssemblyScript as './spec'): the gate blocks of the fused matrices W_x [in, G·h],
// W_h [h, G·h] and b [G·h], in PyTorch's order, and the state, [H, C].

/** block index of the input gate I */
export const INPUT = 0;
/** block index of the forget gate F */
export const FORGET = 1;
/** block index of the cell candidate C̃ */
export const CANDIDATE = 2;
/** block index of the output gate O */
export const OUTPUT = 3;
/** G: the h-wide blocks of the fused matrices */
export const GATES = 4;
/** how many [batch, h] tensors make up the state: H and C */
export const STATE_SIZE = 2;
