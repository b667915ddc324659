import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { Box, MultiDiscrete } from '../../src/spaces.js';
import { MinibatchStager, stagingLayout } from '../../src/storage/gather.js';
import { createMinibatchPlan } from '../../src/storage/plan.js';
import { RolloutBuffer } from '../../src/storage/rollout-buffer.js';
import { mulberry32 } from './references.js';

beforeAll(() => init());

const T = 6, N = 5, OBS = 3;

function filledBuffer(box: boolean): RolloutBuffer {
  const space = box ? Box(2) : MultiDiscrete([3, 2]);
  const b = RolloutBuffer.create({ numSteps: T, numEnvs: N, observationSize: OBS, actionSpace: space, masks: !box });
  const rand = mulberry32(box ? 2 : 1);
  const f = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
  for (let t = 0; t < T; t++) {
    b.add({
      observations: f(N * OBS), logProbs: f(N), values: f(N), rewards: f(N),
      actions: box ? f(N * 2) : Int32Array.from({ length: N * 2 }, (_, i) => (i % 2 ? 1 : 2)),
      masks: box ? undefined : Uint8Array.from({ length: N * 5 }, (_, i) => (i % 5 === 0 ? 0 : 1)),
      terminated: new Uint8Array(N), truncated: new Uint8Array(N),
    });
  }
  b.computeAdvantages({ lastValues: f(N), gamma: 0.99, gaeLambda: 0.95 });
  return b;
}

/** The expected staging of one minibatch's rows, built in plain JS. */
function expectedBlock(b: RolloutBuffer, rows: number[], weights: number[]): Uint8Array {
  const layout = stagingLayout(rows.length, OBS, b.actionSize, b.maskSize);
  const out = new Uint8Array(layout.bytes);
  const f32 = (at: number, values: number[]) => new Float32Array(out.buffer, at, values.length).set(values);
  f32(layout.observations, rows.flatMap((r) => Array.from(b.observations.subarray(r * OBS, (r + 1) * OBS))));
  const actionBytes = new Uint8Array(b.actions.buffer, b.actions.byteOffset, b.actions.byteLength);
  rows.forEach((r, k) => out.set(actionBytes.subarray(r * b.actionSize * 4, (r + 1) * b.actionSize * 4), layout.actions + k * b.actionSize * 4));
  f32(layout.logProbs, rows.map((r) => b.logProbs[r]));
  f32(layout.values, rows.map((r) => b.values[r]));
  f32(layout.advantages, rows.map((r) => b.advantages[r]));
  f32(layout.returns, rows.map((r) => b.returns[r]));
  f32(layout.weights, weights);
  rows.forEach((r, k) => out.set(b.masks ? b.masks.subarray(r * b.maskSize, (r + 1) * b.maskSize) : [], layout.masks + k * b.maskSize));
  return out;
}

describe('MinibatchStager', () => {
  it('packs row minibatches (with masks and plan weights) into 256-aligned blocks', () => {
    const b = filledBuffer(false);
    const plan = createMinibatchPlan({ numSteps: T, numEnvs: N, numEpochs: 2, numMinibatches: 4, unit: 'rows', mode: 'prioritized',
      seed: 3, priorities: b.priorities('rows').slice(), alpha: 0.8, beta: 0.5 });
    const stager = new MinibatchStager();
    const { bytes, layout } = stager.stage(b, plan);
    expect(layout.stride % 256).toBe(0);
    expect(layout.rows).toBe(7);
    expect(layout.masks + 7 * 5 + 1).toBe(layout.bytes); // 35 mask bytes padded to 36
    for (let k = 0; k < 8; k++) {
      const rows = Array.from(plan.indices.subarray(k * 7, (k + 1) * 7));
      const weights = Array.from(plan.weights!.subarray(k * 7, (k + 1) * 7));
      expect(bytes.subarray(k * layout.stride, k * layout.stride + layout.bytes)).toEqual(expectedBlock(b, rows, weights));
    }
    stager.dispose();
    b.dispose();
  });

  it('expands segment minibatches to their rows in time order, weight 1 without plan weights', () => {
    const b = filledBuffer(true);
    const plan = createMinibatchPlan({ numSteps: T, numEnvs: N, numEpochs: 1, numMinibatches: 2, unit: 'segments', mode: 'shuffled', seed: 4 });
    const stager = new MinibatchStager();
    const { bytes, layout } = stager.stage(b, plan);
    expect(layout.rows).toBe(2 * T);
    for (let k = 0; k < 2; k++) {
      const rows = Array.from(plan.indices.subarray(k * 2, (k + 1) * 2)).flatMap((e) => Array.from({ length: T }, (_, t) => t * N + e));
      expect(bytes.subarray(k * layout.stride, k * layout.stride + layout.bytes)).toEqual(expectedBlock(b, rows, rows.map(() => 1)));
    }
    expect(() => stager.stage(b, { ...plan, indices: Int32Array.from(plan.indices, () => 9) })).toThrow(/plan\.indices\[0\]: expected an index in \[0, 4\], got 9/);
    expect(() => stager.stage(b, { ...plan, weights: new Float32Array(1) })).toThrow(/plan\.weights\.length/);
    stager.dispose();
    b.dispose();
  });
});
