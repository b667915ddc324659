// An Agent training on the CPU backend in the game's thread cuts its updates into frame-budget slices: the
// same training as unsliced, slices reported in the update stats, trainFor() handing over a frame's spare time.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, type UpdateEvent } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { ValidationError } from '../../src/errors.js';
import { Discrete } from '../../src/spaces.js';
import { Box } from '../../src/spaces.js';

beforeAll(() => init());

const options = {
  observationSpace: Box(6), actionSpace: Discrete(3), backend: 'cpu' as const, seed: 9, numAgents: 4,
  network: { hidden: [32, 32] }, ppo: { numSteps: 16, numEpochs: 2, numMinibatches: 2 },
};

/** A toy game: reward for matching the action to the sign pattern of the observation. */
async function play(agent: Agent, ticks: number, between?: () => Promise<void>): Promise<UpdateEvent[]> {
  const events: UpdateEvent[] = [];
  agent.on('update', (e) => events.push(e));
  const obs = new Float32Array(4 * 6);
  const rewards = new Float32Array(4);
  const none = new Uint8Array(4);
  for (let t = 0; t < ticks; t++) {
    for (let i = 0; i < obs.length; i++) obs[i] = Math.sin(t * 0.7 + i * 1.3);
    const actions = agent.act(obs);
    for (let e = 0; e < 4; e++) rewards[e] = actions[e] === (obs[e * 6] > 0 ? 1 : 0) ? 1 : 0;
    agent.observe(rewards, none, none);
    if (between) await between();
  }
  await agent.whenIdle();
  return events;
}

describe('frame budget', () => {
  it('slices change timing, never training: same checkpoint bytes as unsliced, slices reported', async () => {
    const results: { bytes: Uint8Array; events: UpdateEvent[] }[] = [];
    for (const frameBudgetMs of [0, 0.05]) {
      const agent = await Agent.create({ ...options, frameBudgetMs });
      // Wait for each update before the next tick, so both agents act with the same policies.
      const events = await play(agent, 65, async () => { if (agent.pendingUpdates > 0) await agent.whenIdle(); });
      results.push({ bytes: await agent.save(), events });
      agent.dispose();
    }
    const [whole, sliced] = results;
    expect(whole.events.length).toBe(4);
    expect(sliced.bytes).toEqual(whole.bytes);
    expect(whole.events.map((e) => e.stats.slices)).toEqual([1, 1, 1, 1]);
    for (const e of sliced.events) {
      expect(e.stats.slices!).toBeGreaterThan(4);
      expect(e.stats.longestSliceMs!).toBeGreaterThan(0);
    }
  });

  it('trainFor(ms) runs the update in progress now, within what it was given', async () => {
    const agent = await Agent.create({ ...options, frameBudgetMs: 0.01 });
    expect(agent.trainFor(5)).toBe(0); // nothing to train yet
    const events: UpdateEvent[] = [];
    agent.on('update', (e) => events.push(e));
    const obs = new Float32Array(24).fill(0.1);
    const zero = new Uint8Array(4);
    for (let t = 0; t < 17; t++) { // the update starts at the act() after the 16-tick rollout
      agent.act(obs);
      agent.observe(new Float32Array(4).fill(1), zero, zero);
    }
    expect(agent.pendingUpdates).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the update starts: its first slice runs
    let used = 0;
    for (let frame = 0; frame < 1000 && events.length === 0; frame++) {
      used += agent.trainFor(50);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await agent.whenIdle();
    expect(events.length).toBe(1);
    expect(used).toBeGreaterThan(0);
    expect(() => agent.trainFor(-1)).toThrow(ValidationError);
    expect(() => agent.trainFor(Number.NaN)).toThrow(/ms: expected a finite number/);
    agent.dispose();
  });

  it('validates frameBudgetMs and lets the game change it', async () => {
    await expect(Agent.create({ ...options, frameBudgetMs: -1 })).rejects.toThrow(/frameBudgetMs: expected a finite number in \[0, Infinity\], got -1/);
    const agent = await Agent.create(options);
    expect(agent.frameBudgetMs).toBe(2);
    agent.frameBudgetMs = 0.5;
    expect(agent.frameBudgetMs).toBe(0.5);
    expect(() => { agent.frameBudgetMs = Number.POSITIVE_INFINITY; }).toThrow(ValidationError);
    expect(agent.frameBudgetMs).toBe(0.5);
    agent.dispose();
  });
});
