// A recurrent agent on the WebGPU backend: the game loop is backend-agnostic (acting and the stored states run
// on the CPU either way), so one rollout of the same game must update the WebGPU agent's parameters to what the
// CPU agent's trainer computes, within the trainers' usual tolerance.
import { describe, expect, it } from 'vitest';
import { Agent, type AgentOptions } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete } from '../../src/spaces.js';
import { sharedTestDevice } from '../helpers/gpu.js';
import { mismatch } from '../oracle/compare.js';

await init();
const device = await sharedTestDevice();

describe.skipIf(!device)('recurrent agent on WebGPU', () => {
  for (const network of [
    { hidden: [6], memory: { cell: 'lstm' as const, size: 5, sequenceLength: 4 } },
    { hidden: [4], shared: true, memory: { cell: 'gru' as const, size: 6 } },
  ]) {
    it(`${network.memory.cell}: one rollout with an episode end trains to the CPU agent's parameters`, async () => {
      const n = 3, steps = 8;
      const options = (backend: 'cpu' | 'webgpu'): AgentOptions => ({
        observationSpace: Box(3), actionSpace: Discrete(3), numAgents: n, backend, seed: 5, frameBudgetMs: 0, network,
        ppo: { numSteps: steps, numMinibatches: n, numEpochs: 2 },
      });
      const agents = [await Agent.create(options('cpu')), await Agent.create(options('webgpu'))];
      expect(agents[1].backend).toBe('webgpu');
      const rng = new PCG32(11);
      const obs = new Float32Array(n * 3), rewards = new Float32Array(n), terminated = new Uint8Array(n), truncated = new Uint8Array(n);
      for (let t = 0; t < steps; t++) {
        for (let i = 0; i < obs.length; i++) obs[i] = rng.nextFloat() * 2 - 1;
        for (let e = 0; e < n; e++) rewards[e] = rng.nextFloat();
        terminated.fill(0);
        if (t === 4) terminated[1] = 1;
        for (const agent of agents) {
          agent.act(obs);
          agent.observe(rewards, terminated, truncated);
        }
      }
      const next = new Float32Array(n * 3).fill(0.5);
      for (const agent of agents) {
        expect(agent.rolloutReady).toBe(true);
        agent.finishRollout(next);
        await agent.whenIdle();
        expect(agent.updates).toBe(1);
      }
      const [cpu, gpu] = [await agents[0].getParameters(), await agents[1].getParameters()];
      expect(gpu.some((v, i) => v !== cpu[i])).toBe(true);
      expect(mismatch(gpu, cpu)).toBeNull();
      for (const agent of agents) agent.dispose();
    }, 120_000);
  }
});
