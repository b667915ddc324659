// Scoped wasm blocks for the calls that are not on the hot path (standalone advantages, plans): inputs are
// copied in, outputs copied out, and every block is freed when the call ends, even when it throws.
import { fail } from '../errors.js';
import { allocBlock, freeBlock, memoryBuffer } from '../wasm-memory.js';

type Typed = Float32Array | Int32Array | Uint8Array | Float64Array;

export interface Blocks {
  /** A block of `bytes`, zeroed unless `zeroed` is false (scratch that is written before it is read). */
  alloc(bytes: number, zeroed?: boolean): number;
  /** A block holding a copy of `data`. */
  copyIn(data: Typed): number;
  /** The address of `data` when it already lies in wasm memory (no copy), else a block holding a copy. */
  address(data: Typed): number;
}

export function withBlocks<T>(body: (blocks: Blocks) => T): T {
  const owned: number[] = [];
  const alloc = (bytes: number, zeroed = true): number => {
    const ptr = allocBlock(bytes, zeroed);
    owned.push(ptr);
    return ptr;
  };
  const copyIn = (data: Typed): number => {
    const ptr = alloc(data.byteLength, false);
    new Uint8Array(memoryBuffer(), ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return ptr;
  };
  const address = (data: Typed): number => (data.buffer === memoryBuffer() ? data.byteOffset : copyIn(data));
  try {
    return body({ alloc, copyIn, address });
  } finally {
    for (const ptr of owned) freeBlock(ptr);
  }
}

export function copyOutFloat32(ptr: number, length: number): Float32Array {
  return new Float32Array(memoryBuffer(), ptr, length).slice();
}

export function copyOutInt32(ptr: number, length: number): Int32Array {
  return new Int32Array(memoryBuffer(), ptr, length).slice();
}

/** A seed as the u64 both PCG32 implementations take (number or bigint, wrapped modulo 2^64). */
export function seedU64(field: string, seed: unknown): bigint {
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (typeof seed === 'number' && Number.isSafeInteger(seed)) return BigInt.asUintN(64, BigInt(seed));
  return fail(field, 'a safe integer or a bigint', seed);
}
