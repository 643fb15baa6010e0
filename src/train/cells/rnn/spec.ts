// The vanilla RNN's shape (d2l 8.4), as plain numeric constants that the TypeScript cells and the
// AssemblyScript kernel both import (TypeScript as './spec.js', AssemblyScript as './spec'): the
// fused matrices W_x [in, G·h], W_h [h, G·h] and b [G·h] hold one h-wide block, and the state is H.

/** G: the h-wide blocks of the fused matrices */
export const GATES = 1;
/** how many [batch, h] tensors make up the state: H */
export const STATE_SIZE = 1;
