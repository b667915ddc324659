// Lockstep (every agent acts and observes every tick) is the simplest case of agents that come and go: the
// slot and decision machinery must leave it bit-identical. These fingerprints were recorded from the agent
// before slots existed; any change to what lockstep stores, trains or samples changes them.
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Agent } from '../../src/index.js';
import { init } from '../../src/init.js';
import { Box, Discrete } from '../../src/spaces.js';

beforeAll(() => init());

function hash(...arrays: ArrayBufferView[]): string {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 16);
}

/** A seeded lockstep run with episode ends and truncations; returns fingerprints of every action and the final parameters. */
async function run(box: boolean): Promise<{ actions: string; parameters: string; steps: number; updates: number }> {
  const n = 3, size = 4;
  const agent = await Agent.create({
    observationSpace: Box(size), actionSpace: box ? Box(2, -1, 1) : Discrete(3), numAgents: n, backend: 'cpu', seed: 11,
    network: { hidden: [8] }, ppo: { numSteps: 8, numMinibatches: 2, numEpochs: 2, normalizeObservations: box, normalizeRewards: box },
  });
  const obs = new Float32Array(n * size), finals = new Float32Array(n * size);
  const rewards = new Float32Array(n), terminated = new Uint8Array(n), truncated = new Uint8Array(n);
  const seen = new Float32Array(40 * n * (box ? 2 : 1));
  for (let t = 0; t < 40; t++) {
    for (let i = 0; i < obs.length; i++) obs[i] = Math.sin(t * 1.3 + i * 0.7);
    const actions = agent.act(obs);
    for (let i = 0; i < actions.length; i++) seen[t * actions.length + i] = actions[i];
    for (let e = 0; e < n; e++) {
      rewards[e] = Math.cos(t + e) + (box ? actions[e * 2] : actions[e]) * 0.1;
      terminated[e] = (t + e) % 7 === 6 ? 1 : 0;
      truncated[e] = (t + 2 * e) % 11 === 10 ? 1 : 0;
    }
    for (let i = 0; i < finals.length; i++) finals[i] = Math.cos(t + i);
    agent.observe(rewards, terminated, truncated, { finalObservations: finals });
    await agent.whenIdle();
  }
  const parameters = await agent.getParameters();
  const out = { actions: hash(seen), parameters: hash(parameters), steps: agent.steps, updates: agent.updates };
  agent.dispose();
  return out;
}

describe('lockstep is unchanged', () => {
  it('discrete: the same actions and trained parameters as before slots existed', async () => {
    expect(await run(false)).toEqual({ actions: '3ae2eeca98602291', parameters: '383d2dc3e7a4b02d', steps: 120, updates: 4 });
  });
  it('box with normalized observations and rewards: the same actions and parameters', async () => {
    expect(await run(true)).toEqual({ actions: '8aff77b576abac29', parameters: '4b51259c2053a03e', steps: 120, updates: 4 });
  });
});
