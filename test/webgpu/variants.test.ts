// Both kernel variants of the WebGPU trainer, forced one at a time, against the CPU trainer: 'direct'
// (barrier-free, for software adapters) and 'tiled' (workgroup-memory tiles, split-K weight gradients and
// column sums, two-pass reductions). Sizes are chosen to reach every path of the tiled variant yet stay quick
// on a software adapter: layers wider than one 64-wide tile and not a multiple of it (ragged edges),
// minibatches of several hundred rows (several reduction workgroups and weight-gradient splits, a last one
// partly filled), heads of each kind, V-trace segments, and the 'auto' choice that measures both. Each variant
// also runs with the reductions' subgroup twins where the adapter has the 'subgroups' feature (SwiftShader in
// Dawn does; under REQUIRE_WEBGPU=1 the Node adapter must).
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import { createWebGPUTrainer } from '../../src/backend/webgpu/index.js';
import { reductionGroups, weightSplits } from '../../src/backend/webgpu/variants.js';
import { sharedTestDevice } from '../helpers/gpu.js';
import { getGPU } from '../../src/backend/webgpu/device.js';
import { VARIANT_CASES as CASES } from './variant-cases.js';
import { mismatch, statsMismatch } from '../oracle/compare.js';

const SEED = 5;
await init();
const device = await sharedTestDevice();
const subgroups = device?.features.has('subgroups') === true;
if (process.env.REQUIRE_WEBGPU === '1' && device && !subgroups) throw new Error("REQUIRE_WEBGPU=1: this adapter has no 'subgroups' feature, so the subgroup reductions would go untested");
const COMBOS: { kernels: 'direct' | 'tiled'; subgroups: boolean }[] = [
  { kernels: 'direct', subgroups: false }, { kernels: 'tiled', subgroups: false },
  ...(subgroups ? [{ kernels: 'direct', subgroups: true }, { kernels: 'tiled', subgroups: true }] as const : []),
];


// The first case also compiles every pipeline on the software adapter, which a busy host makes slow.
describe.skipIf(!device)('WebGPU kernel variants against the CPU trainer', { timeout: 240_000 }, () => {
  it('the sizes below reach several reduction workgroups and weight-gradient splits', () => {
    expect(reductionGroups(264).groups).toBeGreaterThan(1);
    expect(weightSplits(264, 65, 20)).toBeGreaterThan(1);
    expect(weightSplits(300, 70, 7)).toBeGreaterThan(1);
    expect(weightSplits(272, 5, 20)).toBeGreaterThan(1);
  });

  for (const c of CASES) {
    it(`${c.name}: 'direct' and 'tiled', with and without subgroups, give the CPU trainer's gradients, stats and parameters`, async () => {
      const options = { policy: c.policy, ppo: c.ppo, seed: SEED, parameters: c.params(SEED) };
      const batch = c.makeBatch(SEED);
      const plan = c.makePlan(SEED);
      const cpu = createCpuTrainer(options);
      try {
        const expected = await cpu.computeGradients(batch);
        const updated = await cpu.update(batch, plan);
        const params = await cpu.getParameters();
        for (const combo of COMBOS) {
          const gpu = await createWebGPUTrainer({ ...options, device: device!, ...combo });
          const kernels = `${combo.kernels}${combo.subgroups ? '+subgroups' : ''}`;
          try {
            const got = await gpu.computeGradients(batch);
            expect(gpu.lastVariant?.variant).toBe(combo.kernels);
            expect(gpu.lastVariant?.subgroups).toBe(combo.subgroups);
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
    const gpu = await createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, device: device!, subgroups: false });
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

  it.skipIf(!subgroups)("'auto' subgroups times the variants with and without them and keeps the fastest", async () => {
    const c = CASES[2];
    const gpu = await createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, device: device! });
    try {
      await gpu.update(c.makeBatch(SEED), c.makePlan(SEED));
      const choice = gpu.lastVariant!;
      console.info(`kernel variants with subgroups on this adapter, ms per minibatch: ${JSON.stringify(choice.ms)}`);
      const names = ['direct', 'tiled', 'direct+subgroups', 'tiled+subgroups'] as const;
      expect(choice.ms.direct).toBeGreaterThan(0);
      expect(choice.ms.tiled).toBeGreaterThan(0);
      // A subgroup twin is timed when its tree-sum variant came within 2x of the fastest (on this adapter, direct).
      for (const variant of ['direct', 'tiled'] as const) {
        const timed = choice.ms[variant] < 2 * Math.min(choice.ms.direct, choice.ms.tiled);
        expect(choice.ms[`${variant}+subgroups`]! > 0, variant).toBe(timed);
      }
      const fastest = names.filter((n) => choice.ms[n]! > 0).reduce((a, b) => (choice.ms[b]! < choice.ms[a]! ? b : a));
      expect(`${choice.variant}${choice.subgroups ? '+subgroups' : ''}`).toBe(fastest);
      expect(gpu.counters.submits).toBe(1);
    } finally {
      gpu.dispose();
    }
  });

  it('forced subgroups on a device without the feature are rejected, naming the option', async () => {
    const gpu = await getGPU();
    const plain = await (await gpu!.requestAdapter())!.requestDevice({ label: 'webppo test, no features' });
    const c = CASES[0];
    try {
      await expect(createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, device: plain, subgroups: true }))
        .rejects.toThrow(/options\.subgroups: expected 'auto' or false \(the given device was created without the 'subgroups' feature\), got true/);
      await expect(createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, device: plain, subgroups: 'yes' as never }))
        .rejects.toThrow(/options\.subgroups: expected 'auto', true or false, got "yes"/);
    } finally {
      plain.destroy();
    }
  });

  it("rejects an unknown kernels option, naming it", async () => {
    const c = CASES[0];
    await expect(createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, device: device!, kernels: 'fast' as never }))
      .rejects.toThrow(/options\.kernels: expected 'auto', 'direct' or 'tiled', got "fast"/);
  });
});
