// A named set of wasm memory blocks whose sizes scale with a row count: allocated once, and reallocated
// only when a larger count arrives (old contents are not kept).
import { allocBlocks, checkBlocks, freeBlock, memoryBuffer } from '../../wasm-memory.js';

export class BlockSet<K extends string> {
  readonly ptr = {} as Record<K, number>;
  private capacity = 0;

  constructor(private readonly bytesPerRow: Record<K, (rows: number) => number>, private readonly field = 'rows') {
    for (const key of Object.keys(bytesPerRow) as K[]) this.ptr[key] = 0;
  }

  get rows(): number { return this.capacity; }

  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const keys = Object.keys(this.bytesPerRow) as K[];
    const bytes = keys.map((key) => this.bytesPerRow[key](rows));
    // Checked before the old blocks go: a size that cannot fit leaves the set as it was.
    checkBlocks(this.field, bytes, rows, this.capacity === 0 ? 0 : keys.reduce((sum, key) => sum + Math.max(16, this.bytesPerRow[key](this.capacity)), 0));
    this.free();
    const ptrs = allocBlocks(this.field, bytes);
    keys.forEach((key, i) => { this.ptr[key] = ptrs[i]; });
    this.capacity = rows;
  }

  free(): void {
    for (const key of Object.keys(this.bytesPerRow) as K[]) {
      freeBlock(this.ptr[key]);
      this.ptr[key] = 0;
    }
    this.capacity = 0;
  }
}

/** Copies a typed array's bytes into wasm memory at ptr. */
export function copyIn(ptr: number, src: ArrayBufferView): void {
  new Uint8Array(memoryBuffer(), ptr, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
}

/** A copy of n f32 at ptr. */
export function copyOutF32(ptr: number, n: number): Float32Array {
  return new Float32Array(memoryBuffer(), ptr, n).slice();
}
