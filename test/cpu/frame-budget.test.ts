// Slicing an update to a frame budget changes timing, never results: the CPU trainer's startUpdate, run in
// slices of any budget, ends with the same parameter, optimizer-state and stats bits as update() in one go.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import type { Batch, MinibatchPlan, Trainer, UpdateStats } from '../../src/backend/trainer.js';
import type { PPOConfigInput } from '../../src/config.js';
import { Box, Discrete, MultiDiscrete, type ActionSpace } from '../../src/spaces.js';
import { createMinibatchPlan } from '../../src/storage/plan.js';
import type { NetworkSpecInput } from '../../src/policy/network.js';
import { policySpec, randomBatch, trainerOptions } from './helpers.js';

beforeAll(() => init());

interface Case {
  name: string;
  action: ActionSpace;
  network?: NetworkSpecInput;
  ppo?: PPOConfigInput;
  extra?: Parameters<typeof randomBatch>[4];
  unit: 'rows' | 'segments';
  weights?: boolean;
}

const CASES: Case[] = [
  { name: 'discrete, separate tanh networks, shuffled rows', action: Discrete(4), network: { hidden: [16, 16] }, unit: 'rows' },
  {
    name: 'multidiscrete masked, shared relu trunk, V-trace segments with weights, batch normalization',
    action: MultiDiscrete([3, 2]), network: { hidden: [12, 8], shared: true, activation: 'relu' },
    ppo: { normalizeAdvantage: 'batch' }, extra: { masks: true, vtrace: true }, unit: 'segments', weights: true,
  },
  {
    name: 'tanh_normal box, shared trunk, separateLosses, targetKl that stops early',
    action: Box(2, [-1, 0], [1, 2]), network: { hidden: [10], shared: true, distribution: 'tanh_normal' },
    ppo: { separateLosses: true, samplesMcEntropy: 2, targetKl: 0.0005, numEpochs: 3, learningRate: 3e-3 },
    extra: { noiseSamples: 2, vtrace: true }, unit: 'segments',
  },
];

function setup(c: Case): { trainer: () => Trainer; batch: Batch; plan: MinibatchPlan } {
  const policy = policySpec(6, c.action, c.network);
  const ppo: PPOConfigInput = { numSteps: 10, numEpochs: 2, numMinibatches: 2, ...c.ppo };
  const batch = randomBatch(policy, 10, 6, 3, c.extra);
  const plan = createMinibatchPlan({ numSteps: 10, numEnvs: 6, numEpochs: ppo.numEpochs!, numMinibatches: 2, unit: c.unit, mode: 'shuffled', seed: 11 });
  if (c.weights) plan.weights = Float32Array.from(plan.indices, (_, i) => 0.5 + (i % 7) / 7);
  return { trainer: () => createCpuTrainer(trainerOptions(policy, ppo, 5)), batch, plan };
}

async function snapshot(t: Trainer, stats: UpdateStats) {
  return { params: await t.getParameters(), optimizer: await t.getOptimizerState(), stats };
}

describe('frame-budget slicing on the CPU backend', () => {
  for (const c of CASES) {
    it(`${c.name}: sliced updates give the unsliced bits`, async () => {
      const { trainer, batch, plan } = setup(c);
      const whole = trainer();
      const expected = await snapshot(whole, await whole.update(batch, plan));
      whole.dispose();
      for (const budget of [0, 0.02, 0.3]) {
        const sliced = trainer();
        const job = sliced.startUpdate!(batch, plan);
        let turns = 0;
        while (!job.run(budget)) turns++;
        const got = await snapshot(sliced, job.stats!);
        expect(got.params).toEqual(expected.params);
        expect(got.optimizer).toEqual(expected.optimizer);
        expect(got.stats).toEqual(expected.stats);
        expect(job.slices).toBe(turns + 1);
        // Budget 0 runs one step (an atomic step or one 4-row chunk) per slice: many slices per minibatch.
        if (budget === 0) expect(turns).toBeGreaterThan(5 * expected.stats.minibatches);
        sliced.dispose();
      }
      if (c.ppo?.targetKl !== undefined) expect(expected.stats.epochs).toBeLessThan(c.ppo.numEpochs!);
    });
  }

  it('refuses other work while a sliced update is in progress, and reports its slices', async () => {
    const { trainer, batch, plan } = setup(CASES[0]);
    const t = trainer();
    const job = t.startUpdate!(batch, plan);
    expect(job.run(0)).toBe(false);
    expect(() => t.startUpdate!(batch, plan)).toThrow(/in progress/);
    expect(() => t.setParameters(new Float32Array(t.parameterLayout.reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0)))).toThrow(/in progress/);
    await expect(t.update(batch, plan)).rejects.toThrow(/in progress/);
    while (!job.run(1));
    expect(job.slices).toBeGreaterThan(1);
    expect(job.longestSliceMs).toBeGreaterThan(0);
    const whole = await t.update(batch, plan);
    expect(whole.slices).toBeUndefined(); // update() stats stay free of timing, comparable across trainers
    t.dispose();
  });
});
