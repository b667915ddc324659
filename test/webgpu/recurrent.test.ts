// The WebGPU trainer with recurrent networks (recurrent.wgsl) against the TF.js oracle and the CPU trainer:
// LSTM and GRU, every head type, shared and separate networks, masks, V-trace recomputation, episode ends
// inside sequences, sequences cut inside a segment. Gradients and stats of the whole batch, one update of
// shuffled segments (parameters, Adam state, stats), both kernel variants, and several updates in a row where
// both backends' parameters stay together. Sizes are tiny: a software adapter runs these.
import { describe, expect, it } from 'vitest';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import type { Batch } from '../../src/backend/trainer.js';
import { createWebGPUTrainer } from '../../src/backend/webgpu/index.js';
import { resolvePPOConfig } from '../../src/config.js';
import { init } from '../../src/init.js';
import { Discrete } from '../../src/spaces.js';
import { policySpec } from '../cpu/helpers.js';
import { sharedTestDevice } from '../helpers/gpu.js';
import { mismatch, statsMismatch } from '../oracle/compare.js';
import { oracleLoss, oracleUpdate } from '../oracle/ppo-oracle.js';
import { perturbed, RECURRENT_CASES, recurrentBatch, SEGMENT_PLAN } from '../oracle/recurrent-cases.js';

await init();
const device = await sharedTestDevice();

describe.skipIf(!device)('WebGPU trainer with memory', () => {
  RECURRENT_CASES.forEach((c, k) => {
    const policy = policySpec(3, c.space, c.network);
    const ppo = resolvePPOConfig({ clipEpsilon: 0.3, ...c.ppo });
    // Both matrix-product variants run the cells' products and sums.
    const kernels = k % 2 === 0 ? 'direct' as const : 'tiled' as const;

    it(`${c.name} (${kernels}): gradients and one update against the oracle and the CPU trainer`, async () => {
      const params = perturbed(policy, k);
      const options = { policy, ppo, seed: 1, parameters: params };
      const gpu = await createWebGPUTrainer({ ...options, device: device!, kernels, subgroups: false });
      const cpu = createCpuTrainer(options);
      try {
        const layout = gpu.parameterLayout;
        const batch = recurrentBatch(policy, 10 + k, c.extra);
        const expected = oracleLoss(policy, ppo, params, batch);
        const actual = await gpu.computeGradients(batch);
        expect(mismatch(actual.grads, expected.grads, undefined, layout)).toBeNull();
        expect(statsMismatch(actual.stats, expected.stats)).toBeNull();
        expect(mismatch(actual.grads, (await cpu.computeGradients(batch)).grads, undefined, layout)).toBeNull();
        // The cells' gradients are there (a pass that skipped them would match a zero oracle nowhere).
        for (const p of layout.filter((e) => e.name.includes('.memory.'))) {
          expect(actual.grads.subarray(p.offset, p.offset + p.shape[0]).some((g) => g !== 0), p.name).toBe(true);
        }

        const updateBatch = recurrentBatch(policy, 20 + k, c.extra);
        const after = oracleUpdate(policy, ppo, params, updateBatch, SEGMENT_PLAN);
        const submits = gpu.counters.submits;
        const stats = await gpu.update(updateBatch, SEGMENT_PLAN);
        expect(gpu.counters.submits - submits).toBe(1);
        expect(stats.minibatches).toBe(after.stats.minibatches);
        expect(statsMismatch(stats, after.stats)).toBeNull();
        expect(mismatch(await gpu.getParameters(), after.params, undefined, layout)).toBeNull();
        expect(mismatch((await gpu.getOptimizerState()).m, after.optimizer.m, undefined, layout)).toBeNull();
        await cpu.update(updateBatch, SEGMENT_PLAN);
        expect(mismatch(await gpu.getParameters(), await cpu.getParameters(), undefined, layout)).toBeNull();
      } finally {
        gpu.dispose();
        cpu.dispose();
      }
    });
  });

  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: a cell wider than a workgroup (70 units, several per invocation) against the oracle`, async () => {
      const policy = policySpec(3, Discrete(3), { hidden: [3], memory: { cell, size: 70, sequenceLength: 3 } });
      const ppo = resolvePPOConfig({ clipEpsilon: 0.3 });
      const params = perturbed(policy, 7).map((v) => v * 0.3); // wide rows: keep the gates off saturation
      const gpu = await createWebGPUTrainer({ policy, ppo, seed: 1, parameters: params, device: device!, kernels: 'direct', subgroups: false });
      try {
        const batch = recurrentBatch(policy, 40);
        const expected = oracleLoss(policy, ppo, params, batch);
        const actual = await gpu.computeGradients(batch);
        expect(mismatch(actual.grads, expected.grads, undefined, gpu.parameterLayout)).toBeNull();
        expect(statsMismatch(actual.stats, expected.stats)).toBeNull();
      } finally {
        gpu.dispose();
      }
    });
  }

  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: five updates in a row keep both backends' parameters together`, async () => {
      const policy = policySpec(3, Discrete(3), { hidden: [4], memory: { cell, size: 4, sequenceLength: 3 } });
      const ppo = resolvePPOConfig({ clipEpsilon: 0.3, learningRate: 3e-3 });
      const options = { policy, ppo, seed: 1, parameters: perturbed(policy, 3) };
      const gpu = await createWebGPUTrainer({ ...options, device: device!, kernels: 'direct', subgroups: false });
      const cpu = createCpuTrainer(options);
      try {
        for (let u = 0; u < 5; u++) {
          const batch = recurrentBatch(policy, 100 + u, { vtrace: u % 2 === 1 });
          const [a, b] = [await cpu.update(batch, SEGMENT_PLAN), await gpu.update(batch, SEGMENT_PLAN)];
          expect(statsMismatch(b, a), `update ${u}`).toBeNull();
        }
        const layout = gpu.parameterLayout;
        const start = options.parameters;
        const moved = await cpu.getParameters();
        expect(mismatch(moved, start)).not.toBeNull(); // they trained
        expect(mismatch(await gpu.getParameters(), moved, undefined, layout)).toBeNull();
        const [oa, ob] = [await cpu.getOptimizerState(), await gpu.getOptimizerState()];
        expect(ob.step).toBe(oa.step);
        expect(mismatch(ob.v, oa.v, { rtol: 5e-3, atol: 1e-9 }, layout)).toBeNull();
      } finally {
        gpu.dispose();
        cpu.dispose();
      }
    });
  }

  it('trains on shuffled segments by default; rejects a plan of rows and a batch without stored states, changing nothing', async () => {
    const policy = policySpec(3, Discrete(2), { hidden: [3], memory: { cell: 'gru', size: 3, sequenceLength: 3 } });
    const gpu = await createWebGPUTrainer({ policy, ppo: resolvePPOConfig({}), seed: 1, device: device!, kernels: 'direct', subgroups: false });
    try {
      const batch = recurrentBatch(policy, 1);
      const before = await gpu.getParameters();
      await expect(async () => gpu.computeGradients({ ...batch, hiddenStates: undefined })).rejects.toThrow(expect.objectContaining({ field: 'batch.hiddenStates' }));
      await expect(async () => gpu.update({ ...batch, terminated: undefined } as Batch)).rejects.toThrow(expect.objectContaining({ field: 'batch.terminated' }));
      const rows = { unit: 'rows' as const, numEpochs: 1, numMinibatches: 1, unitsPerMinibatch: 2, indices: Int32Array.from([0, 1]) };
      await expect(async () => gpu.update(batch, rows)).rejects.toThrow(expect.objectContaining({ field: 'plan.unit' }));
      expect(await gpu.getParameters()).toEqual(before);
      const stats = await gpu.update(batch);
      expect(stats.minibatches).toBe(Math.min(4, batch.numEnvs) * 4);
      expect(await gpu.getParameters()).not.toEqual(before);
    } finally {
      gpu.dispose();
    }
  });
});
