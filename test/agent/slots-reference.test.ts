// Agents that come and go, deciding on their own clock, against an independent float64 reference: the test
// keeps its own record of every decision (which slot, which observation, the rewards that arrived until the
// slot decided again, how its episode ended) and computes plain GAE along each slot's trajectory. Every row of
// every rollout the agent produced must be one of those decisions (matched by its observation), each decision
// must appear exactly once, and the rows' advantages and returns must equal the reference's. Like a lockstep
// rollout's end, a slot's trajectory may be split between columns (a stretch): the split step bootstraps from
// its successor's value and the advantage tail stops there, which is what the reference does at each split.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, Box, CpuPolicy, Discrete } from '../../src/index.js';
import { init } from '../../src/init.js';
import type { RolloutBuffer } from '../../src/storage/rollout-buffer.js';
import { PCG32 } from '../../src/rng.js';

beforeAll(() => init());

const RUNS = Number(process.env.FUZZ_RUNS ?? 0) || 12;
const N = 4, T = 5, SIZE = 3, GAMMA = 0.9, LAMBDA = 0.8;

interface Decision { key: number; reward: number; terminated: boolean; truncated: boolean; bootstrap: number; done: boolean }
interface Row { key: number; value: number; advantage: number; returns: number; action: number; rollout: number; column: number; time: number }

/**
 * Plain GAE (ratio 1) along one slot's decisions, in float64; the value of a decision comes from its stored row,
 * and `joined(a, b)` says whether b's row directly follows a's in the same column.
 */
function referenceGae(decisions: Decision[], value: (key: number) => number, joined: (a: number, b: number) => boolean): Map<number, { advantage: number; returns: number }> {
  const out = new Map<number, { advantage: number; returns: number }>();
  let next = 0, carry = 0;
  for (let t = decisions.length - 1; t >= 0; t--) {
    const d = decisions[t];
    const v = value(d.key);
    // A step that did not end its episode bootstraps from its successor's value; the successor's advantage
    // flows back only within a stretch.
    const nextValue = d.done ? (d.terminated ? 0 : d.bootstrap) : next;
    const delta = d.reward + GAMMA * nextValue - v;
    const within = !d.done && joined(d.key, decisions[t + 1].key);
    const advantage = delta + (within ? GAMMA * LAMBDA * carry : 0);
    out.set(d.key, { advantage, returns: advantage + v });
    next = v;
    carry = advantage;
  }
  return out;
}

async function run(seed: number, period: number): Promise<void> {
  const agent = await Agent.create({
    observationSpace: Box(SIZE), actionSpace: Discrete(3), numAgents: N, backend: 'cpu', seed, decisionPeriod: period,
    network: { hidden: [8] }, ppo: { numSteps: T, numMinibatches: 2, gamma: GAMMA, gaeLambda: LAMBDA },
  });
  const critic = new CpuPolicy({ observationSize: SIZE, actionSpace: Discrete(3), network: agent.options.network }, { parameters: await agent.getParameters(), maxAgents: N });
  const criticOut = { actions: new Int32Array(N), logProbs: new Float32Array(N), values: new Float32Array(N) };
  const criticValue = (obs: Float32Array) => { critic.act(obs, criticOut, { deterministic: true }); return criticOut.values[0]; };

  // Every full rollout is captured with the advantages the agent computes for it; no update runs, so the
  // policy (and the critic above) stays the initial one.
  const rows: Row[] = [];
  let rollouts = 0;
  const internals = agent as unknown as { updateLoop: { launch: (b: RolloutBuffer, last: Float32Array) => void }; loop: { stream: { rows: number } } };
  internals.updateLoop.launch = (buffer, lastValues) => {
    expect(buffer.full).toBe(true);
    buffer.computeAdvantages({ lastValues, gamma: GAMMA, gaeLambda: LAMBDA });
    for (let r = 0; r < T * N; r++) {
      rows.push({
        key: buffer.observations[r * SIZE], value: buffer.values[r], advantage: buffer.advantages[r], returns: buffer.returns[r],
        action: buffer.actions[r], rollout: rollouts, column: r % N, time: Math.floor(r / N),
      });
    }
    rollouts++;
    buffer.reset();
  };

  const rng = new PCG32(seed, 7);
  const u = () => rng.nextU32() / 2 ** 32;
  const history: Decision[][] = Array.from({ length: N }, () => []);
  const open = new Array<boolean>(N).fill(false);
  const fresh = new Array<boolean>(N).fill(true);
  const ticks = new Array<number>(N).fill(0);
  const requested = new Array<boolean>(N).fill(false);
  const obs = new Float32Array(N * SIZE), finals = new Float32Array(N * SIZE);
  const rewards = new Float32Array(N), terminated = new Uint8Array(N), truncated = new Uint8Array(N), decide = new Uint8Array(N);
  const held = new Int32Array(N);
  let key = 1;
  const lastOf = (e: number) => history[e][history[e].length - 1];
  const endOpen = (e: number, isTerminated: boolean, isTruncated: boolean, bootstrap: number) => {
    if (!open[e]) return;
    Object.assign(lastOf(e), { terminated: isTerminated, truncated: isTruncated, bootstrap: isTruncated && !isTerminated ? bootstrap : 0, done: true });
    open[e] = false;
  };

  const tick = (filler: boolean) => {
    const alive = agent.alive;
    const useDecide = !filler && u() < 0.5;
    for (let e = 0; e < N; e++) {
      decide[e] = filler || u() < 0.5 ? 1 : 0;
      for (let k = 0; k < SIZE; k++) obs[e * SIZE + k] = alive[e] ? (k === 0 ? key++ : u() * 2 - 1) : NaN; // free rows are never read
      if (!filler && alive[e] && u() < 0.05) { agent.requestDecision(e); requested[e] = true; }
    }
    const deciding = Array.from({ length: N }, (_, e) => alive[e] === 1 && (fresh[e] || requested[e] || (useDecide ? decide[e] === 1 : ticks[e] % period === 0)));
    const actions = agent.act(obs, useDecide ? { decide } : undefined);
    for (let e = 0; e < N; e++) {
      if (!alive[e]) continue;
      if (deciding[e]) {
        open[e] = true;
        history[e].push({ key: obs[e * SIZE], reward: 0, terminated: false, truncated: false, bootstrap: 0, done: false });
        held[e] = actions[e];
        fresh[e] = false;
        requested[e] = false;
      } else {
        expect(actions[e]).toBe(held[e]); // a slot that does not decide repeats its last action
      }
      ticks[e]++;
    }
    for (let e = 0; e < N; e++) {
      if (alive[e] && u() < 0.2) {
        const r = Math.round((u() * 2 - 1) * 100) / 100;
        agent.addReward(e, r);
        if (open[e]) lastOf(e).reward += r;
      }
      rewards[e] = alive[e] ? Math.round((u() * 2 - 1) * 100) / 100 : NaN;
      terminated[e] = alive[e] ? (filler || u() < 0.1 ? 1 : 0) : 7;
      truncated[e] = alive[e] ? (u() < 0.08 ? 1 : 0) : 7;
      for (let k = 0; k < SIZE; k++) finals[e * SIZE + k] = u() * 2 - 1;
    }
    agent.observe(rewards, terminated, truncated, { finalObservations: finals });
    for (let e = 0; e < N; e++) {
      if (!alive[e]) continue;
      if (open[e]) lastOf(e).reward += rewards[e];
      if (terminated[e] || truncated[e]) {
        endOpen(e, terminated[e] === 1, truncated[e] === 1, criticValue(finals.subarray(e * SIZE, (e + 1) * SIZE)));
        fresh[e] = true;
        ticks[e] = 0;
      }
    }
    // Between ticks: agents leave (terminated, or truncated with a final observation) and spawn.
    for (let e = 0; e < N; e++) {
      if (!agent.alive[e] || !(filler || u() < 0.1)) continue;
      const cut = !filler && u() < 0.5;
      const final = new Float32Array(SIZE).map(() => u() * 2 - 1);
      agent.leave(e, cut ? { truncated: true, finalObservation: final } : undefined);
      endOpen(e, !cut, cut, criticValue(final));
    }
    if (!filler) {
      while (agent.alive.indexOf(0) >= 0 && u() < 0.4) {
        const free = agent.alive.indexOf(0);
        const slot = agent.spawn();
        expect(slot).toBe(free); // the lowest free slot
        fresh[slot] = true;
        ticks[slot] = 0;
        requested[slot] = false;
      }
    }
  };

  for (let t = 0; t < 40; t++) tick(false);
  // Everyone leaves; then one-step episodes in one slot until the last rollout is full, so every decision is in a rollout.
  for (let e = 0; e < N; e++) if (agent.alive[e]) { agent.leave(e); endOpen(e, true, false, 0); }
  for (let guard = 0; internals.loop.stream.rows > 0 && guard < T * N; guard++) {
    const slot = agent.spawn();
    fresh[slot] = true;
    ticks[slot] = 0;
    tick(true);
  }
  expect(internals.loop.stream.rows).toBe(0);

  const byKey = new Map(rows.map((r) => [r.key, r]));
  expect(byKey.size).toBe(rows.length); // no decision stored twice
  const all = history.flat();
  expect(rows.length).toBe(all.length); // and none lost
  for (const decisions of history) {
    const joined = (a: number, b: number) => {
      const x = byKey.get(a)!, y = byKey.get(b)!;
      return x.rollout === y.rollout && x.column === y.column && y.time === x.time + 1;
    };
    const reference = referenceGae(decisions, (k) => byKey.get(k)!.value, joined);
    for (const d of decisions) {
      const row = byKey.get(d.key);
      expect(row, `decision ${d.key} is in a rollout`).toBeDefined();
      const want = reference.get(d.key)!;
      expect(row!.advantage).toBeCloseTo(want.advantage, 4);
      expect(row!.returns).toBeCloseTo(want.returns, 4);
    }
  }
  critic.dispose();
  agent.dispose();
}

describe('agents that come and go', () => {
  it('store every decision once, in stretches whose advantages equal a float64 GAE along each slot trajectory', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1, max: 3 }), (seed, period) => run(seed, period)), { numRuns: RUNS });
  });
});
