// Slots that come and go, decision clocks, heuristics and drivers: what the game sees (actions repeat, free
// rows are never read), that every new input is checked with the field named and leaves the agent as it was,
// and that the new paths allocate nothing per tick.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, Box, Discrete, type EpisodeEvent, StateError, ValidationError } from '../../src/index.js';
import { init } from '../../src/init.js';
import { leastHeapGrowth } from '../helpers/heap.js';

beforeAll(() => init());

const N = 4;
const options = { observationSpace: Box(2), actionSpace: Discrete(3), numAgents: N, backend: 'cpu' as const, seed: 5, network: { hidden: [8] }, ppo: { numSteps: 4, numMinibatches: 2 } };

function arrays() {
  return { obs: new Float32Array(N * 2).fill(0.5), rewards: new Float32Array(N), terminated: new Uint8Array(N), truncated: new Uint8Array(N) };
}

describe('slots', () => {
  it('start alive; leave frees a slot, spawn takes the lowest free one, and a full table refuses spawn', async () => {
    const agent = await Agent.create(options);
    expect(Array.from(agent.alive)).toEqual([1, 1, 1, 1]);
    expect(() => agent.spawn()).toThrow(StateError);
    agent.leave(2);
    agent.leave(1);
    expect(Array.from(agent.alive)).toEqual([1, 0, 0, 1]);
    expect(agent.spawn()).toBe(1);
    expect(agent.spawn()).toBe(2);
    agent.dispose();
  });

  it('spawn(slot) takes that free slot; a taken or out-of-range slot is refused with the field named, nothing changed', async () => {
    const agent = await Agent.create(options);
    agent.leave(1);
    agent.leave(3);
    expect(agent.spawn(3)).toBe(3);
    expect(Array.from(agent.alive)).toEqual([1, 0, 1, 1]);
    expect(() => agent.spawn(2)).toThrow(/slot: expected a free slot, got "slot 2, which is alive"/);
    expect(() => agent.spawn(4)).toThrow(ValidationError);
    expect(() => agent.spawn(-1)).toThrow(ValidationError);
    expect(Array.from(agent.alive)).toEqual([1, 0, 1, 1]);
    expect(agent.spawn()).toBe(1);
    agent.dispose();
  });

  it('never reads the rows of free slots, and emits one episode per slot with its own return', async () => {
    const agent = await Agent.create(options);
    const episodes: EpisodeEvent[] = [];
    agent.on('episode', (e) => episodes.push(e));
    const { obs, rewards, terminated, truncated } = arrays();
    agent.act(obs);
    rewards.fill(1);
    agent.observe(rewards, terminated, truncated);
    agent.addReward(3, 2);
    agent.leave(3);
    obs.fill(NaN, 3 * 2);      // a free slot's row may hold anything
    rewards[3] = NaN;
    terminated[3] = 9;
    agent.act(obs);
    agent.observe(rewards, terminated, truncated);
    expect(episodes).toEqual([{ agent: 3, return: 3, length: 1, terminated: true, steps: 4 }]);
    expect(agent.steps).toBe(7);
    agent.dispose();
  });

  it('repeats the last action of a slot that does not decide, on its clock or the game flags', async () => {
    const agent = await Agent.create({ ...options, decisionPeriod: 3 });
    const { obs, rewards, terminated, truncated } = arrays();
    const seen: number[][] = [];
    for (let t = 0; t < 6; t++) {
      for (let i = 0; i < obs.length; i++) obs[i] = Math.sin(t * 7 + i);
      seen.push(Array.from(agent.act(obs)));
      agent.observe(rewards, terminated, truncated);
    }
    expect(agent.steps).toBe(2 * N); // ticks 0 and 3
    for (const t of [1, 2]) expect(seen[t]).toEqual(seen[0]);
    for (const t of [4, 5]) expect(seen[t]).toEqual(seen[3]);
    const decide = new Uint8Array([0, 1, 0, 0]);
    agent.requestDecision(2);
    agent.act(obs, { decide });
    agent.observe(rewards, terminated, truncated);
    expect(agent.steps).toBe(2 * N + 2); // slot 1 (flagged) and slot 2 (requested)
    agent.dispose();
  });

  it('checks every new input with the field named and changes nothing when it rejects', async () => {
    const agent = await Agent.create(options);
    const { obs } = arrays();
    const cases: [() => unknown, RegExp][] = [
      [() => agent.leave(4), /slot: expected an integer in \[0, 3\], got 4/],
      [() => agent.leave(0, { truncated: 1 as never }), /options.truncated: expected a boolean/],
      [() => agent.leave(0, { finalObservation: new Float32Array(3) }), /options.finalObservation: expected a Float32Array of length 2/],
      [() => agent.leave(0, { finalObservation: new Float32Array([0, NaN]) }), /options.finalObservation\[agent 0, 1\]: expected a finite number/],
      [() => agent.leave(0, { final: 1 } as never), /options.final: expected a known option/],
      [() => agent.addReward(0, Infinity), /reward: expected a finite number/],
      [() => agent.addReward(-1, 1), /slot: expected an integer in \[0, 3\], got -1/],
      [() => agent.requestDecision(1.5), /slot: expected an integer/],
      [() => agent.act(obs, { decide: new Uint8Array(3) }), /options.decide: expected a Uint8Array of length 4/],
      [() => agent.act(obs, { decide: new Uint8Array([0, 2, 0, 0]) }), /options.decide\[agent 1\]: expected 0 or 1, got 2/],
      [() => agent.predict(obs, { decide: new Uint8Array(4) }), /options.decide: expected a known option/],
      [() => agent.setHeuristic(0, 'left' as never), /heuristic: expected a function/],
      [() => agent.addDriver([0, 0], { act() {} }), /slots\[1\]: expected a slot without a driver or heuristic, listed once/],
      [() => agent.addDriver([1], {} as never), /driver: expected an object with an act/],
    ];
    const before = await agent.save();
    for (const [call, message] of cases) {
      expect(call).toThrow(ValidationError);
      expect(call).toThrow(message);
    }
    agent.leave(1);
    expect(() => agent.leave(1)).toThrow(/slot: expected an alive slot \(spawn\(\) fills a free one\), got "slot 1, which is free"/);
    expect(() => agent.addReward(1, 1)).toThrow(/slot: expected an alive slot/);
    agent.spawn();
    expect(Buffer.from(await agent.save()).equals(Buffer.from(before))).toBe(true);
    agent.act(obs);
    expect(() => agent.spawn()).toThrow(StateError);
    agent.dispose();
  });

  it('lets a heuristic or a driver replace the policy for its slots, storing none of their steps', async () => {
    const agent = await Agent.create(options);
    const { obs, rewards, terminated, truncated } = arrays();
    const observed: number[] = [];
    agent.setHeuristic(1, (slot, observations, actions) => { observed.push(observations[slot * 2]); actions[slot] = 2; });
    const off = agent.addDriver([3], { act(slots, deciding, _obs, actions) { for (const s of slots) if (deciding[s]) actions[s] = 0; } });
    for (let t = 0; t < 3; t++) {
      obs[2] = t;
      const actions = agent.act(obs);
      expect(actions[1]).toBe(2);
      expect(actions[3]).toBe(0);
      agent.observe(rewards, terminated, truncated);
    }
    expect(observed).toEqual([0, 1, 2]);
    expect(agent.steps).toBe(3 * 2); // only slots 0 and 2 store decisions
    agent.setHeuristic(1, null);
    off();
    agent.act(obs);
    agent.observe(rewards, terminated, truncated);
    expect(agent.steps).toBe(3 * 2 + N);
    agent.dispose();
  });

  it('trains through agents that come and go: rollouts fill and updates run', async () => {
    const agent = await Agent.create({ ...options, decisionPeriod: 2 });
    const { obs, rewards, terminated, truncated } = arrays();
    for (let t = 0; t < 80; t++) {
      agent.act(obs);
      rewards.fill(0.1);
      agent.observe(rewards, terminated, truncated);
      if (t % 5 === 4) agent.leave(t % N);
      if (agent.alive.indexOf(0) >= 0 && t % 3 === 0) agent.spawn();
      await agent.whenIdle();
    }
    expect(agent.updates).toBeGreaterThan(1);
    agent.dispose();
  });
});

describe('zero allocation per tick', () => {
  it('act (decide flags, periods, free slots, a heuristic), addReward, observe, leave and spawn allocate nothing', async () => {
    const n = 6;
    // numSteps so large that no rollout fills: the update is not on the per-tick path.
    const agent = await Agent.create({ ...options, numAgents: n, decisionPeriod: 3, ppo: { numSteps: 65536, numMinibatches: 2 } });
    const obs = new Float32Array(n * 2).fill(0.25), rewards = new Float32Array(n).fill(0.5);
    const terminated = new Uint8Array(n), truncated = new Uint8Array(n), decide = new Uint8Array(n);
    const withDecide = { decide };
    agent.setHeuristic(5, (slot, _o, actions) => { actions[slot] = 1; });
    const tick = (t: number) => {
      for (let e = 0; e < n; e++) decide[e] = (e + t) % 3 === 0 ? 1 : 0;
      agent.act(obs, t % 2 === 0 ? withDecide : undefined);
      if (agent.alive[t % n]) agent.addReward(t % n, 1);
      terminated[(t * 7) % n] = t % 4 === 0 ? 1 : 0;
      agent.observe(rewards, terminated, truncated);
      const slot = (t * 5) % n;
      if (agent.alive[slot] && t % 3 === 0) agent.leave(slot);
      if (t % 2 === 1 && agent.alive.indexOf(0) >= 0) agent.spawn();
    };
    const grown = await leastHeapGrowth(tick);
    expect(grown).toBeLessThan(700_000);
    agent.dispose();
  });
  it('lockstep act, addReward and observe allocate nothing (written straight into the rollout), episode ends included', async () => {
    const n = 4;
    // numSteps so large that no rollout fills within the ticks measured (at most 10k + 8 x 15k): the update is
    // not on the per-tick path.
    const agent = await Agent.create({ observationSpace: Box(2), actionSpace: Discrete(3), numAgents: n, backend: 'cpu', seed: 3, network: { hidden: [8] }, ppo: { numSteps: 131072, numMinibatches: 2 } });
    const obs = new Float32Array(n * 2).fill(0.25), rewards = new Float32Array(n).fill(0.5), terminated = new Uint8Array(n), truncated = new Uint8Array(n);
    const tick = (t: number) => {
      agent.act(obs);
      agent.addReward(t % n, 1);
      terminated[(t * 7) % n] = t % 4 === 0 ? 1 : 0;
      agent.observe(rewards, terminated, truncated);
    };
    const grown = await leastHeapGrowth(tick, 10_000, 15_000);
    // 16 bytes a tick, the least an allocation takes, would be 240 kB per window.
    expect(grown).toBeLessThan(200_000);
    expect(agent.updates + agent.pendingUpdates).toBe(0);
    // It was the direct path: the staging holds nothing.
    const staging = (agent as unknown as { loop: { staging: { count: Int32Array } } }).loop.staging;
    expect(Array.from(staging.count)).toEqual(new Array(n).fill(0));
    agent.dispose();
  });
});

describe('checkpoints of agents that come and go', () => {
  it('resume bit-exact: slot table, staged decisions, the unfinished rollout and its stream state', async () => {
    const make = () => Agent.create({ ...options, decisionPeriod: 2, ppo: { numSteps: 4, numMinibatches: 2, normalizeRewards: true, normalizeObservations: true } });
    const agent = await make();
    const { obs, rewards, terminated, truncated } = arrays();
    const decide = new Uint8Array(N);
    const tick = (a: Agent, t: number): number[] => {
      for (let i = 0; i < obs.length; i++) obs[i] = Math.sin(t * 1.7 + i);
      for (let e = 0; e < N; e++) decide[e] = (t + e) % 3 === 0 ? 1 : 0;
      const actions = Array.from(a.act(obs, t % 4 === 1 ? { decide } : undefined));
      if (a.alive[t % N]) a.addReward(t % N, 0.5);
      for (let e = 0; e < N; e++) { rewards[e] = Math.cos(t + e); terminated[e] = (t + e) % 9 === 0 ? 1 : 0; truncated[e] = 0; }
      a.observe(rewards, terminated, truncated);
      if (t % 5 === 2 && a.alive[(t * 3) % N]) a.leave((t * 3) % N, { truncated: t % 2 === 0, finalObservation: obs.subarray(0, 2) });
      if (t % 3 === 0 && a.alive.indexOf(0) >= 0) a.spawn();
      return actions;
    };
    for (let t = 0; t < 23; t++) { tick(agent, t); await agent.whenIdle(); }
    const bytes = await agent.save();
    const restored = await Agent.load(bytes, { backend: 'cpu' });
    const again = await restored.save();
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    expect(Array.from(restored.alive)).toEqual(Array.from(agent.alive));
    for (let t = 23; t < 60; t++) {
      expect(tick(restored, t)).toEqual(tick(agent, t));
      await agent.whenIdle();
      await restored.whenIdle();
    }
    expect(agent.updates).toBeGreaterThan(3);
    expect(restored.steps).toBe(agent.steps);
    expect(Array.from(await restored.getParameters())).toEqual(Array.from(await agent.getParameters()));
    agent.dispose();
    restored.dispose();
  });
});
