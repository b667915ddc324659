import { describe, expect, it } from 'vitest';
import { constant, cosine, linear, scheduleValue, validateSchedules } from '../../src/schedule.js';
import { ObservationNormalizer, RewardScaler, RunningMeanStd } from '../../src/normalize.js';
import { PCG32 } from '../../src/rng.js';

describe('schedules', () => {
  it('constant, linear and cosine hit their ends and midpoints, progress clamped to [0, 1]', () => {
    expect(scheduleValue(0.3, 0.7)).toBe(0.3);
    expect(scheduleValue(constant(2), 0.5)).toBe(2);
    expect(scheduleValue(linear(1, 0), 0)).toBe(1);
    expect(scheduleValue(linear(1, 0), 0.25)).toBeCloseTo(0.75, 15);
    expect(scheduleValue(linear(1, 0), 1.5)).toBe(0);
    expect(scheduleValue(cosine(1, 0.1), 0)).toBeCloseTo(1, 15);
    expect(scheduleValue(cosine(1, 0.1), 0.5)).toBeCloseTo(0.55, 15);
    expect(scheduleValue(cosine(1, 0.1), 1)).toBeCloseTo(0.1, 15);
    expect(scheduleValue(cosine(1, 0.1), 0.25)).toBeCloseTo(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI / 4)), 15);
    expect(scheduleValue(linear(0, 4), -1)).toBe(0);
  });

  it('validates every schedule with the field named', () => {
    expect(validateSchedules({ learningRate: linear(3e-4, 0), clipEpsilon: 0.1 })).toEqual({ learningRate: linear(3e-4, 0), clipEpsilon: 0.1 });
    expect(() => validateSchedules({ learningRate: -1 })).toThrow(/schedules.learningRate: expected a finite number in \[0, Infinity\], got -1/);
    expect(() => validateSchedules({ clipEpsilon: linear(0.2, 2) })).toThrow(/schedules.clipEpsilon.to: expected a finite number in \[0, 1\]/);
    expect(() => validateSchedules({ entropyCoef: { kind: 'step' } })).toThrow(/schedules.entropyCoef.kind/);
    expect(() => validateSchedules({ gamma: 0.9 })).toThrow(/schedules.gamma: expected one of learningRate/);
  });
});

describe('running normalization', () => {
  it('merged batch statistics equal the float64 mean and variance of everything seen (with the 1e-4 prior)', () => {
    const rng = new PCG32(5);
    const rms = new RunningMeanStd(3);
    const all: number[][] = [[], [], []];
    for (let b = 0; b < 20; b++) {
      const rows = 1 + (b % 7);
      const x = new Float32Array(rows * 3);
      for (let i = 0; i < x.length; i++) x[i] = 3 * rng.nextNormal() + (i % 3) * 10;
      for (let i = 0; i < x.length; i++) all[i % 3].push(x[i]);
      rms.update(x, rows);
    }
    for (let k = 0; k < 3; k++) {
      const n = all[k].length, prior = 1e-4;
      const sampleMean = all[k].reduce((a, b) => a + b, 0) / n;
      const mean = (sampleMean * n) / (n + prior);
      const m2 = all[k].reduce((a, v) => a + (v - sampleMean) ** 2, 0) + prior * 1 + (sampleMean ** 2 * prior * n) / (n + prior);
      expect(rms.mean[k]).toBeCloseTo(mean, 9);
      expect(rms.var[k]).toBeCloseTo(m2 / (n + prior), 9);
    }
    expect(rms.count).toBeCloseTo(all[0].length + 1e-4, 9);
  });

  it('normalizes and clips observations at 10, and the state round-trips', () => {
    const norm = new ObservationNormalizer(2);
    const out = new Float32Array(4);
    norm.normalize(Float32Array.of(1, 2, 3, 4), out, 2, true);
    const m = norm.stats.mean, v = norm.stats.var;
    expect(out[0]).toBeCloseTo((1 - m[0]) / Math.sqrt(v[0] + 1e-8), 5);
    norm.normalize(Float32Array.of(1e6, -1e6), out, 1, false);
    expect(Array.from(out.subarray(0, 2))).toEqual([10, -10]);
    const copy = new ObservationNormalizer(2);
    copy.stats.setState(norm.stats.state());
    expect(copy.stats.state()).toEqual(norm.stats.state());
  });

  it('scales rewards by the running std of the discounted return and resets it at episode ends', () => {
    const scaler = new RewardScaler(2, 0.9);
    const out = new Float32Array(2);
    const reference = new RunningMeanStd(1);
    const returns = [0, 0];
    for (let t = 0; t < 30; t++) {
      const r = [1, t % 3], done = [t % 10 === 9 ? 1 : 0, 0];
      scaler.scale(r, done, [0, 0], out);
      for (let e = 0; e < 2; e++) returns[e] = returns[e] * 0.9 + r[e];
      reference.update(returns, 2);
      for (let e = 0; e < 2; e++) expect(out[e]).toBeCloseTo(Math.max(-10, Math.min(10, r[e] / Math.sqrt(reference.var[0] + 1e-8))), 5);
      for (let e = 0; e < 2; e++) if (done[e]) returns[e] = 0;
      expect(Array.from(scaler.returns)).toEqual(returns);
    }
  });
});
