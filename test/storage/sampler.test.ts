import { beforeAll, describe, expect, it } from 'vitest';
import { init, wasm } from '../../src/init.js';
import { PCG32 } from '../../src/rng.js';
import { createMinibatchPlan } from '../../src/storage/plan.js';
import { samplePrioritized } from '../../src/storage/sampler.js';
import { allocBlock, freeBlock, memoryBuffer } from '../../src/wasm-memory.js';
import { mulberry32, priorityProbabilities } from './references.js';

beforeAll(() => init());

function wasmPcg(seed: bigint, stream: bigint, count: number): number[] {
  const out = allocBlock(count * 4);
  try {
    wasm().pcg32Fill(seed, stream, out, count);
    return Array.from(new Uint32Array(memoryBuffer(), out, count));
  } finally {
    freeBlock(out);
  }
}

/** Fisher-Yates as documented in assembly/sampler.ts, driven by the TypeScript PCG32. */
function shuffledReference(count: number, epochs: number, perEpoch: number, seed: number): number[] {
  const rng = new PCG32(seed, 54);
  const bounded = (bound: number) => {
    const threshold = (2 ** 32 - bound) % bound;
    for (;;) { const r = rng.nextU32(); if (r >= threshold) return r % bound; }
  };
  const out: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const perm = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) { const j = bounded(i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
    out.push(...perm.slice(0, perEpoch));
  }
  return out;
}

/** Draws proportional to p + 1e-6 by f64 prefix sums and the first prefix > u * total. */
function prioritizedReference(priorities: Float32Array, alpha: number, draws: number, seed: number): number[] {
  const rng = new PCG32(seed, 54);
  const prefix: number[] = [];
  let total = 0;
  for (const x of priorities) prefix.push(total += Math.pow(x, alpha) + 1e-6);
  const out: number[] = [];
  for (let k = 0; k < draws; k++) {
    const u = rng.nextFloat() * total;
    out.push(prefix.findIndex((p) => p > u));
  }
  return out;
}

const randomPriorities = (n: number, seed: number) => {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : rand() * 3));
};

describe('PCG32 in wasm', () => {
  it('produces the same sequence as src/rng.ts for the same seed and stream', () => {
    for (const [seed, stream] of [[0n, 54n], [42n, 54n], [2n ** 40n + 7n, 3n], [2n ** 64n - 1n, 2n ** 62n]]) {
      const ts = new PCG32(seed, stream);
      expect(wasmPcg(seed, stream, 500)).toEqual(Array.from({ length: 500 }, () => ts.nextU32()));
    }
    // The published PCG32 demo sequence for seed 42, stream 54 starts with 0xa15c02b7.
    expect(wasmPcg(42n, 54n, 1)[0]).toBe(0xa15c02b7);
  });
});

describe('samplePrioritized', () => {
  it('draws with frequencies matching P (chi-square, alpha 0.6)', () => {
    const priorities = randomPriorities(16, 1);
    const alpha = 0.6, draws = 200_000;
    const { indices } = samplePrioritized({ priorities, count: draws, alpha, beta: 0.4, seed: 7 });
    const counts = new Float64Array(16);
    for (const i of indices) counts[i]++;
    const P = priorityProbabilities(priorities, alpha);
    const sumP = P.reduce((a, b) => a + b, 0);
    let chi2 = 0;
    for (let i = 0; i < 16; i++) {
      const expected = (draws * P[i]) / sumP;
      if (expected > 5) chi2 += (counts[i] - expected) ** 2 / expected;
      else expect(counts[i]).toBeLessThan(5);
    }
    // Zero priorities (p + 1e-6) are almost never drawn; the rest: chi-square with <= 11 dof, 0.1% critical value 31.3.
    expect(chi2).toBeLessThan(31.3);
  });

  it('weights equal (n P_i)^-beta to f32 and the draws follow the documented prefix-sum search', () => {
    const priorities = randomPriorities(300, 2);
    const alpha = 0.7, beta = 0.45;
    const { indices, weights } = samplePrioritized({ priorities, count: 1000, alpha, beta, seed: 99 });
    const P = priorityProbabilities(priorities, alpha);
    for (let k = 0; k < indices.length; k++) expect(weights[k]).toBe(Math.fround(Math.pow(300 * P[indices[k]], -beta)));
    expect(Array.from(indices)).toEqual(prioritizedReference(priorities, alpha, 1000, 99));
  });

  it('same seed, same draws; another seed, other draws', () => {
    const priorities = randomPriorities(1000, 3);
    const a = samplePrioritized({ priorities, count: 256, alpha: 0.6, beta: 0.4, seed: 5 });
    const b = samplePrioritized({ priorities, count: 256, alpha: 0.6, beta: 0.4, seed: 5 });
    const c = samplePrioritized({ priorities, count: 256, alpha: 0.6, beta: 0.4, seed: 6n });
    expect(a).toEqual(b);
    expect(Array.from(a.indices)).not.toEqual(Array.from(c.indices));
  });

  it('rejects bad input naming the field', () => {
    const priorities = randomPriorities(10, 4);
    const ok = { priorities, count: 4, alpha: 0.6, beta: 0.4, seed: 1 };
    expect(() => samplePrioritized({ ...ok, priorities: [1, 2] as never })).toThrow(/priorities: expected a Float32Array/);
    expect(() => samplePrioritized({ ...ok, priorities: new Float32Array([1, -1]) })).toThrow(/priorities\[1\]: expected a finite priority >= 0, got -1/);
    expect(() => samplePrioritized({ ...ok, priorities: new Float32Array([1, NaN]) })).toThrow(/priorities\[1\]: expected a finite priority >= 0, got NaN/);
    expect(() => samplePrioritized({ ...ok, count: 0 })).toThrow(/count: expected an integer >= 1, got 0/);
    expect(() => samplePrioritized({ ...ok, alpha: -1 })).toThrow(/alpha/);
    expect(() => samplePrioritized({ ...ok, beta: 2 })).toThrow(/beta/);
    expect(() => samplePrioritized({ ...ok, seed: 1.5 })).toThrow(/seed: expected a safe integer or a bigint/);
  });
});

describe('createMinibatchPlan', () => {
  const base = { numSteps: 8, numEnvs: 6, numEpochs: 3, numMinibatches: 5, seed: 11 } as const;

  it('sequential: units in order every epoch, unitsPerMinibatch = floor(units / numMinibatches)', () => {
    const plan = createMinibatchPlan({ ...base, unit: 'rows', mode: 'sequential' });
    expect(plan).toMatchObject({ unit: 'rows', numEpochs: 3, numMinibatches: 5, unitsPerMinibatch: 9 });
    const epoch = Array.from({ length: 45 }, (_, i) => i);
    expect(Array.from(plan.indices)).toEqual([...epoch, ...epoch, ...epoch]);
    expect(plan.weights).toBeUndefined();
  });

  it('shuffled: a permutation per epoch (no repeats), epochs differ, reproducible from the seed', () => {
    const plan = createMinibatchPlan({ ...base, numMinibatches: 4, unit: 'rows', mode: 'shuffled' });
    const epochs = [0, 1, 2].map((e) => Array.from(plan.indices.subarray(e * 48, (e + 1) * 48)));
    for (const epoch of epochs) expect([...epoch].sort((a, b) => a - b)).toEqual(Array.from({ length: 48 }, (_, i) => i));
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(Array.from(plan.indices)).toEqual(shuffledReference(48, 3, 48, 11));
    expect(createMinibatchPlan({ ...base, numMinibatches: 4, unit: 'rows', mode: 'shuffled' })).toEqual(plan);
    // A remainder: 45 of 48 rows per epoch, still without repeats.
    const partial = createMinibatchPlan({ ...base, unit: 'rows', mode: 'shuffled' });
    for (let e = 0; e < 3; e++) expect(new Set(partial.indices.subarray(e * 45, (e + 1) * 45)).size).toBe(45);
  });

  it('segments: indices are env columns', () => {
    const plan = createMinibatchPlan({ ...base, numMinibatches: 3, unit: 'segments', mode: 'shuffled' });
    expect(plan.unitsPerMinibatch).toBe(2);
    expect(Array.from(plan.indices)).toEqual(shuffledReference(6, 3, 6, 11));
  });

  it('prioritized: all draws in one plan with weights; alpha 0 falls back to shuffled without weights', () => {
    const priorities = randomPriorities(48, 8);
    const plan = createMinibatchPlan({ ...base, unit: 'rows', mode: 'prioritized', priorities, alpha: 0.6, beta: 0.5 });
    expect(plan.indices.length).toBe(3 * 45);
    expect(Array.from(plan.indices)).toEqual(prioritizedReference(priorities, 0.6, 135, 11));
    const P = priorityProbabilities(priorities, 0.6);
    expect(Array.from(plan.weights!)).toEqual(Array.from(plan.indices, (i) => Math.fround(Math.pow(48 * P[i], -0.5))));
    const off = createMinibatchPlan({ ...base, unit: 'rows', mode: 'prioritized', priorities, alpha: 0, beta: 0.5 });
    expect(off).toEqual(createMinibatchPlan({ ...base, unit: 'rows', mode: 'shuffled' }));
    const segments = createMinibatchPlan({ ...base, unit: 'segments', numMinibatches: 2, mode: 'prioritized', priorities: priorities.subarray(0, 6), alpha: 1, beta: 1 });
    expect(segments.indices.every((i) => i >= 0 && i < 6)).toBe(true);
  });

  it('rejects bad input naming the field', () => {
    const ok = { ...base, unit: 'rows', mode: 'shuffled' } as const;
    expect(() => createMinibatchPlan({ ...ok, numMinibatches: 49 })).toThrow(/numMinibatches: expected an integer in \[1, 48\], got 49/);
    expect(() => createMinibatchPlan({ ...ok, unit: 'cols' as never })).toThrow(/unit: expected one of 'rows' \| 'segments'/);
    expect(() => createMinibatchPlan({ ...ok, mode: 'random' as never })).toThrow(/mode/);
    expect(() => createMinibatchPlan({ ...ok, numEpochs: 0 })).toThrow(/numEpochs/);
    expect(() => createMinibatchPlan({ ...ok, mode: 'prioritized', alpha: 0.6, beta: 0.4 })).toThrow(/priorities: expected a Float32Array of length 48/);
    expect(() => createMinibatchPlan({ ...ok, mode: 'prioritized', priorities: new Float32Array(48), beta: 0.4 })).toThrow(/alpha: expected a finite number/);
    expect(() => createMinibatchPlan({ ...ok, unit: 'segments', mode: 'prioritized', priorities: new Float32Array(48), alpha: 1, beta: 0.4 })).toThrow(/priorities\.length: expected 6, got 48/);
  });
});
