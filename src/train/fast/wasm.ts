// The fused layers' WebAssembly kernels (AssemblyScript compiled to kernels.wasm by `npm run
// build`: ../cells/kernels.ts gathers the shared kernels of ./kernels/ and each cell's step
// kernel, ../cells/<cell>/kernel.ts): one instance per thread, with a memory of its own that
// ./pool.ts allocates from. Own kernels rather than tfjs ops: a time step is one product and one
// elementwise pass over memory the next step reads, with no tensor made, no kernel looked up and
// no JavaScript loop over elements. On tfjs ops and JavaScript loops an LSTM minibatch spent ~40%
// of its time outside its products, and the products ran at 22–30 GFLOP/s (XNNPACK) against the
// kernels' 45–50.

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

type Ptr = number;

export interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): Ptr;
  panelsSize(k: number, n: number): number;
  quadsSize(m: number, k: number): number;
  packPanels(dst: Ptr, w: Ptr, ldw: number, transposed: boolean, k: number, n: number): void;
  gemm(out: Ptr, ldo: number, a: Ptr, lda: number, aTransposed: boolean, panels: Ptr, m: number, k: number, n: number, acc: boolean, scratch: Ptr): void;
  addBias(x: Ptr, b: Ptr, rows: number, width: number): void;
  scatterRows(dW: Ptr, d: Ptr, ids: Ptr, rows: number, width: number): void;
  softmaxCrossEntropy(x: Ptr, targets: Ptr, rows: number, width: number): number;
  softmaxCrossEntropyGrad(p: Ptr, targets: Ptr, rows: number, width: number, scale: number): void;
  columnSums(out: Ptr, d: Ptr, rows: number, width: number): void;
  rnnForwardStep(ht: Ptr, xw: Ptr, count: number, relu: boolean): void;
  rnnBackwardStep(dg: Ptr, dhs: Ptr, dNext: Ptr, ht: Ptr, count: number, relu: boolean): void;
  lstmForwardStep(xw: Ptr, g: Ptr, cPrev: Ptr, acts: Ptr, c: Ptr, tc: Ptr, ht: Ptr, batch: number, h: number): void;
  lstmBackwardStep(dg: Ptr, dhs: Ptr, dhNext: Ptr, dcNext: Ptr, acts: Ptr, cPrev: Ptr, tc: Ptr, batch: number, h: number): void;
  gruGatesStep(xw: Ptr, rz: Ptr, prev: Ptr, acts: Ptr, rh: Ptr, batch: number, h: number): void;
  gruOutputStep(xw: Ptr, cand: Ptr, prev: Ptr, acts: Ptr, ht: Ptr, batch: number, h: number): void;
  gruBackwardOutputStep(dg: Ptr, dhs: Ptr, dhNext: Ptr, prev: Ptr, acts: Ptr, batch: number, h: number): void;
  gruBackwardGatesStep(dg: Ptr, dRh: Ptr, prev: Ptr, acts: Ptr, dhNext: Ptr, batch: number, h: number): void;
}

/** Which build of the kernels this thread runs: with fused multiply-adds (relaxed SIMD) or without. */
export type KernelBuild = 'relaxed-simd' | 'simd';

const FILES: Record<KernelBuild, string> = { 'relaxed-simd': './kernels-relaxed.wasm', simd: './kernels.wasm' };

/** A build's bytes, or undefined when `npm run build` has not made that file. */
function bytesOf(build: KernelBuild): Uint8Array | undefined {
  try {
    return readFileSync(new URL(FILES[build], import.meta.url));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The relaxed-SIMD build where this V8 runs it (products 1.2–2× faster), else the SIMD build. */
export function chooseBuild(): KernelBuild {
  const relaxed = bytesOf('relaxed-simd');
  if (relaxed) {
    // Node 20's V8 (11.3) has relaxed SIMD behind this flag; from V8 11.4 (Node 22) it is on. The
    // flag is read when a module is compiled, so setting it now is in time. Node calls changing
    // V8 flags after start-up undefined behaviour: this one only widens what the validator
    // accepts, and the kernel tests run both builds on every machine that takes it.
    if (!WebAssembly.validate(relaxed)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    if (WebAssembly.validate(relaxed)) return 'relaxed-simd';
  }
  const simd = bytesOf('simd');
  if (simd && WebAssembly.validate(simd)) return 'simd';
  if (!relaxed && !simd) {
    throw new Error(`the fast path's kernels are not built (${new URL('.', import.meta.url).pathname}): run \`npm run build\``);
  }
  throw new Error('this Node.js has no WebAssembly SIMD, which the fast path needs: set engine.path: plain');
}

/** An instance of one build of the kernels, with a memory of its own. */
export function instantiate(build: KernelBuild): Kernels {
  const bytes = bytesOf(build);
  if (!bytes) throw new Error(`${FILES[build]} is not built: run \`npm run build\``);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Kernels;
}

// Loaded on first use, so that the plain path runs without the kernels.
let chosen: KernelBuild | undefined;
let instance: Kernels | undefined;

/** The build this thread runs. */
export function kernelBuild(): KernelBuild {
  chosen ??= chooseBuild();
  return chosen;
}

/** This thread's instance of the kernels. */
export function kernels(): Kernels {
  instance ??= instantiate(kernelBuild());
  return instance;
}
