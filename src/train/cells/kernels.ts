// The fast path's WebAssembly kernels, the AssemblyScript entry that `npm run build` compiles into
// kernels.wasm, and with relaxed SIMD into kernels-relaxed.wasm (../fast/kernels/asconfig.json;
// loaded by ../fast/wasm.ts, which takes their TypeScript signatures from the typings the compiler
// writes beside kernels.wasm): the shared kernels of ../fast/kernels/ (matrix products; a bias,
// its gradient and a row gather's gradient; the output layer's softmax cross-entropy) and, per
// cell, the elementwise part of one time step (./<cell>/kernel.ts). All addresses are byte
// offsets into the module's memory, all sizes element counts.

export { gemm, packPanels, panelsSize, quadsSize } from '../fast/kernels/gemm';
export { rnnForwardStep, rnnBackwardStep } from './rnn/kernel';
export { lstmForwardStep, lstmBackwardStep } from './lstm/kernel';
export { addBias, columnSums, scatterRows } from '../fast/kernels/rows';
export { softmaxCrossEntropy, softmaxCrossEntropyGrad } from '../fast/kernels/head';
export { gruGatesStep, gruOutputStep, gruBackwardOutputStep, gruBackwardGatesStep } from './gru/kernel';

/** The first byte past the module's own static data: the host allocates from here on. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
