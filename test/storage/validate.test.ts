import { beforeAll, describe, expect, it } from 'vitest';
import { init, wasm } from '../../src/init.js';
import { samplePrioritized } from '../../src/storage/sampler.js';
import { allocBlock, freeBlock, memoryBuffer } from '../../src/wasm-memory.js';

beforeAll(() => init());

/** Runs a wasm check over a copy of `values` in wasm memory. */
function inWasm(values: Float32Array, check: (ptr: number, n: number) => number): number {
  const ptr = allocBlock(values.byteLength);
  try {
    new Float32Array(memoryBuffer(), ptr, values.length).set(values);
    return check(ptr, values.length);
  } finally {
    freeBlock(ptr);
  }
}

describe('wasm input checks', () => {
  it('find the first non-finite value in the f32x4 body and in the scalar tail', () => {
    for (const n of [1, 4, 7, 16, 19]) {
      expect(inWasm(new Float32Array(n).fill(-3.5), (p, k) => wasm().firstNonFinite(p, k))).toBe(-1);
      for (let at = 0; at < n; at++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const values = new Float32Array(n).fill(1);
          values[at] = bad;
          if (at + 2 < n) values[at + 2] = NaN; // a later bad value must not win
          expect(inWasm(values, (p, k) => wasm().firstNonFinite(p, k))).toBe(at);
        }
      }
    }
    expect(inWasm(new Float32Array([3.4e38, -3.4e38, 0, -0]), (p, k) => wasm().firstNonFinite(p, k))).toBe(-1);
  });

  it('find the first value below a bound or non-finite', () => {
    for (const n of [3, 8, 13]) {
      expect(inWasm(new Float32Array(n), (p, k) => wasm().firstBelowOrNonFinite(p, k, 0))).toBe(-1);
      for (let at = 0; at < n; at++) {
        for (const bad of [-1e-30, NaN, Infinity, -Infinity]) {
          const values = new Float32Array(n).fill(2);
          values[at] = bad;
          expect(inWasm(values, (p, k) => wasm().firstBelowOrNonFinite(p, k, 0))).toBe(at);
        }
      }
    }
  });

  it('reads priorities in place when they already lie in wasm memory, and checks them there', () => {
    const ptr = allocBlock(64);
    try {
      const inside = new Float32Array(memoryBuffer(), ptr, 16).fill(1);
      const outside = new Float32Array(16).fill(1);
      expect(samplePrioritized({ priorities: inside, count: 32, alpha: 0.5, beta: 0.4, seed: 3 }))
        .toEqual(samplePrioritized({ priorities: outside, count: 32, alpha: 0.5, beta: 0.4, seed: 3 }));
      inside[9] = -2;
      expect(() => samplePrioritized({ priorities: inside, count: 32, alpha: 0.5, beta: 0.4, seed: 3 })).toThrow(/priorities\[9\]: expected a finite priority >= 0, got -2/);
    } finally {
      freeBlock(ptr);
    }
  });
});
