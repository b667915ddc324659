import { beforeAll, describe, expect, it } from 'vitest';
import { init, } from '../../src/init.js';
import { memoryBuffer } from '../../src/wasm-memory.js';
import { withBlocks } from '../../src/storage/wasm-blocks.js';
import { ValidationError } from '../../src/errors.js';
import { computeAdvantages, explainedVariance, normalizeAdvantages } from '../../src/storage/advantages.js';
import { explainedVarianceReference, gaeReference, maxRelativeError, normalizeReference, randomGaeCase, returnsReference, type GaeCase } from './references.js';

beforeAll(() => init());

const run = (c: GaeCase) => computeAdvantages({
  rewards: c.rewards, values: c.values, terminated: c.terminated, truncated: c.truncated, bootstrapValues: c.bootstrapValues,
  lastValues: c.lastValues, numSteps: c.numSteps, numEnvs: c.numEnvs, gamma: c.gamma, gaeLambda: c.lambda,
  ratios: c.ratios, rhoClip: c.rhoClip, cClip: c.cClip,
});

describe('computeAdvantages (GAE with V-trace clipping) against a float64 reference', () => {
  // numEnvs 7 and 13 exercise the f32x4 lanes and the scalar tail; 1 the tail only; 16 lanes only.
  const shapes: [number, number][] = [[33, 7], [16, 13], [40, 1], [8, 16]];
  for (const [T, N] of shapes) {
    it(`plain GAE, T=${T} N=${N}, with terminations and bootstrapped truncations`, () => {
      const c = randomGaeCase(T * 100 + N, T, N);
      expect(c.terminated.some((x) => x) && c.truncated.some((x) => x)).toBe(true);
      const { advantages, returns } = run(c);
      expect(maxRelativeError(advantages, gaeReference(c))).toBeLessThan(1e-5);
      expect(maxRelativeError(returns, returnsReference(c))).toBeLessThan(1e-5);
    });
  }

  for (const [rhoClip, cClip] of [[1, 1], [1.5, 0.8], [0.7, 2]]) {
    it(`V-trace with ratios on both sides of the clips (rhoClip ${rhoClip}, cClip ${cClip})`, () => {
      const c = randomGaeCase(7 + rhoClip * 10, 29, 11, { ratios: true, rhoClip, cClip, gamma: 0.97, lambda: 0.9 });
      expect(c.ratios!.some((r) => r > Math.max(rhoClip, cClip)) && c.ratios!.some((r) => r < Math.min(rhoClip, cClip))).toBe(true);
      const { advantages, returns } = run(c);
      expect(maxRelativeError(advantages, gaeReference(c))).toBeLessThan(1e-5);
      // Returns stay the ratio-1 returns.
      expect(maxRelativeError(returns, returnsReference(c))).toBeLessThan(1e-5);
      // And the ratios matter: plain GAE differs.
      expect(maxRelativeError(advantages, gaeReference(c, null))).toBeGreaterThan(1e-3);
    });
  }

  it('a truncation bootstraps from bootstrapValues and a termination from 0, both ending the chain', () => {
    const c = randomGaeCase(1, 3, 1, { gamma: 0.5, lambda: 1 });
    c.rewards.set([1, 2, 3]); c.values.set([0, 0, 0]); c.lastValues.set([10]);
    c.terminated.set([0, 0, 0]); c.truncated.set([1, 0, 0]); c.bootstrapValues.set([4, 0, 0]);
    // t=2: 3 + 0.5*10 = 8; t=1: 2 + 0.5*0 + 0.5*8 = 6; t=0: truncated: 1 + 0.5*4 = 3 (chain cut).
    expect(Array.from(run(c).advantages)).toEqual([3, 6, 8]);
    c.terminated.set([1, 0, 0]);
    expect(Array.from(run(c).advantages)).toEqual([1, 6, 8]);
  });

  it('rejects bad input naming the field', () => {
    const c = randomGaeCase(2, 4, 3);
    const bad = (patch: Record<string, unknown>, field: RegExp) => {
      expect(() => computeAdvantages({ rewards: c.rewards, values: c.values, terminated: c.terminated, truncated: c.truncated,
        bootstrapValues: c.bootstrapValues, lastValues: c.lastValues, numSteps: 4, numEnvs: 3, gamma: 0.99, gaeLambda: 0.95, ...patch } as never))
        .toThrow(field);
    };
    bad({ rewards: new Float32Array(5) }, /^rewards\.length: expected 12, got 5$/);
    bad({ values: Float32Array.from({ length: 12 }, (_, i) => (i === 4 ? NaN : 0)) }, /values\[4\]: expected a finite number, got NaN/);
    bad({ terminated: new Array(12).fill(false) }, /terminated: expected a Uint8Array/);
    bad({ truncated: new Uint8Array(12).fill(2) }, /truncated\[0\]: expected 0 or 1/);
    bad({ lastValues: new Float32Array(2) }, /lastValues\.length: expected 3/);
    bad({ gamma: 1.5 }, /gamma: expected a finite number in \[0, 1\]/);
    bad({ gaeLambda: NaN }, /gaeLambda/);
    bad({ ratios: new Float32Array(12) }, /ratios\[0\]: expected a ratio > 0, got 0/);
    bad({ rhoClip: 0 }, /rhoClip: expected a finite number > 0/);
    bad({ numSteps: 0 }, /numSteps: expected an integer >= 1/);
    expect(() => computeAdvantages(null as never)).toThrow(ValidationError);
  });
});

describe('normalizeAdvantages and explainedVariance', () => {
  it('normalizes in place with the unbiased std', () => {
    const c = randomGaeCase(3, 50, 5);
    const a = c.rewards.slice();
    const expected = normalizeReference(a);
    expect(normalizeAdvantages(a)).toBe(a);
    expect(maxRelativeError(a, expected)).toBeLessThan(1e-6);
    // In place over wasm memory too (no copy): the same result.
    withBlocks(({ copyIn }) => {
      const inWasm = new Float32Array(memoryBuffer(), copyIn(c.rewards), c.rewards.length);
      expect(normalizeAdvantages(inWasm)).toBe(inWasm);
      expect(Array.from(inWasm)).toEqual(Array.from(a));
    });
    const one = new Float32Array([3]);
    expect(Array.from(normalizeAdvantages(one))).toEqual([0]);
  });

  it('explained variance matches the reference, 0 when var(R) = 0', () => {
    const c = randomGaeCase(4, 64, 3);
    const ev = explainedVariance(c.values, c.rewards);
    expect(Math.abs(ev - explainedVarianceReference(c.values, c.rewards))).toBeLessThan(1e-9);
    const good = c.rewards.map((r, i) => r + 0.1 * c.values[i]);
    expect(explainedVariance(good, c.rewards)).toBeGreaterThan(0.9);
    expect(explainedVariance(c.values, new Float32Array(c.values.length).fill(2))).toBe(0);
    expect(() => explainedVariance(c.values, new Float32Array(3))).toThrow(/returns\.length/);
  });
});
