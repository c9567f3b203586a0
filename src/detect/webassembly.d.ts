// The part of the WebAssembly JavaScript API prescan.ts uses. Node.js has it as a global; the
// TypeScript libraries this project builds with (ES2023, @types/node) do not declare it.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Global {
    readonly value: unknown;
  }
  type ExportValue = Global | Memory | ((...args: number[]) => unknown);
  type Exports = Record<string, ExportValue>;
  class Instance {
    constructor(module: Module, imports: Record<string, unknown>);
    readonly exports: Exports;
  }
}
