// The oracle's recurrent cells against the float64 cells of recurrent64.ts: outputs, and gradients of a scalar
// loss of the outputs in every parameter and initial state against central finite differences in float64,
// with episode ends inside sequences and a sequence start inside the unrolled steps.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { networkLayout, resolveNetworkSpec, type MemoryEntry } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { Discrete } from '../../src/spaces.js';
import { cellSequence64, type Cell64 } from './recurrent64.js';
import { oracleCellSequence } from './recurrent-oracle.js';

const T = 5;
const B = 3;
const L = 3; // sequences start at t = 0 and t = 3

function setup(cell: 'lstm' | 'gru', seed: number) {
  const policy = { observationSize: 4, actionSpace: Discrete(2), network: resolveNetworkSpec({ hidden: [], memory: { cell, size: 3 } }) };
  const layout = networkLayout(policy);
  const entry = layout.memories[0];
  const rng = new PCG32(seed, 3);
  const normal = (n: number, scale: number) => Float64Array.from({ length: n }, () => rng.nextNormal() * scale);
  const params = normal(layout.size, 0.6);
  const x = normal(T * B * entry.inputs, 1);
  const initial = normal(2 * B * entry.stateSize, 0.5); // two sequences x B x state
  const resets = Uint8Array.from({ length: T * B }, (_, i) => (i === 1 * B + 0 || i === 3 * B + 2 || i === 0 * B + 1 ? 1 : 0));
  const weights = normal(T * B * entry.size, 1); // loss = sum(weights * outputs)
  return { entry, params, x, initial, resets, weights };
}

function cellOf(entry: MemoryEntry, p: ArrayLike<number>): Cell64 {
  const G = entry.gates * entry.size;
  const view = (offset: number, n: number) => Array.prototype.slice.call(p, offset, offset + n) as number[];
  return {
    cell: entry.cell, inputs: entry.inputs, size: entry.size,
    weightIh: view(entry.weightIhOffset, G * entry.inputs), weightHh: view(entry.weightHhOffset, G * entry.size),
    biasIh: view(entry.biasIhOffset, G), biasHh: view(entry.biasHhOffset, G),
  };
}

/** The float64 loss: sequences run one after another, each from its own initial state. */
function loss64(entry: MemoryEntry, params: ArrayLike<number>, x: Float64Array, initial: Float64Array, resets: Uint8Array, weights: Float64Array): number {
  const p = cellOf(entry, params);
  const S = entry.stateSize;
  let total = 0;
  for (let s = 0, t0 = 0; t0 < T; s++, t0 += L) {
    const steps = Math.min(L, T - t0);
    const { outputs } = cellSequence64(p, steps, B, x.subarray(t0 * B * entry.inputs), initial.subarray(s * B * S, (s + 1) * B * S), resets.subarray(t0 * B));
    for (let i = 0; i < outputs.length; i++) total += outputs[i] * weights[t0 * B * entry.size + i];
  }
  return total;
}

function oracle(entry: MemoryEntry, params: Float64Array, x: Float64Array, initial: Float64Array, resets: Uint8Array, weights: Float64Array) {
  return tf.tidy(() => {
    const S = entry.stateSize;
    const f = (flat: tf.Tensor, init: tf.Tensor) => {
      const out = oracleCellSequence(entry, flat as tf.Tensor1D, tf.tensor2d(Float32Array.from(x), [T * B, entry.inputs]), T, B,
        (s) => (init as tf.Tensor2D).slice([s * B, 0], [B, S]), resets, L);
      return tf.sum(tf.mul(out, tf.tensor2d(Float32Array.from(weights), [T * B, entry.size]))) as tf.Scalar;
    };
    const flat = tf.tensor1d(Float32Array.from(params));
    const init = tf.tensor2d(Float32Array.from(initial), [2 * B, S]);
    const { value, grads } = tf.valueAndGrads(f)([flat, init]);
    return { value: value.dataSync()[0], dParams: grads[0].dataSync().slice(), dInitial: grads[1].dataSync().slice() };
  });
}

function centralDifferences(n: number, at: (i: number, h: number) => number): Float64Array {
  const h = 1e-6;
  return Float64Array.from({ length: n }, (_, i) => (at(i, h) - at(i, -h)) / (2 * h));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(1e-4 + 2e-3 * Math.abs(expected[i]));
  }
}

describe('oracle recurrent cells against float64 PyTorch equations', () => {
  for (const cell of ['lstm', 'gru'] as const) {
    for (const seed of [1, 2]) {
      it(`${cell}, seed ${seed}: loss and gradients (parameters, initial states) match central differences`, () => {
        const { entry, params, x, initial, resets, weights } = setup(cell, seed);
        const got = oracle(entry, params, x, initial, resets, weights);
        const exact = loss64(entry, params, x, initial, resets, weights);
        expect(Math.abs(got.value - exact)).toBeLessThan(1e-4 * (1 + Math.abs(exact)));
        const memory = Array.from({ length: entry.biasHhOffset + entry.gates * entry.size - entry.weightIhOffset }, (_, i) => entry.weightIhOffset + i);
        const fdParams = centralDifferences(memory.length, (i, h) => {
          const p = params.slice(); p[memory[i]] += h;
          return loss64(entry, p, x, initial, resets, weights);
        });
        expectClose(memory.map((i) => got.dParams[i]), fdParams, `${cell} d parameter`);
        const fdInitial = centralDifferences(initial.length, (i, h) => {
          const s = initial.slice(); s[i] += h;
          return loss64(entry, params, x, s, resets, weights);
        });
        expectClose(got.dInitial, fdInitial, `${cell} d initial state`);
        expect(fdInitial.some((g) => Math.abs(g) > 1e-3)).toBe(true);
        // Column 1 ended its episode at t = 0: its first initial state reaches only the output of t = 0.
        const S = entry.stateSize;
        const cut = (s: number, e: number) => loss64(entry, params, x, initial.map((v, i) => (Math.floor(i / S) === s * B + e ? 0 : v)), resets, weights);
        const base = loss64(entry, params, x, initial, resets, weights);
        const onlyFirstStep = weights.map((w, i) => (i >= B * entry.size ? 0 : w));
        const d = cut(0, 1) - base;
        const dFirst = loss64(entry, params, x, initial.map((v, i) => (Math.floor(i / S) === 1 ? 0 : v)), resets, onlyFirstStep) - loss64(entry, params, x, initial, resets, onlyFirstStep);
        expect(Math.abs(d - dFirst)).toBeLessThan(1e-12);
      });
    }
  }

  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: 'carry' (one stream from zero, gradient stopped at the sequence start) is the float64 sequences from the states the unroll reached`, () => {
      const { entry, params, x, resets, weights } = setup(cell, 3);
      const S = entry.stateSize;
      // float64: the state entering sequence 1 is where the first L steps from zero leave it (zero where they reset).
      const reached = (p: ArrayLike<number>) => cellSequence64(cellOf(entry, p), L, B, x, new Float64Array(B * S), resets).state;
      const initial = Float64Array.from([...new Float64Array(B * S), ...reached(params)]);
      const got = tf.tidy(() => {
        const f = (flat: tf.Tensor) => {
          const out = oracleCellSequence(entry, flat as tf.Tensor1D, tf.tensor2d(Float32Array.from(x), [T * B, entry.inputs]), T, B, () => 'carry', resets, L);
          return tf.sum(tf.mul(out, tf.tensor2d(Float32Array.from(weights), [T * B, entry.size]))) as tf.Scalar;
        };
        const { value, grad } = tf.valueAndGrad(f)(tf.tensor1d(Float32Array.from(params)));
        return { value: value.dataSync()[0], dParams: grad.dataSync().slice() };
      });
      const exact = loss64(entry, params, x, initial, resets, weights);
      expect(Math.abs(got.value - exact)).toBeLessThan(1e-4 * (1 + Math.abs(exact)));
      // The gradient holds the state entering sequence 1 constant: differences with `initial` fixed.
      const memory = Array.from({ length: entry.biasHhOffset + entry.gates * entry.size - entry.weightIhOffset }, (_, i) => entry.weightIhOffset + i);
      const fixed = centralDifferences(memory.length, (i, h) => {
        const p = params.slice(); p[memory[i]] += h;
        return loss64(entry, p, x, initial, resets, weights);
      });
      expectClose(memory.map((i) => got.dParams[i]), fixed, `${cell} d parameter (carry)`);
      // ... which is not the gradient through the whole unroll (the stop is real).
      const through = centralDifferences(memory.length, (i, h) => {
        const p = params.slice(); p[memory[i]] += h;
        return loss64(entry, p, x, Float64Array.from([...new Float64Array(B * S), ...reached(p)]), resets, weights);
      });
      expect(through.some((g, i) => Math.abs(g - fixed[i]) > 1e-3)).toBe(true);
    });
  }
});
