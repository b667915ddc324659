// Divergence on the CPU backend: an update that produces a non-finite loss, parameter or Adam moment is rolled
// back to the state before it, the agent keeps acting with its last good policy, a 'diverged' event says what
// and why, and save() never writes a non-finite value.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { train } from '../../src/train.js';
import { cartpole, DIVERGING, divergesAndRollsBack, gameLoop, spaces } from './helpers.js';

beforeAll(() => init());

const F32_MAX = 3.4e38;

describe('divergence on the CPU backend', () => {
  for (const c of DIVERGING) {
    it(`${c.name}: rolled back, reported with its cause, never saved`, () => divergesAndRollsBack('cpu', c));
  }

  it('restores the Adam state too: training goes on exactly as if the diverged update had not run', async () => {
    const options = { ...spaces, numAgents: 2, backend: 'cpu' as const, seed: 9, ppo: { numSteps: 4, numEpochs: 2, numMinibatches: 2 } };
    // Same rewards everywhere except one huge reward inside the second rollout, whose update is rolled back.
    const clean = await Agent.create(options);
    const poisoned = await Agent.create(options);
    const a = gameLoop(clean);
    const b = gameLoop(poisoned, (t, r) => { if (t === 5) r[1] = F32_MAX; });
    for (let t = 0; t < 5; t++) { a.tick(); b.tick(); } // rollout 1 trained by both
    await clean.whenIdle();
    await poisoned.whenIdle();
    expect(await poisoned.getParameters()).toEqual(await clean.getParameters());
    const cleanSave = await clean.save();
    for (let t = 0; t < 4; t++) b.tick(); // rollout 2 (poisoned) -> diverges at the next act()
    b.tick();
    await poisoned.whenIdle();
    expect(poisoned.health.divergences).toBe(1);
    expect(poisoned.updates).toBe(1);
    // Parameters and Adam state are exactly those after update 1.
    const back = await Agent.load(cleanSave);
    expect(await poisoned.getParameters()).toEqual(await back.getParameters());
    const saved = await Agent.load(await poisoned.save());
    expect(await saved.getParameters()).toEqual(await back.getParameters());
    // Training goes on: the next rollout updates normally.
    for (let t = 0; t < 4; t++) b.tick();
    b.tick();
    await poisoned.whenIdle();
    expect(poisoned.updates).toBe(2);
    expect(poisoned.health.divergences).toBe(1);
    for (const x of await poisoned.getParameters()) expect(Number.isFinite(x)).toBe(true);
    for (const agent of [clean, poisoned, back, saved]) agent.dispose();
  });

  it('train() reports divergence as progress and keeps going with the last good policy', async () => {
    const agent = await Agent.create({ ...spaces, numAgents: 2, backend: 'cpu', seed: 1, ppo: { numSteps: 8, numMinibatches: 2, learningRate: 1e38, annealLearningRate: false } });
    const before = await agent.getParameters();
    const diverged: string[] = [];
    const result = await train(agent, cartpole, { totalSteps: 64, onProgress: (e) => { if (e.type === 'diverged') diverged.push(e.message); } });
    expect(result.steps).toBe(64);
    expect(result.updates).toBe(0);
    expect(diverged).toHaveLength(4);
    expect(diverged[0]).toMatch(/learningRate is 1e38/);
    expect(await agent.getParameters()).toEqual(before);
    agent.dispose();
  });
});
