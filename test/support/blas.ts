// The two places the fast path's products can run (src/train/fast/blas.ts): the WebAssembly
// kernels (engine.blas: off) and a native BLAS (what engine.blas: auto picks where the library is
// there and faster). Engine tests run once per mode; the native one is forced on here, whatever
// the start-up timing would pick, so that its code is tested on every machine that has a library.

import { type NativeBlas, autoCandidates, loadNative, useBlas } from '../../src/train/fast/blas.js';

let loaded: { native?: NativeBlas; why?: string } | undefined;

/** The first library engine.blas: auto would try that loads, or why none does. */
export function nativeBlas(): { native?: NativeBlas; why?: string } {
  if (!loaded) {
    const failures: string[] = [];
    for (const library of autoCandidates()) {
      try {
        loaded = { native: loadNative(library) };
        break;
      } catch (err) {
        failures.push(`${library}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    loaded ??= { why: `no native BLAS (${failures.join('; ')}); on Debian/Ubuntu: apt-get install libopenblas0-openmp` };
  }
  return loaded;
}

export interface BlasMode {
  label: string;
  /** for node:test's skip option */
  skip: string | false;
  /** runs fn with the products on this mode's path */
  run<T>(fn: () => T): T;
}

function modeOf(label: string, native: () => NativeBlas | undefined, skip: () => string | false): BlasMode {
  return {
    label,
    get skip() {
      return skip();
    },
    run<T>(fn: () => T): T {
      const before = useBlas(native());
      try {
        return fn();
      } finally {
        useBlas(before);
      }
    },
  };
}

export const BLAS_OFF = modeOf('blas off', () => undefined, () => false);
export const BLAS_NATIVE = modeOf('native blas', () => nativeBlas().native, () => (nativeBlas().native ? false : (nativeBlas().why as string)));
export const BLAS_MODES: BlasMode[] = [BLAS_OFF, BLAS_NATIVE];
