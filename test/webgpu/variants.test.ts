// Both kernel variants of the WebGPU trainer, forced one at a time, against the CPU trainer: 'direct'
// (barrier-free, for software adapters) and 'tiled' (workgroup-memory tiles, split-K weight gradients and
// column sums, two-pass reductions). Sizes are chosen to reach every path of the tiled variant yet stay quick
// on a software adapter: layers wider than one 64-wide tile and not a multiple of it (ragged edges),
// minibatches of several hundred rows (several reduction workgroups and weight-gradient splits, a last one
// partly filled), heads of each kind, V-trace segments, and the 'auto' choice that measures both.
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import { createWebGPUTrainer } from '../../src/backend/webgpu/index.js';
import { reductionGroups, weightSplits } from '../../src/backend/webgpu/variants.js';
import { sharedTestDevice } from '../helpers/gpu.js';
import { VARIANT_CASES as CASES } from './variant-cases.js';
import { mismatch, statsMismatch } from '../oracle/compare.js';

const SEED = 5;
await init();
const device = await sharedTestDevice();


// The first case also compiles every pipeline on the software adapter, which a busy host makes slow.
describe.skipIf(!device)('WebGPU kernel variants against the CPU trainer', { timeout: 240_000 }, () => {
  it('the sizes below reach several reduction workgroups and weight-gradient splits', () => {
    expect(reductionGroups(264).groups).toBeGreaterThan(1);
    expect(weightSplits(264, 65, 20)).toBeGreaterThan(1);
    expect(weightSplits(300, 70, 7)).toBeGreaterThan(1);
    expect(weightSplits(272, 5, 20)).toBeGreaterThan(1);
  });

  for (const c of CASES) {
    it(`${c.name}: 'direct' and 'tiled' give the CPU trainer's gradients, stats and parameters`, async () => {
      const options = { policy: c.policy, ppo: c.ppo, seed: SEED, parameters: c.params(SEED) };
      const batch = c.makeBatch(SEED);
      const plan = c.makePlan(SEED);
      const cpu = createCpuTrainer(options);
      try {
        const expected = await cpu.computeGradients(batch);
        const updated = await cpu.update(batch, plan);
        const params = await cpu.getParameters();
        for (const kernels of ['direct', 'tiled'] as const) {
          const gpu = await createWebGPUTrainer({ ...options, device: device!, kernels });
          try {
            const got = await gpu.computeGradients(batch);
            expect(gpu.lastVariant?.variant).toBe(kernels);
            expect(mismatch(got.grads, expected.grads, undefined, cpu.parameterLayout), kernels).toBeNull();
            expect(statsMismatch(got.stats, expected.stats), kernels).toBeNull();
            const stats = await gpu.update(batch, plan);
            expect(statsMismatch(stats, updated), kernels).toBeNull();
            expect(mismatch(await gpu.getParameters(), params, undefined, cpu.parameterLayout), kernels).toBeNull();
            expect(gpu.counters).toEqual({ submits: 3, readbacks: 3 }); // one per call: gradients, update, parameters
          } finally {
            gpu.dispose();
          }
        }
      } finally {
        cpu.dispose();
      }
    });
  }

  it("'auto' times both variants on this adapter and keeps the faster", async () => {
    const c = CASES[3];
    const gpu = await createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, device: device! });
    try {
      await gpu.update(c.makeBatch(SEED), c.makePlan(SEED));
      const choice = gpu.lastVariant!;
      console.info(`kernel variants on this adapter, ms per minibatch: ${JSON.stringify(choice.ms)}`);
      expect(choice.ms.direct).toBeGreaterThan(0);
      expect(choice.ms.tiled).toBeGreaterThan(0);
      expect(choice.variant).toBe(choice.ms.tiled < choice.ms.direct ? 'tiled' : 'direct');
      expect(gpu.counters.submits).toBe(1); // the measuring submits are not the update's
    } finally {
      gpu.dispose();
    }
  });

  it("rejects an unknown kernels option, naming it", async () => {
    const c = CASES[0];
    await expect(createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, device: device!, kernels: 'fast' as never }))
      .rejects.toThrow(/options\.kernels: expected 'auto', 'direct' or 'tiled', got "fast"/);
  });
});
