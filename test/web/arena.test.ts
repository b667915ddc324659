import { describe, expect, it } from 'vitest';
import { Arena, ARENA_ACTIONS, ARENA_OBSERVATION_SIZE } from '../../examples/web/arena.js';

/** A tiny seeded generator for the test's own random actions. */
function randomActions(seed: number) {
  let s = seed >>> 0 || 1;
  return (out: Int32Array) => {
    for (let i = 0; i < out.length; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; out[i] = s % ARENA_ACTIONS; }
    return out;
  };
}

/** Heads for the nearest food using only what the agent observes (its direction, entries 4 and 5). */
function greedy(obs: Float32Array, out: Int32Array): Int32Array {
  for (let e = 0; e < out.length; e++) {
    const dx = obs[e * ARENA_OBSERVATION_SIZE + 4], dy = obs[e * ARENA_OBSERVATION_SIZE + 5];
    out[e] = Math.abs(dx) > Math.abs(dy) ? (dx > 0 ? 4 : 3) : (dy > 0 ? 2 : 1);
  }
  return out;
}

function run(arena: Arena, steps: number, policy: (obs: Float32Array, out: Int32Array) => Int32Array) {
  let obs = arena.reset().observation;
  const actions = new Int32Array(arena.numEnvs);
  const returns: number[] = [];
  let totalReward = 0;
  for (let t = 0; t < steps; t++) {
    const r = arena.step(policy(obs, actions));
    obs = r.observation;
    for (let e = 0; e < arena.numEnvs; e++) {
      totalReward += r.reward[e];
      if (!Number.isNaN(r.info.episodeReturn[e])) returns.push(r.info.episodeReturn[e]);
    }
  }
  return { totalReward, returns, obs: obs.slice() };
}

describe('Arena (the demo game as a VectorEnv)', () => {
  it('describes its spaces and keeps every observation inside them', () => {
    const arena = new Arena({ numAgents: 16, seed: 3 });
    expect(arena.numEnvs).toBe(16);
    expect(arena.observationSpace.kind).toBe('box');
    expect(arena.actionSpace).toMatchObject({ kind: 'discrete', n: ARENA_ACTIONS });
    const { observation } = arena.reset();
    expect(observation.length).toBe(16 * ARENA_OBSERVATION_SIZE);
    const next = randomActions(1);
    const actions = new Int32Array(16);
    let lo = Infinity, hi = -Infinity;
    for (let t = 0; t < 500; t++) {
      for (const v of arena.step(next(actions)).observation) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    expect(lo).toBeGreaterThanOrEqual(-1.0001);
    expect(hi).toBeLessThanOrEqual(1.0001);
    expect(hi - lo).toBeGreaterThan(1.5);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const policy = (seed: number) => { const next = randomActions(seed); return (_: Float32Array, out: Int32Array) => next(out); };
    const a = run(new Arena({ seed: 7 }), 300, policy(5));
    const b = run(new Arena({ seed: 7 }), 300, policy(5));
    const c = run(new Arena({ seed: 8 }), 300, policy(5));
    expect(b.obs).toEqual(a.obs);
    expect(b.totalReward).toBe(a.totalReward);
    expect(c.obs).not.toEqual(a.obs);
    // reset() replays the same world.
    const arena = new Arena({ seed: 7 });
    const first = run(arena, 100, policy(2));
    expect(run(arena, 100, policy(2)).obs).toEqual(first.obs);
  });

  it('pays for food: a greedy food-chaser earns far more than random moves', () => {
    const greedyRun = run(new Arena({ seed: 1 }), 600, greedy);
    const next = randomActions(9);
    const randomRun = run(new Arena({ seed: 1 }), 600, (_, out) => next(out));
    expect(greedyRun.totalReward).toBeGreaterThan(randomRun.totalReward + 16 * 3);
    expect(greedyRun.totalReward / 16).toBeGreaterThan(8);
  });

  it('ends episodes on hazards (terminated) and at the time limit (truncated), resetting in the same step', () => {
    const arena = new Arena({ numAgents: 16, maxEpisodeSteps: 50, seed: 2 });
    arena.reset();
    const next = randomActions(4);
    const actions = new Int32Array(16);
    let terminations = 0, truncations = 0;
    for (let t = 0; t < 400; t++) {
      const { observation, reward, terminated, truncated, info } = arena.step(next(actions));
      for (let e = 0; e < 16; e++) {
        expect(terminated[e] && truncated[e]).toBeFalsy();
        if (terminated[e] || truncated[e]) {
          terminated[e] ? terminations++ : truncations++;
          if (terminated[e]) expect(reward[e]).toBeLessThan(-0.5);
          expect(Number.isNaN(info.episodeReturn[e])).toBe(false);
          expect(arena.episodeLength[e]).toBe(0);
          // The new episode's first observation is not the final one (it respawned somewhere else).
          const row = (a: Float32Array) => Array.from(a.subarray(e * ARENA_OBSERVATION_SIZE, (e + 1) * ARENA_OBSERVATION_SIZE));
          expect(row(observation)).not.toEqual(row(info.finalObservation));
        } else {
          expect(Number.isNaN(info.episodeReturn[e])).toBe(true);
        }
      }
    }
    expect(terminations).toBeGreaterThan(0);
    expect(truncations).toBeGreaterThan(0);
  });

  it('reuses its output arrays (no allocation per step)', () => {
    const arena = new Arena({ seed: 0 });
    const obs = arena.reset().observation;
    const actions = new Int32Array(arena.numEnvs);
    const first = arena.step(actions);
    const second = arena.step(actions);
    expect(first.observation).toBe(obs);
    expect(second.reward).toBe(first.reward);
    expect(second.info.finalObservation).toBe(first.info.finalObservation);
  });

  it('rejects bad actions before changing the world', () => {
    const arena = new Arena({ numAgents: 4, seed: 0 });
    arena.reset();
    const before = arena.agentX.slice();
    expect(() => arena.step(new Int32Array(3))).toThrow(/expected 4 actions, got 3/);
    expect(() => arena.step(Int32Array.of(0, 1, 5, 0))).toThrow(/step\(actions\)\[2\]: expected an integer in \[0, 4\], got 5/);
    expect(() => arena.step(Float32Array.of(0, 0.5, 0, 0))).toThrow(/\[1\]/);
    expect(arena.agentX).toEqual(before);
    expect(() => new Arena({ numAgents: 0 })).toThrow(/numAgents: expected an integer >= 1, got 0/);
  });
});
