// Native matrix products (engine.blas): a system BLAS's cblas_sgemm, called through koffi (an
// optional dependency whose npm package ships prebuilt binaries) on operands that lie in the
// kernels' WebAssembly memory: the pointers are the memory's base address plus the buffers'
// offsets, no copies. Where a library is loaded, it is checked once per thread against the
// kernels' gemm on a random product, and both are timed on products of the engine's shapes; the
// products run natively only when that library was correct and faster. A library that is missing
// or fails the check leaves the kernels in charge, with a note for the trial's warning.
//
// One thread per trial: OpenBLAS is told so (openblas_set_num_threads(1)), and OMP_NUM_THREADS /
// OPENBLAS_NUM_THREADS must be 1 in the process's environment before the library loads anywhere
// (the command sets them before its workers start; a worker thread's process.env does not reach
// native code). OpenBLAS left at several OpenMP threads inside worker threads crashed at exit.

import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { give, take, view } from './pool.js';
import { kernels } from './wasm.js';

/** engine.blas: 'auto', 'off' or a library's path */
export type BlasSetting = string;

/** The native library in use, as the products call it. */
export interface NativeBlas {
  /** the library's name or path, and for OpenBLAS its configuration (version, kernel) */
  readonly description: string;
  /** cblas_sgemm, row-major, on byte offsets into the kernels' memory */
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void;
}

/** What a trial's products run on. */
export interface BlasChoice {
  /** the `blas` param: the native library's description, or 'wasm' */
  description: string;
  /** why the kernels run where a library was asked for (a warning for the trial), if they do */
  note?: string;
  /** the products' GFLOP/s in the start-up check, native and wasm, where it ran */
  timing?: { native: number; wasm: number };
}

/** Environment variables that hold a BLAS to one thread; set before any library loads. */
export const ONE_THREAD_ENV = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', VECLIB_MAXIMUM_THREADS: '1' } as const;

/**
 * Sets ONE_THREAD_ENV in this process's environment where it is not set. Only the main thread's
 * process.env reaches native code: call it there before any worker starts.
 */
export function holdBlasToOneThread(): void {
  for (const [k, v] of Object.entries(ONE_THREAD_ENV)) process.env[k] ??= v;
}

/** The libraries `auto` tries, in order. */
export function autoCandidates(platform: NodeJS.Platform = process.platform): string[] {
  if (platform === 'darwin') return ['/System/Library/Frameworks/Accelerate.framework/Accelerate'];
  if (platform === 'win32') return ['libopenblas.dll'];
  return ['libopenblas.so.0', 'libopenblas.so'];
}

const CblasRowMajor = 101;
const CblasNoTrans = 111;
const CblasTrans = 112;

// koffi's types are not needed at build time: it is an optional dependency.
interface KoffiLib {
  func(signature: string): (...args: unknown[]) => unknown;
}
interface Koffi {
  load(path: string): KoffiLib;
  address(value: unknown): bigint;
}

function loadKoffi(): Koffi {
  return createRequire(import.meta.url)('koffi') as Koffi;
}

/** Loads a library and binds its cblas_sgemm; throws with the reason where it cannot. */
export function loadNative(library: string): NativeBlas {
  if (isMainThread) holdBlasToOneThread();
  let koffi: Koffi;
  try {
    koffi = loadKoffi();
  } catch (err) {
    throw new Error(`the optional package koffi is not installed (${(err as Error).message.split('\n')[0]})`);
  }
  const lib = koffi.load(library);
  const sgemm = lib.func('void cblas_sgemm(int, int, int, int, int, int, float, intptr_t, int, intptr_t, int, float, intptr_t, int)');
  let description = library;
  try {
    lib.func('void openblas_set_num_threads(int)')(1);
    const config = lib.func('const char *openblas_get_config()')() as string;
    // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY USE_OPENMP Haswell MAX_THREADS=64"
    const words = config.split(/\s+/);
    const kernel = words.filter((w) => /^[A-Z][A-Za-z0-9]+$/.test(w) && !w.startsWith('NO_') && w !== 'OpenBLAS' && !w.includes('_')).pop();
    description = `${library} (${words.slice(0, 2).join(' ')}${kernel ? ` ${kernel}` : ''}${words.includes('USE_OPENMP') ? ' openmp' : ''})`;
  } catch {
    // not OpenBLAS: Accelerate honours VECLIB_MAXIMUM_THREADS, others are on their own
  }
  const memory = kernels().memory;
  let buffer: ArrayBuffer | undefined;
  let base = 0;
  return {
    description,
    sgemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc) {
      // growing the memory makes a new ArrayBuffer and may move it: re-read the base then
      if (memory.buffer !== buffer) {
        buffer = memory.buffer;
        base = Number(koffi.address(buffer));
      }
      sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, 1, base + a, lda, base + b, ldb, beta, base + c, ldc);
    },
  };
}

// This thread's choice. products.ts reads `active`.
let active: NativeBlas | undefined;
const decided = new Map<string, { native?: NativeBlas; choice: BlasChoice }>();

/** The native library the products run on in this thread, if any. */
export function activeBlas(): NativeBlas | undefined {
  return active;
}

/**
 * For tests: run the products natively on `native` (skipping the timing), or on the kernels when
 * undefined. Returns what ran before, to restore.
 */
export function useBlas(native: NativeBlas | undefined): NativeBlas | undefined {
  const before = active;
  active = native;
  return before;
}

/**
 * Chooses where this thread's products run for engine.blas `setting`: the first library that
 * loads, computes a random product as the kernels do and is faster on the engine's shapes, else
 * the kernels. Decided once per setting and thread.
 */
export function configureBlas(setting: BlasSetting): BlasChoice {
  let d = decided.get(setting);
  if (!d) {
    d = decide(setting);
    decided.set(setting, d);
  }
  active = d.native;
  return d.choice;
}

/** The choice for a setting; `load` loads a library (tests give one of their own). */
export function decide(setting: BlasSetting, load: (library: string) => NativeBlas = loadNative, shapes = ENGINE_SHAPES): { native?: NativeBlas; choice: BlasChoice } {
  if (setting === 'off') return { choice: { description: 'wasm' } };
  const candidates = setting === 'auto' ? autoCandidates() : [setting];
  const failures: string[] = [];
  for (const library of candidates) {
    let native: NativeBlas;
    try {
      native = load(library);
    } catch (err) {
      failures.push(`${library}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const verdict = judge(native, shapes);
    if (verdict.wrong) {
      failures.push(verdict.wrong);
      continue;
    }
    // `auto` asks for the faster path: a library that lost the timing is that choice working, not
    // something to warn about on every trial (the run's blas param says wasm). A library named by
    // path that is not used is worth the note.
    if (setting === 'auto' && verdict.native === undefined) return { choice: { description: verdict.choice.description, ...(verdict.choice.timing ? { timing: verdict.choice.timing } : {}) } };
    return verdict;
  }
  // one line, which the trial reports as a warning event
  const note = `engine.blas ${setting}: no native BLAS (${failures.join('; ')}); the matrix products run on the WebAssembly kernels`;
  return { choice: { description: 'wasm', note } };
}

/**
 * Whether a loaded library should run the products: it must compute a random product as the
 * kernels do (else `wrong` says how it failed) and be faster on the engine's shapes.
 */
export function judge(native: NativeBlas, shapes = ENGINE_SHAPES): { native?: NativeBlas; choice: BlasChoice; wrong?: string } {
  const error = checkProduct(native);
  if (!(error < 1e-4)) {
    return { choice: { description: 'wasm' }, wrong: `${native.description} computed a product wrongly (relative error ${error})` };
  }
  const timing = timeProducts(native, shapes);
  if (timing.native > timing.wasm) return { native, choice: { description: native.description, timing } };
  // A slower library is not a failure: the kernels are the better path on this machine.
  return {
    choice: {
      description: 'wasm',
      timing,
      note: `${native.description} is slower than the WebAssembly kernels here (${timing.native.toFixed(1)} vs ${timing.wasm.toFixed(1)} GFLOP/s); the matrix products run on the kernels`,
    },
  };
}

/** The kernels' gemm on the same operand layout as NativeBlas.sgemm (for the check and the timing). */
function wasmProduct(transA: boolean, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number): void {
  const kern = kernels();
  const panels = take(kern.panelsSize(k, n));
  kern.packPanels(panels.ptr, b, ldb, false, k, n);
  const scratch = take(kern.quadsSize(m, k));
  kern.gemm(c, ldc, a, lda, transA, panels.ptr, m, k, n, false, scratch.ptr);
  give(panels, scratch);
}

/** max |native − wasm| / max |wasm| on a random product with strided, transposed operands. */
function checkProduct(native: NativeBlas): number {
  const [m, k, n, lda, ldb] = [37, 45, 29, 50, 33];
  // a is stored transposed, [k, lda]; b is [k, ldb]
  const a = take(k * lda);
  const b = take(k * ldb);
  const ours = take(m * n);
  const theirs = take(m * n);
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  view(a).forEach((_, i, arr) => (arr[i] = random()));
  view(b).forEach((_, i, arr) => (arr[i] = random()));
  view(theirs).fill(Number.NaN); // beta = 0 must overwrite, not scale, what is there
  wasmProduct(true, m, n, k, a.ptr, lda, b.ptr, ldb, ours.ptr, n);
  native.sgemm(true, false, m, n, k, a.ptr, lda, b.ptr, ldb, 0, theirs.ptr, n);
  const x = view(ours);
  const y = view(theirs);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs((x[i] as number) - (y[i] as number)));
    scale = Math.max(scale, Math.abs(x[i] as number));
  }
  give(a, b, ours, theirs);
  return Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff / scale;
}

/** a product's shape: whether its left operand is stored transposed, then m, n, k */
export type ProductShape = [transA: boolean, m: number, n: number, k: number];

const ENGINE_SHAPES: ProductShape[] = [
  [false, 32, 1024, 256],
  [false, 32, 256, 1024],
  [true, 256, 1024, 280],
];

/**
 * GFLOP/s of both paths over products of the engine's shapes at d2l's setup (batch 32, 256 hidden,
 * an LSTM's 4 gates): a time step's H·W_h, a BPTT step's dG·W_hᵀ and a weight gradient over
 * 280 rows. Each path's best of a few rounds, so that a busy moment counts against neither.
 */
function timeProducts(native: NativeBlas, shapes: ProductShape[]): { native: number; wasm: number } {
  let best = { native: 0, wasm: 0 };
  const bufs = shapes.map(([transA, m, n, k]) => {
    const a = take(m * k);
    const b = take(k * n);
    const c = take(m * n);
    view(a).fill(0.01);
    view(b).fill(0.02);
    return { transA, m, n, k, a, b, c };
  });
  // Each path once untimed (OpenBLAS sets up its buffers on its first call), then the best of five
  // alternating rounds: a round takes milliseconds, and one preemption must not decide the path.
  for (const { transA, m, n, k, a, b, c } of bufs) {
    native.sgemm(transA, false, m, n, k, a.ptr, transA ? m : k, b.ptr, n, 0, c.ptr, n);
    wasmProduct(transA, m, n, k, a.ptr, transA ? m : k, b.ptr, n, c.ptr, n);
  }
  for (let round = 0; round < 5; round++) {
    for (const path of ['native', 'wasm'] as const) {
      let flops = 0;
      const start = performance.now();
      for (const { transA, m, n, k, a, b, c } of bufs) {
        const lda = transA ? m : k;
        for (let r = 0; r < 4; r++) {
          if (path === 'native') native.sgemm(transA, false, m, n, k, a.ptr, lda, b.ptr, n, 0, c.ptr, n);
          else wasmProduct(transA, m, n, k, a.ptr, lda, b.ptr, n, c.ptr, n);
          flops += 2 * m * n * k;
        }
      }
      const rate = flops / ((performance.now() - start) * 1e6);
      best = { ...best, [path]: Math.max(best[path], rate) };
    }
  }
  bufs.forEach(({ a, b, c }) => give(a, b, c));
  return best;
}
