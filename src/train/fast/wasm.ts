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
// The typings AssemblyScript writes beside kernels.wasm (the simd target's `bindings` in
// ./kernels/asconfig.json): tsconfig's rootDirs lets this import find them in dist/.
import type * as Compiled from './kernels.js';

/**
 * The kernels' exports (their memory, and a function per kernel with the AssemblyScript source's
 * parameters: addresses and sizes are numbers, bool is boolean), typed by the compiler from the
 * source, so that the signatures are stated only there.
 */
export type Kernels = Awaited<ReturnType<typeof Compiled.instantiate>>;

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
