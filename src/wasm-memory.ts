// Blocks of wasm linear memory and the typed-array views the TypeScript side keeps over them.
// Growing wasm memory detaches every view, so view holders call `refresh()` (one comparison, no allocation)
// before touching their views and re-view only after a growth.
import { wasm } from './init.js';

/** Allocates `bytes` of zeroed wasm memory, 16-byte aligned. */
export function allocBlock(bytes: number): number {
  const ptr = wasm().allocZeroed(Math.max(16, bytes));
  if (ptr === 0) throw new RangeError(`webppo: out of wasm memory allocating ${bytes} bytes`);
  return ptr;
}

export function freeBlock(ptr: number): void {
  if (ptr !== 0) wasm().free(ptr);
}

/** The current wasm memory buffer. */
export function memoryBuffer(): ArrayBuffer {
  return wasm().memory.buffer as ArrayBuffer;
}

/**
 * A set of views rebuilt together when wasm memory grows. Subclasses (or owners) assign their views in
 * `build(buffer)`; `refresh()` is what hot paths call.
 */
export class ViewSet {
  private buffer: ArrayBuffer | undefined;
  constructor(private readonly build: (buffer: ArrayBuffer) => void) {}

  refresh(): void {
    const buffer = memoryBuffer();
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.build(buffer);
    }
  }
}
