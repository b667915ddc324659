// The Agent on the WebGPU backend (SwiftShader in CI: tiny sizes): asynchronous updates while the game keeps
// acting (lagged batches trained on env segments), and a checkpoint saved on the GPU that resumes on the CPU.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, type UpdateEvent } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { makeEnv } from '../../src/envs/registry.js';
import { vectorize } from '../../src/envs/vector.js';
import { testDevice } from '../helpers/gpu.js';

let available = false;
beforeAll(async () => {
  await init();
  available = (await testDevice()) !== null;
});

describe('Agent on WebGPU', () => {
  it('double-buffers real asynchronous updates and saves a checkpoint the CPU backend loads', async (ctx) => {
    if (!available) return ctx.skip();
    const env = makeEnv('Pendulum-v1');
    const agent = await Agent.create({
      observationSpace: env.observationSpace, actionSpace: env.actionSpace, numAgents: 4, backend: 'webgpu', seed: 1,
      network: { hidden: [8], distribution: 'tanh_normal' }, ppo: { numSteps: 8, numEpochs: 2, numMinibatches: 2, normalizeObservations: true },
    });
    expect(agent.backend).toBe('webgpu');
    const updates: UpdateEvent[] = [];
    agent.on('update', (e) => updates.push(e));
    const venv = vectorize(() => makeEnv('Pendulum-v1'), 4);
    const obs = Float32Array.from(venv.reset({ seed: 1 }).observation);
    for (let t = 0; t < 33; t++) {
      const out = venv.step(agent.act(obs));
      agent.observe(out.reward, out.terminated, out.truncated, { finalObservations: out.info.finalObservation });
      obs.set(out.observation);
      await new Promise((resolve) => setImmediate(resolve)); // the rest of the frame
    }
    await agent.whenIdle();
    expect(updates.map((u) => u.updates)).toEqual([1, 2, 3, 4]);
    expect(updates.some((u) => u.lagged)).toBe(true);
    for (const u of updates) expect(Number.isFinite(u.stats.loss_critic)).toBe(true);
    const loaded = await Agent.load(await agent.save(), { backend: 'cpu' });
    expect(loaded.backend).toBe('cpu');
    expect(await loaded.getParameters()).toEqual(await agent.getParameters());
    expect(Array.from(loaded.predict(obs))).toEqual(Array.from(agent.predict(obs)));
    agent.dispose();
    loaded.dispose();
  });
});
