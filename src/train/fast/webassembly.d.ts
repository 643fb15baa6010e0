// The part of the WebAssembly JS API that ./wasm.ts uses. Node has all of it, but TypeScript
// declares it only in the DOM and web worker libraries, which this Node project does not load.

declare namespace WebAssembly {
  function validate(bytes: Uint8Array): boolean;
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
