// The GRU's shape (d2l 9.1), as plain numeric constants that the TypeScript cells and the
// AssemblyScript kernel both import (TypeScript as './spec.js', AssemblyScript as './spec'): the
// gate blocks of the fused matrices W_x [in, G·h], W_h [h, G·h] and b [G·h], in PyTorch's order,
// and the state, H.
//
// The candidate's recurrent product needs R_t first, so the blocks before it (reset and update,
// CANDIDATE·h columns) take H_{t−1}·W_h as one product and the candidate's block another.

/** block index of the reset gate R */
export const RESET = 0;
/** block index of the update gate Z */
export const UPDATE = 1;
/** block index of the candidate state H̃, the last */
export const CANDIDATE = 2;
/** G: the h-wide blocks of the fused matrices */
export const GATES = 3;
/** how many [batch, h] tensors make up the state: H */
export const STATE_SIZE = 1;
