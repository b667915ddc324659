import { describe, expect, it } from 'vitest';
import type { Batch, MinibatchPlan } from '../../src/backend/trainer.js';
import { packBatch, packedBytes, unpackBatch } from '../../src/worker/pack.js';

const T = 3, N = 2, rows = T * N;
const f32 = (n: number, k = 1) => Float32Array.from({ length: n }, (_, i) => k * (i + 0.5));

function batch(): Batch {
  return {
    numSteps: T, numEnvs: N, observations: f32(rows * 3), actions: Int32Array.from({ length: rows }, (_, i) => i % 2),
    logProbs: f32(rows, -0.1), values: f32(rows, 0.2), advantages: f32(rows, 0.3), returns: f32(rows, 0.4),
    masks: Uint8Array.from({ length: rows * 2 }, (_, i) => i % 3 ? 1 : 0), terminated: Uint8Array.of(0, 1, 0, 0, 1, 0),
    rewards: f32(rows, 2), lastValues: f32(N, 5), hiddenStates: f32(N * 4, 0.7),
  };
}

describe('packing a batch for the training worker', () => {
  for (const kind of ['ArrayBuffer', 'SharedArrayBuffer'] as const) {
    it(`round-trips every array and the plan through one ${kind}`, () => {
      const b = batch();
      const plan: MinibatchPlan = { unit: 'rows', numEpochs: 1, numMinibatches: 2, unitsPerMinibatch: 3, indices: Int32Array.of(5, 0, 3, 1, 2, 4), weights: f32(6, 0.1) };
      const bytes = packedBytes(b, plan);
      expect(bytes % 8).toBe(0);
      const buffer = kind === 'ArrayBuffer' ? new ArrayBuffer(bytes) : new SharedArrayBuffer(bytes);
      const packed = packBatch(b, plan, buffer);
      for (const field of packed.fields) expect(field.offset % 8).toBe(0);
      // What crosses the boundary: the structured clone of the message (the buffer itself is transferred or shared).
      const received = { ...structuredClone({ ...packed, buffer: null }), buffer };
      const { batch: back, plan: backPlan } = unpackBatch(received);
      expect(back).toEqual(b);
      expect(back.actions).toBeInstanceOf(Int32Array);
      expect(back.masks).toBeInstanceOf(Uint8Array);
      expect(back.observations.buffer).toBe(buffer); // views, not copies
      expect(backPlan).toEqual(plan);
    });
  }

  it('copies the source arrays (wasm views stay where they are) and leaves absent fields absent', () => {
    const b = batch();
    delete b.masks;
    const packed = packBatch(b, undefined, new ArrayBuffer(packedBytes(b)));
    b.observations[0] = 99;
    const { batch: back, plan } = unpackBatch(packed);
    expect(back.observations[0]).toBe(0.5);
    expect('masks' in back).toBe(false);
    expect(plan).toBeUndefined();
  });
});
