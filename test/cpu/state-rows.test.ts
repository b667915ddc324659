// Recurrent states carried by slot index inside wasm: the copyRows export against a plain JS row copy for random
// row lists, row counts and row sizes, and CpuPolicy's loadStates / storeStates between StateTables and its
// acting rows against the same reference, across a growth of wasm memory; bad slot lists change nothing.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import { StateTable } from '../../src/backend/cpu/state-table.js';
import { init, wasm } from '../../src/init.js';
import { Discrete } from '../../src/spaces.js';
import { allocBlock, freeBlock, memoryBuffer, wasmBytesInUse } from '../../src/wasm-memory.js';
import { policySpec } from './helpers.js';

/** dst[dstRows[j]] = src[srcRows[j]] (row j without a list), in order, on 32-bit words. */
function referenceCopy(src: Uint32Array, srcRows: number[] | undefined, dst: Uint32Array, dstRows: number[] | undefined, count: number, words: number): void {
  for (let j = 0; j < count; j++) {
    const from = (srcRows?.[j] ?? j) * words, to = (dstRows?.[j] ?? j) * words;
    for (let k = 0; k < words; k++) dst[to + k] = src[from + k];
  }
}

/** Random 32-bit words: every float bit pattern (NaN payloads, -0, subnormals) must come through as it was. */
const words = (n: number, seed: number) => Uint32Array.from({ length: n }, (_, i) => Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(seed, 0x85ebca6b));

describe('state rows by slot index in wasm', () => {
  beforeAll(() => init());

  it('copyRows equals a plain JS row copy for random row lists, counts and row sizes', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 2 ** 30 }),
      fc.boolean(), fc.boolean(), fc.infiniteStream(fc.nat()),
      (srcTotal, dstTotal, rowWords, seed, listSrc, listDst, picks) => {
        const count = Math.min(listSrc ? 24 : srcTotal, listDst ? 24 : dstTotal, picks.next().value % 25);
        const srcRows = listSrc ? Array.from({ length: count }, () => picks.next().value % srcTotal) : undefined;
        const dstRows = listDst ? Array.from({ length: count }, () => picks.next().value % dstTotal) : undefined;
        const src = words(srcTotal * rowWords, seed), dst = words(dstTotal * rowWords, seed + 1);
        const expected = dst.slice();
        referenceCopy(src, srcRows, expected, dstRows, count, rowWords);
        const blocks = [src.byteLength, dst.byteLength, 4 * 25, 4 * 25].map((bytes) => allocBlock(bytes));
        try {
          const [s, d, sr, dr] = blocks;
          new Uint32Array(memoryBuffer(), s, src.length).set(src);
          new Uint32Array(memoryBuffer(), d, dst.length).set(dst);
          if (srcRows) new Int32Array(memoryBuffer(), sr, count).set(srcRows);
          if (dstRows) new Int32Array(memoryBuffer(), dr, count).set(dstRows);
          wasm().copyRows(s, srcRows ? sr : 0, d, dstRows ? dr : 0, count, rowWords * 4);
          expect(new Uint32Array(memoryBuffer(), d, dst.length)).toEqual(expected);
          expect(new Uint32Array(memoryBuffer(), s, src.length)).toEqual(src);
        } finally {
          for (const ptr of blocks) freeBlock(ptr);
        }
      }), { numRuns: 200 });
  });

  it('CpuPolicy loads and stores StateTable rows by slot exactly as the reference, across wasm memory growth', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 2 ** 30 }),
      fc.boolean(), fc.infiniteStream(fc.nat()),
      (size, shared, slots, seed, listed, picks) => {
        const policy = policySpec(2, Discrete(3), { hidden: [3], shared, memory: { cell: 'lstm', size } });
        const cpu = new CpuPolicy(policy, { maxAgents: 1 });
        const S = cpu.stateSize;
        const from = new StateTable(slots, S), to = new StateTable(slots, S);
        try {
          const count = picks.next().value % (slots + 1);
          // A list of distinct slots (a slot acts at most once per pass) or the first rows.
          const order = Array.from({ length: slots }, (_, i) => i);
          for (let i = slots - 1; i > 0; i--) {
            const k = picks.next().value % (i + 1);
            [order[i], order[k]] = [order[k], order[i]];
          }
          const list = listed ? Int32Array.from(order.slice(0, count)) : undefined;
          const fromWords = words(slots * S, seed), toWords = words(slots * S, seed + 7);
          new Uint32Array(from.data.buffer, from.data.byteOffset, slots * S).set(fromWords);
          new Uint32Array(to.data.buffer, to.data.byteOffset, slots * S).set(toWords);
          cpu.loadStates(from, list, count); // grows the acting rows from 1 to count
          const grown = allocBlock(1 << 24); // wasm memory grows: every view detaches
          try {
            cpu.storeStates(to, list, count);
          } finally {
            freeBlock(grown);
          }
          const expected = toWords.slice();
          referenceCopy(fromWords, list && [...list], expected, list && [...list], count, S);
          const read = (table: StateTable) => new Uint32Array(table.data.buffer, table.data.byteOffset, slots * S);
          expect(read(to)).toEqual(expected);
          expect(read(from)).toEqual(fromWords);
          expect(to.first(count)).toEqual(to.data.subarray(0, count * S));
        } finally {
          cpu.dispose();
          from.free();
          to.free();
        }
      }), { numRuns: 40 });
  });

  it('a slot outside the table or a table of another state size is refused and nothing is copied', () => {
    const policy = policySpec(2, Discrete(3), { hidden: [3], memory: { cell: 'gru', size: 4 } });
    const cpu = new CpuPolicy(policy, { maxAgents: 4 });
    const table = new StateTable(4, cpu.stateSize);
    const other = new StateTable(4, cpu.stateSize + 1);
    try {
      table.data.fill(1.5);
      const before = table.data.slice();
      expect(() => cpu.loadStates(table, Int32Array.of(0, 4), 2)).toThrow(/slots\[1\].*a slot in \[0, 3\].*4/s);
      expect(() => cpu.storeStates(table, Int32Array.of(-1), 1)).toThrow(/slots\[0\]/);
      expect(() => cpu.storeStates(table, undefined, 5)).toThrow(/count/);
      expect(() => cpu.loadStates(other, undefined, 1)).toThrow(/states/);
      expect(table.data).toEqual(before);
    } finally {
      cpu.dispose();
      table.free();
      other.free();
    }
  });

  it('loading and storing rows by slot allocates no wasm memory once the rows fit', () => {
    const policy = policySpec(2, Discrete(3), { hidden: [3], memory: { cell: 'lstm', size: 8 } });
    const cpu = new CpuPolicy(policy, { maxAgents: 8 });
    const table = new StateTable(16, cpu.stateSize);
    const slots = Int32Array.of(15, 3, 7, 0, 9, 1, 12, 4);
    try {
      cpu.loadStates(table, slots, 8);
      const bytes = wasmBytesInUse();
      const buffer = memoryBuffer();
      for (let i = 0; i < 100; i++) {
        cpu.loadStates(table, slots, 8);
        cpu.storeStates(table, slots, 8);
      }
      expect(wasmBytesInUse()).toBe(bytes);
      expect(memoryBuffer()).toBe(buffer);
    } finally {
      cpu.dispose();
      table.free();
    }
  });
});
