// The shared case table (test/oracle/cases.ts) on the WebGPU trainer: computeGradients and its stats, and a
// whole update (Adam/AdamW, clipping, target KL), against the TF.js oracle within the shared tolerances.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebGPUTrainer, type WebGPUTrainer } from '../../src/backend/webgpu/index.js';
import { ORACLE_CASES } from '../oracle/cases.js';
import { mismatch, statsMismatch } from '../oracle/compare.js';
import { oracleLoss, oracleUpdate } from '../oracle/ppo-oracle.js';
import { testDevice } from '../helpers/gpu.js';

const SEED = 7;
let device: GPUDevice | null = null;
const trainers: WebGPUTrainer[] = [];
beforeAll(async () => { device = await testDevice(); });
afterAll(() => trainers.forEach((t) => t.dispose()));

describe('webgpu trainer vs oracle', () => {
  for (const c of ORACLE_CASES) {
    it(`${c.name}: computeGradients and stats`, async (ctx) => {
      if (!device) return ctx.skip();
      const params = c.params(SEED);
      const batch = c.makeBatch(SEED);
      const trainer = await createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, parameters: params, device });
      trainers.push(trainer);
      const { grads, stats } = await trainer.computeGradients(batch);
      const expected = oracleLoss(c.policy, c.ppo, params, batch);
      expect(mismatch(grads, expected.grads, undefined, trainer.parameterLayout)).toBeNull();
      expect(statsMismatch(stats, expected.stats)).toBeNull();
      expect(trainer.counters).toEqual({ submits: 1, readbacks: 1 });
    });

    it(`${c.name}: update`, async (ctx) => {
      if (!device) return ctx.skip();
      const params = c.params(SEED);
      const batch = c.makeBatch(SEED);
      const plan = c.makePlan(SEED);
      const trainer = await createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, parameters: params, device });
      trainers.push(trainer);
      const stats = await trainer.update(batch, plan);
      expect(trainer.counters).toEqual({ submits: 1, readbacks: 1 });
      const expected = oracleUpdate(c.policy, c.ppo, params, batch, plan);
      expect(mismatch(await trainer.getParameters(), expected.params, undefined, trainer.parameterLayout)).toBeNull();
      expect({ epochs: stats.epochs, minibatches: stats.minibatches }).toEqual({ epochs: expected.stats.epochs, minibatches: expected.stats.minibatches });
      expect(statsMismatch(stats, expected.stats, { rtol: 2e-3, atol: 1e-4 })).toBeNull();
      const state = await trainer.getOptimizerState();
      expect(state.step).toBe(expected.optimizer.step);
      expect(mismatch(state.m, expected.optimizer.m, { rtol: 2e-3, atol: 1e-6 }, trainer.parameterLayout)).toBeNull();
    });
  }
});
