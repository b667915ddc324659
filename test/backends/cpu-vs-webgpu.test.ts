// The two backends against each other, with no oracle in between: on every shared case, the WASM and WebGPU
// trainers give the same gradients and stats, and the same parameters, Adam state and stats after one update.
// Both also reject the same bad policy at construction.
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import { createWebGPUTrainer } from '../../src/backend/webgpu/index.js';
import { resolvePPOConfig } from '../../src/config.js';
import { resolveNetworkSpec } from '../../src/policy/network.js';
import { Box } from '../../src/spaces.js';
import { sharedTestDevice } from '../helpers/gpu.js';
import { ORACLE_CASES } from '../oracle/cases.js';
import { mismatch, statsMismatch } from '../oracle/compare.js';

const SEED = 11;
await init();
const device = await sharedTestDevice();

describe.skipIf(!device)('CPU and WebGPU backends agree', () => {
  for (const c of ORACLE_CASES) {
    it(`${c.name}: gradients, stats, and the parameters after one update`, async () => {
      const options = { policy: c.policy, ppo: c.ppo, seed: SEED, parameters: c.params(SEED) };
      const batch = c.makeBatch(SEED);
      const plan = c.makePlan(SEED);
      const cpu = createCpuTrainer(options);
      const gpu = await createWebGPUTrainer({ ...options, device: device! });
      try {
        const [a, b] = [await cpu.computeGradients(batch), await gpu.computeGradients(batch)];
        expect(mismatch(b.grads, a.grads, undefined, cpu.parameterLayout)).toBeNull();
        expect(statsMismatch(b.stats, a.stats)).toBeNull();
        const [sa, sb] = [await cpu.update(batch, plan), await gpu.update(batch, plan)];
        expect(statsMismatch(sb, sa)).toBeNull();
        expect(sb.epochs).toBe(sa.epochs);
        expect(mismatch(await gpu.getParameters(), await cpu.getParameters(), undefined, cpu.parameterLayout)).toBeNull();
        const [oa, ob] = [await cpu.getOptimizerState(), await gpu.getOptimizerState()];
        expect(ob.step).toBe(oa.step);
        expect(mismatch(ob.m, oa.m)).toBeNull();
      } finally {
        cpu.dispose();
        gpu.dispose();
      }
    });
  }

  it("both reject a 'tanh_normal' policy whose box has infinite bounds, naming the field", async () => {
    const policy = { observationSize: 3, actionSpace: Box(2), network: resolveNetworkSpec({ distribution: 'tanh_normal' }) };
    const ppo = resolvePPOConfig({});
    const expected = /actionSpace\.low\/high\[0\]: expected finite bounds for a 'tanh_normal' distribution, got "-Infinity, Infinity"/;
    expect(() => createCpuTrainer({ policy, ppo, seed: 1 })).toThrow(expected);
    await expect(createWebGPUTrainer({ policy, ppo, seed: 1, device: device! })).rejects.toThrow(expected);
  });
});
