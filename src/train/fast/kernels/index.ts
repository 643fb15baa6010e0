// The fast path's WebAssembly kernels (compiled by AssemblyScript into kernels.wasm, and with
// relaxed SIMD into kernels-relaxed.wasm; loaded by ../wasm.ts): matrix products; per cell, the
// elementwise part of one time step; a bias, its gradient and a row gather's gradient; and the
// output layer's softmax cross-entropy. All addresses are byte offsets into the module's memory,
// all sizes element counts.

export { gemm, packPanels, panelsSize, quadsSize } from './gemm';
export { rnnForwardStep, rnnBackwardStep } from './rnn';
export { lstmForwardStep, lstmBackwardStep } from './lstm';
export { addBias, columnSums, scatterRows } from './rows';
export { softmaxCrossEntropy, softmaxCrossEntropyGrad } from './head';
export { gruGatesStep, gruOutputStep, gruBackwardOutputStep, gruBackwardGatesStep } from './gru';

/** The first byte past the module's own static data: the host allocates from here on. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
