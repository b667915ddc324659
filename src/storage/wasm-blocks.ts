// Scoped wasm blocks for the calls that are not on the hot path (standalone advantages, plans): inputs are
// copied in, outputs copied out, and every block is freed when the call ends, even when it throws.
import { fail } from '../errors.js';
import { allocBlock, freeBlock, memoryBuffer } from '../wasm-memory.js';

type Typed = Float32Array | Int32Array | Uint8Array | Float64Array;

export interface Blocks {
  /** A zeroed block of `bytes`. */
  alloc(bytes: number): number;
  /** A block holding a copy of `data`. */
  copyIn(data: Typed): number;
}

export function withBlocks<T>(body: (blocks: Blocks) => T): T {
  const owned: number[] = [];
  const alloc = (bytes: number): number => {
    const ptr = allocBlock(bytes);
    owned.push(ptr);
    return ptr;
  };
  const copyIn = (data: Typed): number => {
    const ptr = alloc(data.byteLength);
    new Uint8Array(memoryBuffer(), ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return ptr;
  };
  try {
    return body({ alloc, copyIn });
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
