// Imitation through an agent trained on WebGPU (SwiftShader in CI: tiny sizes): pretrain() lands on the same
// parameters as on the CPU backend, and cloning during PPO reports its stats in the update event; a recurrent
// network's cloning (CPU only) is refused with the field named.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, Box, DemonstrationRecorder, Discrete } from '../../src/index.js';
import { init } from '../../src/init.js';
import { PCG32 } from '../../src/rng.js';
import { testDevice } from '../helpers/gpu.js';

let available = false;
beforeAll(async () => {
  await init();
  available = (await testDevice()) !== null;
});

function demonstration() {
  const rng = new PCG32(5, 1);
  const recorder = new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: Discrete(2) });
  const obs = new Float32Array(3), action = new Int32Array(1), reward = Float32Array.of(1), flag = new Uint8Array(1);
  for (let t = 0; t < 64; t++) {
    for (let k = 0; k < 3; k++) obs[k] = rng.nextNormal();
    action[0] = obs[0] > 0 ? 1 : 0;
    recorder.record(obs, action, undefined, reward, flag, flag);
  }
  return recorder.toDemonstration();
}

describe('imitation on the WebGPU backend', () => {
  it('pretrain() matches the CPU backend; behavioralCloning stats join the update event', async (ctx) => {
    if (!available) return ctx.skip();
    const demo = demonstration();
    const options = {
      observationSpace: Box(3), actionSpace: Discrete(2), numAgents: 2, seed: 4, network: { hidden: [8] },
      ppo: { numSteps: 4, numEpochs: 1, numMinibatches: 1 }, behavioralCloning: { demonstrations: demo, batchSize: 32 },
    };
    const gpu = await Agent.create({ ...options, backend: 'webgpu' });
    const cpu = await Agent.create({ ...options, backend: 'cpu' });
    expect(gpu.backend).toBe('webgpu');
    const pre = { epochs: 2, batchSize: 16, learningRate: 0.01, seed: 3 };
    const [g, c] = [await gpu.pretrain(demo, pre), await cpu.pretrain(demo, pre)];
    expect(g[1].loss_bc).toBeCloseTo(c[1].loss_bc, 4);
    const [pg, pc] = [await gpu.getParameters(), await cpu.getParameters()];
    for (let i = 0; i < pg.length; i++) expect(pg[i]).toBeCloseTo(pc[i], 4);
    const events: unknown[] = [];
    gpu.on('update', (e) => events.push(e.behavioralCloning));
    const obs = new Float32Array(6).fill(0.5);
    for (let t = 0; t < 5; t++) {
      gpu.act(obs);
      gpu.observe(new Float32Array(2).fill(1), new Uint8Array(2), new Uint8Array(2));
      await gpu.whenIdle();
    }
    expect(events.length).toBe(1);
    expect(events[0]).toMatchObject({ minibatches: 2 });
    gpu.dispose();
    cpu.dispose();
  }, 60_000);

  it('refuses to clone a recurrent network, naming network.memory, and leaves the agent as it was', async (ctx) => {
    if (!available) return ctx.skip();
    const demo = demonstration();
    const options = {
      observationSpace: Box(3), actionSpace: Discrete(2), numAgents: 2, seed: 4, backend: 'webgpu' as const,
      network: { hidden: [4], memory: { cell: 'gru' as const, size: 4 } }, ppo: { numSteps: 4, numEpochs: 1, numMinibatches: 1, normalizeObservations: true },
    };
    await expect(Agent.create({ ...options, behavioralCloning: { demonstrations: demo } })).rejects.toThrow(/network\.memory: expected a feed-forward network for behaviour cloning on the webgpu backend/);
    const agent = await Agent.create(options);
    const before = await agent.save();
    await expect(agent.pretrain(demo, { epochs: 1, batchSize: 8 })).rejects.toThrow(/network\.memory: expected a feed-forward network for behaviour cloning on the webgpu backend/);
    expect(await agent.save()).toEqual(before);
    agent.dispose();
  }, 60_000);
});
