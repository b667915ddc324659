// A short learning guard for memory, through train() on the CPU backend: on CueRecall with 3 cues and a delay
// of 2-6 blank steps, an LSTM and a GRU agent that start far from it answer right on >= 95% of 96 deterministic
// episodes within 24k steps (they get there in about 8k), and the same agent without memory, trained as long,
// ends at chance (1/3), as the env's construction says it must. The full targets are in bench/learn.ts
// (npm run bench:learn).
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { CueRecall } from '../../src/envs/cue-recall.js';
import { makeEnv } from '../../src/envs/registry.js';
import { init } from '../../src/init.js';
import type { MemoryCell } from '../../src/policy/network.js';
import { presetFor } from '../../src/presets.js';
import { evaluateAgent, train } from '../../src/train.js';

beforeAll(() => init());

const cueRecall = () => new CueRecall({ cues: 3, minDelay: 2, maxDelay: 6 });
const settings = {
  observationSpace: cueRecall().observationSpace, actionSpace: cueRecall().actionSpace, numAgents: 8, backend: 'cpu' as const, seed: 1,
  ppo: { numSteps: 32, numEpochs: 4, numMinibatches: 2, learningRate: 3e-3, entropyCoef: 0.01 },
};
const BUDGET = 24_576;
const TARGET = 0.95;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const NAMES: Record<MemoryCell, string> = { lstm: 'an LSTM', gru: 'a GRU' };

describe('learning with memory (CueRecall, 3 cues, delay 2-6)', () => {
  for (const cell of ['lstm', 'gru'] as MemoryCell[]) {
    it(`${NAMES[cell]} agent learns to remember the cue within ${BUDGET} steps`, async () => {
      const agent = await Agent.create({ ...settings, network: { hidden: [16], memory: { cell, size: 16 } } });
      // Untrained, it is far from the target: what follows is learned.
      expect(mean(await evaluateAgent(agent, cueRecall, 96, 12345))).toBeLessThan(0.7);
      const controller = new AbortController();
      let reached: number | undefined;
      const evaluations: number[] = [];
      await train(agent, cueRecall, {
        totalSteps: BUDGET, signal: controller.signal, evaluate: { every: 4096, episodes: 96 },
        onProgress: (e) => {
          if (e.type !== 'eval') return;
          evaluations.push(e.meanReturn);
          if (e.meanReturn >= TARGET) { reached = e.steps; controller.abort(); }
        },
      });
      agent.dispose();
      expect(reached, `evaluations: ${evaluations.join(', ')}`).toBeDefined();
    }, 120_000);
  }

  it('the same agent without memory ends at chance', async () => {
    const agent = await Agent.create({ ...settings, network: { hidden: [16] } });
    await train(agent, cueRecall, { totalSteps: BUDGET });
    const returns = await evaluateAgent(agent, cueRecall, 600, 12345);
    agent.dispose();
    // Within 3 binomial standard deviations of 1/3 (600 episodes: sd 0.019).
    expect(Math.abs(mean(returns) - 1 / 3)).toBeLessThan(3 * Math.sqrt((1 / 3) * (2 / 3) / 600));
  }, 120_000);
});

describe('presets of the envs that need memory', () => {
  for (const id of ['CartPoleNoVelocity-v1', 'CueRecall-v0']) {
    it(`${id}: a recurrent agent from the preset (what webppo train uses) trains and evaluates`, async () => {
      const env = makeEnv(id);
      const { agent: settings } = presetFor(id);
      expect(settings.network?.memory?.cell).toBe('lstm');
      const agent = await Agent.create({ ...settings, observationSpace: env.observationSpace, actionSpace: env.actionSpace, backend: 'cpu', seed: 2 });
      const steps = 2 * agent.numAgents * (settings.ppo?.numSteps ?? 0);
      const result = await train(agent, () => makeEnv(id), { totalSteps: steps, evaluate: { every: steps, episodes: 8 } });
      agent.dispose();
      expect([result.steps, result.updates, result.evaluations.length]).toEqual([steps, 2, 1]);
      expect(Number.isFinite(result.evaluations[0].meanReturn)).toBe(true);
    }, 60_000);
  }
});
