// End to end on the CPU backend: CpuPolicy acts, the trainer updates, the policy takes the new parameters.
// A contextual bandit (reward 1 when the action names the sign of obs[0], else 0; masks forbid one action on
// some rows) and a 1-d Gaussian target must be learned within a few dozen updates.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete } from '../../src/spaces.js';
import { policySpec, trainerOptions } from './helpers.js';

describe('cpu backend learns', () => {
  beforeAll(() => init());

  it('a masked contextual bandit', async () => {
    const policy = policySpec(2, Discrete(3), { hidden: [16] });
    const trainer = createCpuTrainer(trainerOptions(policy, { learningRate: 0.02, numEpochs: 4, numMinibatches: 4 }, 3));
    const cpu = new CpuPolicy(policy, { seed: 3, parameters: await trainer.getParameters() });
    const agents = 256;
    const rng = new PCG32(1, 2);
    const obs = new Float32Array(agents * 2);
    const masks = new Uint8Array(agents * 3);
    const out = { actions: new Int32Array(agents), logProbs: new Float32Array(agents), values: new Float32Array(agents) };
    const round = (deterministic: boolean) => {
      for (let a = 0; a < agents; a++) {
        obs[a * 2] = rng.nextFloat() * 2 - 1;
        obs[a * 2 + 1] = rng.nextNormal();
        masks.set([1, 1, rng.nextFloat() < 0.5 ? 0 : 1], a * 3); // action 2 never pays, sometimes forbidden
      }
      cpu.act(obs, out, { masks, deterministic });
      return Float32Array.from(out.actions, (action, a) => (action === (obs[a * 2] > 0 ? 1 : 0) ? 1 : 0));
    };
    const accuracy = () => round(true).reduce((s, r) => s + r, 0) / agents;
    const before = accuracy();
    for (let update = 0; update < 40; update++) {
      const rewards = round(false);
      for (let a = 0; a < agents; a++) expect(masks[a * 3 + out.actions[a]]).toBe(1);
      await trainer.update({
        numSteps: 1, numEnvs: agents, observations: obs.slice(), actions: out.actions.slice(), logProbs: out.logProbs.slice(),
        values: out.values.slice(), advantages: rewards.map((r, a) => r - out.values[a]), returns: rewards, masks: masks.slice(),
      });
      cpu.setParameters(await trainer.getParameters());
    }
    expect(before).toBeLessThan(0.75);
    expect(accuracy()).toBeGreaterThan(0.95);
    cpu.dispose();
    trainer.dispose();
  });

  it('a tanh_normal target inside the box', async () => {
    const policy = policySpec(1, Box(1, -2, 2), { hidden: [8], distribution: 'tanh_normal' });
    const trainer = createCpuTrainer(trainerOptions(policy, { learningRate: 0.01 }, 5));
    const cpu = new CpuPolicy(policy, { seed: 5, parameters: await trainer.getParameters() });
    const agents = 128;
    const obs = new Float32Array(agents).fill(1);
    const out = { actions: new Float32Array(agents), squashedActions: new Float32Array(agents), logProbs: new Float32Array(agents), values: new Float32Array(agents) };
    const target = 1.2;
    for (let update = 0; update < 40; update++) {
      cpu.act(obs, out);
      const rewards = out.squashedActions.map((a) => -((a - target) ** 2));
      await trainer.update({
        numSteps: 1, numEnvs: agents, observations: obs, actions: out.actions.slice(), logProbs: out.logProbs.slice(),
        values: out.values.slice(), advantages: rewards.map((r, a) => r - out.values[a]), returns: rewards,
      });
      cpu.setParameters(await trainer.getParameters());
    }
    cpu.act(obs, out, { deterministic: true });
    expect(Math.abs(out.squashedActions[0] - target)).toBeLessThan(0.15);
    cpu.dispose();
    trainer.dispose();
  });
});
