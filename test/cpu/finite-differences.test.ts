// The CPU trainer's analytic gradients against central finite differences of its own total loss, on tiny
// networks covering each head, activation, trunk layout and loss option. Independent of any oracle.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import { Box, Discrete, MultiDiscrete } from '../../src/spaces.js';
import { policySpec, randomBatch, trainerOptions } from './helpers.js';

const cases = [
  { name: 'discrete, tanh, separate networks', policy: policySpec(3, Discrete(4)), ppo: {}, extra: {} },
  {
    name: 'masked multi-discrete, relu, shared trunk, value clip, smooth_l1, weights',
    policy: policySpec(3, MultiDiscrete([3, 2]), { shared: true, activation: 'relu' }),
    ppo: { clipValue: 0.1, lossCriticType: 'smooth_l1' }, extra: { masks: true, weights: true },
  },
  { name: 'normal box, l1, sum reduction', policy: policySpec(3, Box(2)), ppo: { lossCriticType: 'l1', reduction: 'sum' }, extra: {} },
  {
    name: 'tanh_normal box, MC entropy from given noise',
    policy: policySpec(3, Box(2, -2, 1), { distribution: 'tanh_normal' }),
    ppo: { samplesMcEntropy: 3, entropyCoef: 0.5 }, extra: { noiseSamples: 3 },
  },
  {
    name: 'shared trunk with separate losses, asymmetric clip, no entropy bonus',
    policy: policySpec(3, Discrete(3), { shared: true }),
    ppo: { separateLosses: true, clipEpsilon: [0.1, 0.4], entropyBonus: false }, extra: {},
  },
] as const;

describe('cpu trainer gradients match finite differences', () => {
  beforeAll(() => init());
  for (const { name, policy, ppo, extra } of cases) {
    it(name, async () => {
      const trainer = createCpuTrainer(trainerOptions(policy, { clipEpsilon: 0.3, ...ppo } as never));
      const batch = randomBatch(policy, 3, 2, 5, extra);
      const { grads } = await trainer.computeGradients(batch);
      const theta = await trainer.getParameters();
      // separateLosses: the trunk (and actor) see only the policy loss; the critic head sees the total.
      const separate = 'separateLosses' in ppo && ppo.separateLosses;
      const criticAt = trainer.parameterLayout.find((p) => p.name.startsWith('critic'))!.offset;
      const loss = async (q: Float32Array, i: number) => {
        trainer.setParameters(q);
        const s = (await trainer.computeGradients(batch)).stats;
        return s.loss_objective + s.loss_entropy + (separate && i < criticAt ? 0 : s.loss_critic);
      };
      const h = 1e-2;
      let worst = 0;
      for (let i = 0; i < theta.length; i++) {
        const up = theta.slice(); up[i] += h;
        const down = theta.slice(); down[i] -= h;
        const fd = ((await loss(up, i)) - (await loss(down, i))) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - grads[i]) / (Math.abs(fd) + 1e-2));
      }
      expect(worst).toBeLessThan(0.02);
      expect(grads.some((g) => g !== 0)).toBe(true);
      trainer.dispose();
    });
  }
});
