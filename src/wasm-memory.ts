// Blocks of wasm linear memory and the typed-array views the TypeScript side keeps over them.
// Growing wasm memory detaches every view, so view holders call `refresh()` (one comparison, no allocation)
// before touching their views and re-view only after a growth.
import { isInitialized, wasm } from './init.js';

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

/**
 * Typed arrays over wasm memory (a `RolloutBuffer.batch()`, say) are detached when an allocation grows it.
 * Called before allocating, this returns a getter that gives the record back with any such array re-viewed
 * at the offset it had; records that hold no wasm views come back as they are.
 */
export function viewsSurvivingGrowth<T extends object>(record: T): () => T {
  if (!isInitialized()) return () => record;
  const buffer = memoryBuffer();
  const moved: [string, new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView, number, number][] = [];
  for (const [key, value] of Object.entries(record)) {
    if (ArrayBuffer.isView(value) && value.buffer === buffer) {
      const array = value as unknown as { constructor: never; byteOffset: number; length: number };
      moved.push([key, array.constructor, array.byteOffset, array.length]);
    }
  }
  if (moved.length === 0) return () => record;
  return () => {
    const now = memoryBuffer();
    if (now === buffer) return record;
    const copy = { ...record } as Record<string, unknown>;
    for (const [key, View, byteOffset, length] of moved) copy[key] = new View(now, byteOffset, length);
    return copy as T;
  };
}
