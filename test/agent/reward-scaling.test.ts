// Reward normalization sees every reward: amounts given with addReward join the slot's running discounted
// return like observe()'s per-step rewards, so the scaling statistics are those of all the rewards the game
// gives, however it gives them. Checked against a float64 model: returns as a discounted sum kept per slot,
// and the variance computed in one batch over every return seen (with the scaler's prior of one pseudo-sample
// of weight 1e-4, mean 0, variance 1), not by the scaler's running merge.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, Box, Discrete } from '../../src/index.js';
import { init } from '../../src/init.js';

beforeAll(() => init());

const N = 3, GAMMA = 0.9;

interface Scaler { returns: Float64Array; stats: { var: Float64Array } }

function scalerOf(agent: Agent): Scaler {
  return (agent as unknown as { loop: { rewardScaler: Scaler } }).loop.rewardScaler;
}

const tick = fc.record({
  rewards: fc.array(fc.float({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true }), { minLength: N, maxLength: N }),
  before: fc.array(fc.tuple(fc.integer({ min: 0, max: N - 1 }), fc.double({ min: -5, max: 5, noNaN: true })), { maxLength: 3 }),
  after: fc.array(fc.tuple(fc.integer({ min: 0, max: N - 1 }), fc.double({ min: -5, max: 5, noNaN: true })), { maxLength: 3 }),
  ends: fc.integer({ min: 0, max: 2 * N + 2 }),
});

describe('reward normalization and addReward', () => {
  it('adds addReward amounts to the running returns: statistics equal a float64 model of every reward given', async () => {
    await fc.assert(fc.asyncProperty(fc.array(tick, { minLength: 1, maxLength: 40 }), fc.boolean(), async (ticks, lockstep) => {
      const agent = await Agent.create({
        observationSpace: Box(2), actionSpace: Discrete(2), numAgents: N, backend: 'cpu', seed: 1, network: { hidden: [4] },
        decisionPeriod: lockstep ? 1 : 2, ppo: { numSteps: 1024, numMinibatches: 1, gamma: GAMMA, normalizeRewards: true },
      });
      const obs = new Float32Array(N * 2), rewards = new Float32Array(N), terminated = new Uint8Array(N), truncated = new Uint8Array(N);
      const returns = new Float64Array(N), seen: number[] = [];
      for (const t of ticks) {
        agent.act(obs);
        for (const [slot, x] of t.before) { agent.addReward(slot, x); returns[slot] += x; }
        rewards.set(t.rewards);
        for (let e = 0; e < N; e++) { terminated[e] = t.ends === e ? 1 : 0; truncated[e] = t.ends === e + N ? 1 : 0; }
        agent.observe(rewards, terminated, truncated);
        for (let e = 0; e < N; e++) returns[e] = returns[e] * GAMMA + rewards[e];
        seen.push(...returns);
        for (let e = 0; e < N; e++) if (terminated[e] || truncated[e]) returns[e] = 0;
        for (const [slot, x] of t.after) { agent.addReward(slot, x); returns[slot] += x; }
      }
      const scaler = scalerOf(agent);
      for (let e = 0; e < N; e++) expect(scaler.returns[e]).toBeCloseTo(returns[e], 9);
      const prior = 1e-4, total = prior + seen.length;
      const mean = seen.reduce((a, x) => a + x, 0) / total;
      const m2 = prior * (1 + mean * mean) + seen.reduce((a, x) => a + (x - mean) ** 2, 0);
      expect(scaler.stats.var[0]).toBeCloseTo(m2 / total, 6);
      agent.dispose();
    }), { numRuns: 30, seed: 3 });
  });

  it('stores an addReward amount scaled like a per-step reward, and a slot that leaves or respawns starts its return at 0', async () => {
    const agent = await Agent.create({
      observationSpace: Box(2), actionSpace: Discrete(2), numAgents: 2, backend: 'cpu', seed: 1, network: { hidden: [4] },
      ppo: { numSteps: 64, numMinibatches: 1, gamma: GAMMA, normalizeRewards: true },
    });
    const obs = new Float32Array(4), rewards = Float32Array.of(1, 2), flags = new Uint8Array(2);
    for (let t = 0; t < 5; t++) { agent.act(obs); agent.observe(rewards, flags, flags); }
    const scaler = scalerOf(agent), variance = scaler.stats.var[0];
    agent.act(obs);
    agent.addReward(0, 3);
    expect(scaler.returns[0]).toBeCloseTo((1 - GAMMA ** 5) / (1 - GAMMA) + 3, 9);
    agent.leave(1);
    expect(scaler.returns[1]).toBe(0);
    // The stored step of slot 1 ended with its one reward of the tick so far: none; slot 0's holds 3 / std.
    agent.observe(Float32Array.of(0, 0), flags, flags);
    const staging = (agent as unknown as { loop: { staging: { rewards: Float32Array; count: Int32Array } } }).loop.staging;
    expect(staging.rewards[staging.count[0] - 1]).toBeCloseTo(3 / Math.sqrt(variance + 1e-8), 5);
    agent.spawn(1);
    expect(scaler.returns[1]).toBe(0);
    agent.dispose();
  });
});
