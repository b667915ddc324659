// The AssemblyScript LSTM and GRU (assembly/nn/recurrent.ts through CpuCell) against the TF.js oracle's cells:
// outputs, carried state, and gradients of a scalar loss of the outputs in every parameter, the inputs and the
// initial state, over several seeds and ragged sizes (scalar tails, partial gemm blocks), with episode ends
// inside the sequence.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuCell } from '../../src/backend/cpu/memory.js';
import { init } from '../../src/init.js';
import { networkLayout, resolveNetworkSpec, type MemoryEntry } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { Discrete } from '../../src/spaces.js';
import { allocBlock, freeBlock, memoryBuffer } from '../../src/wasm-memory.js';
import { mismatch } from '../oracle/compare.js';
import { cellSequence64 } from '../oracle/recurrent64.js';
import { oracleCellSequence } from '../oracle/recurrent-oracle.js';

const TOL = { rtol: 2e-3, atol: 2e-5 };
const SHAPES = [
  { T: 5, B: 3, I: 5, H: 3 },
  { T: 1, B: 1, I: 1, H: 1 },
  { T: 7, B: 5, I: 6, H: 9 },
  { T: 3, B: 8, I: 4, H: 8 },
];

function f32(ptr: number, n: number): Float32Array {
  return new Float32Array(memoryBuffer(), ptr, n);
}

function run(cell: 'lstm' | 'gru', shape: typeof SHAPES[number], seed: number) {
  const { T, B, I, H } = shape;
  const policy = { observationSize: I, actionSpace: Discrete(2), network: resolveNetworkSpec({ hidden: [], memory: { cell, size: H } }) };
  const layout = networkLayout(policy);
  const entry: MemoryEntry = layout.memories[0];
  const S = entry.stateSize;
  const rng = new PCG32(seed, 9);
  const normal = (n: number, scale = 1) => Float32Array.from({ length: n }, () => rng.nextNormal() * scale);
  const params = normal(layout.size, 0.5);
  const x = normal(T * B * I);
  const state0 = normal(B * S, 0.5);
  const resets = Uint8Array.from({ length: T * B }, () => (rng.nextFloat() < 0.25 ? 1 : 0));
  const weights = normal(T * B * H);

  // wasm
  const n = layout.size;
  const block = allocBlock((2 * n + T * B * I * 2 + 3 * B * S) * 4 + T * B + 64);
  const pParams = block, pGrads = pParams + n * 4, pX = pGrads + n * 4, pDx = pX + T * B * I * 4;
  const pState = pDx + T * B * I * 4, pStateT = pState + B * S * 4, pDState = pStateT + B * S * 4, pResets = pDState + B * S * 4;
  const c = new CpuCell(entry, pParams, pGrads);
  c.reserve(T * B, B);
  f32(pParams, n).set(params);
  f32(pX, T * B * I).set(x);
  f32(pState, B * S).set(state0);
  new Uint8Array(memoryBuffer(), pResets, T * B).set(resets);
  c.syncWeights();
  c.forward(T, B, 0, pX, pResets, pState, S, pStateT);
  const out = f32(c.rows.ptr.out, T * B * H).slice();
  const stateT = f32(pStateT, B * S).slice();
  f32(c.rows.ptr.dOut, T * B * H).set(weights);
  c.backward(T, B, 0, pX, pResets, false, pDx, false, pDState, S);
  const grads = f32(pGrads, n).slice();
  const dx = f32(pDx, T * B * I).slice();
  const dState = f32(pDState, B * S).slice();
  // Accumulating adds: a second backward pass doubles every gradient (to f32 rounding of the running sums).
  c.backward(T, B, 0, pX, pResets, true, pDx, true, 0, S);
  const doubled = f32(pGrads, n).slice();
  const dxDoubled = f32(pDx, T * B * I).slice();
  // In place, one step at a time (acting): the state carried step by step gives the same outputs.
  f32(pState, B * S).set(state0);
  const stepped = new Float32Array(T * B * H);
  for (let t = 0; t < T; t++) {
    c.forward(1, B, 0, pX + t * B * I * 4, pResets + t * B, pState, S, pState);
    stepped.set(f32(c.rows.ptr.out, B * H), t * B * H);
  }
  c.dispose();
  freeBlock(block);

  // oracle
  const expected = tf.tidy(() => {
    const f = (flat: tf.Tensor, xs: tf.Tensor, init0: tf.Tensor) => {
      const y = oracleCellSequence(entry, flat as tf.Tensor1D, xs as tf.Tensor2D, T, B, () => init0 as tf.Tensor2D, resets, T);
      return tf.sum(tf.mul(y, tf.tensor2d(weights, [T * B, H]))) as tf.Scalar;
    };
    const inputs = [tf.tensor1d(params), tf.tensor2d(x, [T * B, I]), tf.tensor2d(state0, [B, S])];
    const { grads: g } = tf.valueAndGrads(f)(inputs);
    const outputs = oracleCellSequence(entry, inputs[0] as tf.Tensor1D, inputs[1] as tf.Tensor2D, T, B, () => inputs[2] as tf.Tensor2D, resets, T);
    return { out: outputs.dataSync().slice(), grads: g[0].dataSync().slice(), dx: g[1].dataSync().slice(), dState: g[2].dataSync().slice() };
  });
  const p = (offset: number, count: number) => Array.from(params.subarray(offset, offset + count));
  const G = entry.gates * H;
  const reference = cellSequence64({
    cell, inputs: I, size: H, weightIh: p(entry.weightIhOffset, G * I), weightHh: p(entry.weightHhOffset, G * H),
    biasIh: p(entry.biasIhOffset, G), biasHh: p(entry.biasHhOffset, G),
  }, T, B, x, state0, resets);
  return { layout, out, stateT, grads, dx, dState, doubled, dxDoubled, stepped, expected, reference };
}

describe('recurrent cells (wasm) against the oracle', () => {
  beforeAll(() => init());
  for (const cell of ['lstm', 'gru'] as const) {
    SHAPES.forEach((shape, k) => {
      it(`${cell} T${shape.T} B${shape.B} in ${shape.I} size ${shape.H}, seed ${k + 1}`, () => {
        const r = run(cell, shape, k + 1);
        expect(mismatch(r.out, r.expected.out, TOL)).toBeNull();
        expect(mismatch(r.out, r.reference.outputs, TOL)).toBeNull();
        expect(mismatch(r.stateT, r.reference.state, TOL)).toBeNull();
        expect(mismatch(r.grads, r.expected.grads, TOL, r.layout.parameters)).toBeNull();
        expect(mismatch(r.dx, r.expected.dx, TOL)).toBeNull();
        expect(mismatch(r.dState, r.expected.dState, TOL)).toBeNull();
        expect(r.grads.some((g) => g !== 0)).toBe(true);
        expect(mismatch(r.doubled, r.grads.map((g) => 2 * g), { rtol: 1e-5, atol: 1e-6 })).toBeNull();
        expect(mismatch(r.dxDoubled, r.dx.map((g) => 2 * g), { rtol: 1e-5, atol: 1e-6 })).toBeNull();
        expect(r.stepped).toEqual(r.out);
      });
    });
  }
});

describe('recurrent cells (wasm), any shape', () => {
  beforeAll(() => init());
  it('match the float64 PyTorch equations for random sizes, resets and carried states, and stepping equals unrolling', async () => {
    const fc = await import('fast-check');
    fc.assert(fc.property(
      fc.constantFrom('lstm' as const, 'gru' as const), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 1000 }),
      (cell, T, B, I, H, seed) => {
        const r = run(cell, { T, B, I, H }, seed);
        return mismatch(r.out, r.reference.outputs, TOL) === null && mismatch(r.stateT, r.reference.state, TOL) === null
          && r.stepped.every((v, i) => v === r.out[i]);
      },
    ), { numRuns: 30, seed: 12 });
  });
});
