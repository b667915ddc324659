// Blocks of wasm linear memory and the typed-array views the TypeScript side keeps over them.
// Growing wasm memory detaches every view, so view holders call `refresh()` (one comparison, no allocation)
// before touching their views and re-view only after a growth.
import { SizeError } from './errors.js';
import { isInitialized, wasm } from './init.js';

/** The largest block the wasm allocator (TLSF) hands out: 1 GiB less its header. */
export const MAX_BLOCK_BYTES = 2 ** 30 - 64;
/**
 * The most wasm memory webppo's blocks may hold together: 2 GiB, which every runtime webppo supports can give
 * one wasm32 memory, and which keeps every byte offset a positive i32.
 */
export const MAX_WASM_BYTES = 2 ** 31;

const sizes = new Map<number, number>();
let liveBytes = 0;

/** Bytes held by live blocks (what allocBlock handed out and freeBlock has not taken back). */
export function wasmBytesInUse(): number {
  return liveBytes;
}

/** Bytes that may still be allocated before MAX_WASM_BYTES is reached. */
export function wasmBytesFree(): number {
  return MAX_WASM_BYTES - liveBytes;
}

function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${bytes} bytes`;
}

/**
 * Checks block sizes (computed in f64, so nothing has wrapped) against what wasm memory can hold: each at most
 * MAX_BLOCK_BYTES, all together within what is free. Throws a SizeError naming `field` before anything is
 * allocated. `released`: bytes the caller frees before allocating these.
 */
export function checkBlocks(field: string, blocks: readonly number[], actual: unknown = blocks.reduce((a, b) => a + b, 0), released = 0): void {
  let total = 0;
  for (const bytes of blocks) {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new SizeError(field, 'a block size in bytes (a safe integer >= 0)', actual, bytes, MAX_BLOCK_BYTES);
    if (bytes > MAX_BLOCK_BYTES) throw new SizeError(field, `sizes whose largest wasm block fits in ${mib(MAX_BLOCK_BYTES)} (it needs ${mib(bytes)})`, actual, bytes, MAX_BLOCK_BYTES);
    total += Math.max(16, bytes);
  }
  const free = wasmBytesFree() + released;
  if (total > free) {
    throw new SizeError(field, `sizes that fit in the ${mib(free)} of wasm memory still free (they need ${mib(total)})`, actual, total, free);
  }
}

/** Allocates `bytes` of wasm memory (zeroed unless `zeroed` is false), 16-byte aligned; checked first. */
export function allocBlock(bytes: number, zeroed = true, field = 'wasm memory'): number {
  checkBlocks(field, [bytes], `${bytes} bytes`);
  const size = Math.max(16, bytes);
  let ptr = 0;
  try {
    ptr = zeroed ? wasm().allocZeroed(size) : wasm().alloc(size);
  } catch {
    ptr = 0; // the memory could not grow: the allocator traps before it changes any state
  }
  if (ptr === 0) throw new SizeError(field, `a block the runtime can give (${mib(size)} could not be allocated)`, `${bytes} bytes`, size, wasmBytesFree());
  sizes.set(ptr, size);
  liveBytes += size;
  return ptr;
}

/** Allocates several blocks after checking them together; on any failure frees those already taken. */
export function allocBlocks(field: string, blocks: readonly number[]): number[] {
  checkBlocks(field, blocks);
  const out: number[] = [];
  try {
    for (const bytes of blocks) out.push(allocBlock(bytes, true, field));
  } catch (error) {
    for (const ptr of out) freeBlock(ptr);
    throw error;
  }
  return out;
}

export function freeBlock(ptr: number): void {
  if (ptr === 0) return;
  liveBytes -= sizes.get(ptr) ?? 0;
  sizes.delete(ptr);
  wasm().free(ptr);
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
