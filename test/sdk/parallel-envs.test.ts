// The multi-agent env contract: checkParallelEnv rejects each bad field of a reset or a step with an EnvError
// naming the agent, the field, the expected and the actual value; HuntersAndPrey is deterministic, and its
// agents leave when caught and come back after the respawn delay.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkParallelEnv } from '../../src/envs/check-parallel.js';
import { EnvError } from '../../src/envs/env-error.js';
import { HuntersAndPrey, type HuntersAndPreyId } from '../../src/envs/hunters-and-prey.js';
import type { ParallelEnv, ParallelStepResult } from '../../src/envs/parallel.js';
import { ValidationError } from '../../src/errors.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete } from '../../src/spaces.js';

type Id = 'a' | 'b' | 'c';
type Step = ParallelStepResult<Id> & { agentsAfter?: Id[] };

/**
 * A plain-object env (no class): agents a and b play from reset, c spawns in the first step; observations are
 * Box(2) for a and c, Box(3) for b. `tamper` edits the first step's answer (and the agents it leaves).
 */
function plainEnv(tamper: (out: Step) => void = () => {}): ParallelEnv<Id> {
  const obs = (id: Id) => (id === 'b' ? [0, 1, 2] : [0, 1]);
  const env = {
    possibleAgents: ['a', 'b', 'c'] as const,
    agents: [] as Id[],
    observationSpace: (id: Id) => Box(id === 'b' ? 3 : 2),
    actionSpace: (_id: Id) => Discrete(2),
    reset() {
      env.agents = ['a', 'b'];
      return { observations: { a: obs('a'), b: obs('b') } as Record<Id, number[]>, infos: {} };
    },
    step() {
      const out: Step = {
        observations: { a: obs('a'), b: obs('b'), c: obs('c') },
        rewards: { a: 1, b: -1 } as Record<Id, number>,
        terminations: { a: false, b: true } as Record<Id, boolean>,
        truncations: { a: false, b: false } as Record<Id, boolean>,
        infos: {},
        agentsAfter: ['a', 'c'],
      };
      tamper(out);
      env.agents = out.agentsAfter ?? [];
      delete out.agentsAfter;
      return out;
    },
  };
  return env;
}

/** The EnvError a tampered first step raises (or undefined when the checker accepts it). */
function firstStepError(tamper: (out: Step) => void): EnvError | undefined {
  const env = plainEnv(tamper);
  const checker = checkParallelEnv(env);
  checker.checkReset(env.reset());
  try {
    checker.checkStep(['a', 'b'], env.step({ a: 0, b: 0 }));
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return error as EnvError;
  }
  return undefined;
}

const badNumbers = fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1', undefined, null, true, [1]);

describe('checkParallelEnv', () => {
  it('accepts a plain object env whose agents finish and spawn', () => {
    expect(firstStepError(() => {})).toBeUndefined();
    const checker = checkParallelEnv(plainEnv());
    expect([...checker.observationSizes]).toEqual([['a', 2], ['b', 3], ['c', 2]]);
  });

  it('rejects each bad field of a step, naming the agent, the field, the expected and the actual value', () => {
    const cases: [string, (out: Step) => void, string, string, RegExp][] = [
      ['NaN reward', (o) => { o.rewards.a = Number.NaN; }, 'a', "step().rewards['a']", /expected a finite number, got NaN/],
      ['missing reward', (o) => { delete (o.rewards as Partial<Record<Id, number>>).b; }, 'b', "step().rewards['b']", /got undefined/],
      ['short observation', (o) => { o.observations.b = [0, 1]; }, 'b', "step().observations['b'].length", /expected 3, got 2/],
      ['non-finite observation entry', (o) => { o.observations.a = [0, Number.POSITIVE_INFINITY]; }, 'a', "step().observations['a'][1]", /got Infinity/],
      ['no observation for a live agent', (o) => { delete (o.observations as Partial<Record<Id, unknown>>).a; }, 'a', "step().observations['a']", /an array of 2 numbers, got undefined/],
      ['no observation for a spawned agent', (o) => { delete (o.observations as Partial<Record<Id, unknown>>).c; }, 'c', "step().observations['c']", /got undefined/],
      ['non-boolean termination', (o) => { (o.terminations as Record<Id, unknown>).a = 0; }, 'a', "step().terminations['a']", /expected a boolean, got 0/],
      ['missing truncation', (o) => { delete (o.truncations as Partial<Record<Id, boolean>>).b; }, 'b', "step().truncations['b']", /expected a boolean, got undefined/],
      ['unknown id', (o) => { (o.rewards as Record<string, number>).ghost = 0; }, 'ghost', "step().rewards['ghost']", /an id from possibleAgents \(a, b, c\), got "ghost"/],
      ['terminated agent still live', (o) => { o.agentsAfter = ['a', 'b', 'c']; }, 'b', 'env.agents after step()', /no 'b' \(it was terminated in this step\)/],
      ['agent gone without finishing', (o) => { o.agentsAfter = ['c']; }, 'a', 'env.agents after step()', /'a' \(it left without being terminated or truncated\)/],
      ['unknown live agent', (o) => { o.agentsAfter = ['a', 'd' as Id]; }, 'd', 'env.agents[1] after step()', /got "d"/],
      ['duplicate live agent', (o) => { o.agentsAfter = ['a', 'a']; }, 'a', 'env.agents[1] after step()', /an id not listed before/],
    ];
    for (const [what, tamper, agent, field, message] of cases) {
      const error = firstStepError(tamper);
      expect(error, what).toBeDefined();
      expect(error?.agent, what).toBe(agent);
      expect(error?.step, what).toBe(0);
      expect(error?.cause, what).toBeInstanceOf(ValidationError);
      expect((error?.cause as ValidationError | undefined)?.field, what).toBe(field);
      expect(error?.message, what).toMatch(message);
      expect(error?.message, what).toContain(`${field}: expected`);
    }
  });

  it('rejects any non-finite or non-number reward of any agent, naming that agent', () => {
    fc.assert(fc.property(fc.constantFrom<Id>('a', 'b'), badNumbers, (id, bad) => {
      const error = firstStepError((o) => { (o.rewards as Record<Id, unknown>)[id] = bad; });
      expect(error?.agent).toBe(id);
      expect((error?.cause as ValidationError | undefined)?.field).toBe(`step().rewards['${id}']`);
    }), { numRuns: 40, seed: 21 });
  });

  it('rejects any bad observation entry of any agent, naming the agent and the index', () => {
    fc.assert(fc.property(fc.constantFrom<Id>('a', 'b', 'c'), fc.nat(), badNumbers, (id, k, bad) => {
      const error = firstStepError((o) => {
        const row: unknown[] = [...(o.observations[id] as number[])];
        row[k % row.length] = bad;
        (o.observations as Record<Id, unknown>)[id] = row;
      });
      expect(error?.agent).toBe(id);
      expect((error?.cause as ValidationError | undefined)?.field).toBe(`step().observations['${id}'][${k % (id === 'b' ? 3 : 2)}]`);
    }), { numRuns: 40, seed: 22 });
  });

  it('rejects bad resets and bad envs', () => {
    const noObservation = { ...plainEnv(), reset() { (noObservation as unknown as { agents: Id[] }).agents = ['a', 'b']; return { observations: { a: [0, 1] }, infos: {} }; } } as unknown as ParallelEnv<Id>;
    expect(() => checkParallelEnv(noObservation).checkReset(noObservation.reset())).toThrow(/reset\(\)\.observations\['b'\]: expected an array of 3 numbers, got undefined/);
    const nobody = { ...plainEnv(), agents: [], reset: () => ({ observations: {}, infos: {} }) } as unknown as ParallelEnv<Id>;
    expect(() => checkParallelEnv(nobody).checkReset(nobody.reset())).toThrow(/env.agents after reset\(\): expected at least one live agent/);
    const notAnObject = plainEnv();
    expect(() => checkParallelEnv(notAnObject).checkStep(['a'], 5 as unknown as ParallelStepResult<Id>)).toThrow(/step\(\): expected an object \{ observations, rewards, terminations, truncations, infos \}, got 5/);
    expect(() => checkParallelEnv({ ...plainEnv(), possibleAgents: ['a', 'a'] } as unknown as ParallelEnv<Id>)).toThrow(/env.possibleAgents\[1\]: expected an id not listed before, got "a"/);
    expect(() => checkParallelEnv({ ...plainEnv(), possibleAgents: [] } as unknown as ParallelEnv<Id>)).toThrow(/env.possibleAgents: expected a non-empty array/);
    expect(() => checkParallelEnv({ ...plainEnv(), step: undefined } as unknown as ParallelEnv<Id>)).toThrow(/env.step: expected a function, got undefined/);
    let badSpace: EnvError | undefined;
    try {
      checkParallelEnv({ ...plainEnv(), actionSpace: (id: Id) => (id === 'c' ? { kind: 'discrete', n: 0 } : Discrete(2)) } as unknown as ParallelEnv<Id>);
    } catch (error) {
      badSpace = error as EnvError;
    }
    expect(badSpace).toBeInstanceOf(EnvError);
    expect(badSpace?.agent).toBe('c');
    expect(badSpace?.message).toMatch(/env.actionSpace\('c'\).n: expected an integer >= 1, got 0/);
  });
});

/** Hunters run at the nearest prey they see; prey act at random. */
function chase(env: HuntersAndPrey, id: HuntersAndPreyId, observation: ArrayLike<number>, rng: PCG32): number {
  if (id.startsWith('prey')) return Math.floor(rng.nextFloat() * 9);
  let best = Infinity;
  let dx = 0;
  let dy = 0;
  for (let j = 0; j < env.options.prey; j++) {
    const k = 2 + 3 * j;
    if (observation[k + 2] === 1 && Math.hypot(observation[k], observation[k + 1]) < best) {
      best = Math.hypot(observation[k], observation[k + 1]);
      dx = observation[k];
      dy = observation[k + 1];
    }
  }
  return Math.abs(dx) > Math.abs(dy) ? (dx > 0 ? 1 : 2) : dy > 0 ? 3 : 4;
}

describe('HuntersAndPrey', () => {
  it('has two behaviours with their own spaces', () => {
    const env = new HuntersAndPrey({ hunters: 2, prey: 4 });
    expect(env.possibleAgents).toEqual(['hunter_0', 'hunter_1', 'prey_0', 'prey_1', 'prey_2', 'prey_3']);
    expect(env.observationSpace('hunter_1')).toMatchObject({ kind: 'box', size: 2 + 3 * 4 + 2 });
    expect(env.actionSpace('hunter_1')).toEqual(Discrete(5));
    expect(env.observationSpace('prey_3')).toMatchObject({ kind: 'box', size: 2 + 2 * 2 });
    expect(env.actionSpace('prey_3')).toEqual(Discrete(9));
    expect(() => env.observationSpace('prey_4' as HuntersAndPreyId)).toThrow(/agent id: expected one of hunter_0, .*prey_3, got "prey_4"/);
  });

  it('is deterministic given the seed and the actions', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.array(fc.nat(), { minLength: 1, maxLength: 200 }), (seed, draws) => {
      const run = () => {
        const env = new HuntersAndPrey({ maxSteps: 150, respawnDelay: 3, catchRadius: 0.3 });
        const trace: unknown[] = [env.reset({ seed })];
        for (const [t, draw] of draws.entries()) {
          if (env.agents.length === 0) break;
          const actions = Object.fromEntries(env.agents.map((id, k) => [id, (draw + t + k) % (id.startsWith('hunter') ? 5 : 9)]));
          trace.push(env.step(actions), [...env.agents]);
        }
        return trace;
      };
      expect(run()).toEqual(run());
    }), { numRuns: 30, seed: 23 });
  });

  it('a caught prey leaves agents (terminated, -1; its hunter +1) and comes back after respawnDelay steps', () => {
    const delay = 7;
    const env = new HuntersAndPrey({ respawnDelay: delay, maxSteps: 400 });
    const checker = checkParallelEnv(env);
    const rng = new PCG32(5);
    let { observations } = env.reset({ seed: 5 });
    checker.checkReset({ observations, infos: {} });
    const caughtAt = new Map<string, number>();
    let catches = 0;
    let respawns = 0;
    let shrank = false;
    for (let t = 1; env.agents.length > 0; t++) {
      const acted = [...env.agents];
      const out = env.step(Object.fromEntries(acted.map((id) => [id, chase(env, id, observations[id], rng)])));
      checker.checkStep(acted, out);
      for (const id of acted) {
        if (!out.terminations[id]) continue;
        catches++;
        expect(out.rewards[id]).toBe(-1);
        const hunter = (out.infos[id] as { caughtBy: HuntersAndPreyId }).caughtBy;
        expect(out.rewards[hunter]).toBeGreaterThanOrEqual(1);
        expect(env.agents).not.toContain(id);
        shrank ||= env.agents.length < acted.length;
        caughtAt.set(id, t);
      }
      for (const id of env.agents) {
        if (acted.includes(id)) continue;
        respawns++;
        expect(t - (caughtAt.get(id) as number)).toBe(delay);
        expect(out.observations[id]).toHaveLength(6);
      }
      observations = { ...observations, ...out.observations };
      if (t === 400) {
        expect(Object.values(out.truncations).every((v, k) => v || Object.values(out.terminations)[k])).toBe(true);
        expect(env.agents).toEqual([]);
      }
    }
    expect(shrank).toBe(true);
    expect(catches).toBeGreaterThanOrEqual(3);
    expect(respawns).toBeGreaterThanOrEqual(2);
  });

  it('live prey earn survivalReward each step; hunters earn only catches', () => {
    const env = new HuntersAndPrey({ survivalReward: 0.02, catchRadius: 0.001 });
    env.reset({ seed: 1 });
    const out = env.step(Object.fromEntries(env.agents.map((id) => [id, 0])));
    expect(out.rewards).toEqual({ hunter_0: 0, hunter_1: 0, prey_0: 0.02, prey_1: 0.02, prey_2: 0.02, prey_3: 0.02 });
    expect(() => env.step({ hunter_0: 5 })).toThrow(/HuntersAndPrey actions.hunter_0: expected an integer in \[0, 4\], got 5/);
    expect(() => new HuntersAndPrey({ respawnDelay: 0 })).toThrow(/respawnDelay: expected an integer >= 1, got 0/);
  });
});

/**
 * HuntersAndPrey replayed from the outside: every agent's own observation starts with its position, so the
 * positions of everyone in the game are known after each step, and from them (float64) what each observation
 * and reward must be.
 */
describe('HuntersAndPrey observations and rewards, rebuilt from the positions the agents report', () => {
  const near = (actual: ArrayLike<number>, expected: number[], tolerance: number) => {
    expect(actual.length).toBe(expected.length);
    for (let k = 0; k < expected.length; k++) if (!(Math.abs(actual[k] - expected[k]) <= tolerance)) expect([k, actual[k]]).toEqual([k, expected[k]]);
  };
  const distance = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  /** What `id` at `pos` must observe, given who is in the game: the others nearest first, absent prey as zeros. */
  const expectedObservation = (id: string, pos: Map<string, number[]>, hunters: string[], prey: string[], preyCount: number) => {
    const me = pos.get(id)!;
    const nearestFirst = (ids: string[]) => ids.filter((o) => o !== id).sort((a, b) => distance(pos.get(a)!, me) - distance(pos.get(b)!, me));
    const relative = (o: string) => [(pos.get(o)![0] - me[0]) / 2, (pos.get(o)![1] - me[1]) / 2];
    const out = [...me];
    if (id.startsWith('hunter')) {
      for (const p of nearestFirst(prey)) out.push(...relative(p), 1);
      while (out.length < 2 + 3 * preyCount) out.push(0, 0, 0);
    }
    for (const h of nearestFirst(hunters)) out.push(...relative(h));
    return out;
  };
  const nearest = (from: number[], others: number[][]) => Math.min(...others.map((o) => distance(from, o)));

  it('list the others nearest first whatever their ids, and pay approachReward for the distance a step closes (hunters) or opens (prey)', () => {
    fc.assert(fc.property(
      fc.record({ seed: fc.nat(), hunters: fc.integer({ min: 1, max: 3 }), prey: fc.integer({ min: 1, max: 5 }), respawnDelay: fc.integer({ min: 1, max: 4 }), catchRadius: fc.double({ min: 0, max: 0.4, noNaN: true }), approachReward: fc.double({ min: 0, max: 2, noNaN: true }) }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
      ({ seed, ...options }, draws) => {
        const env = new HuntersAndPrey({ ...options, maxSteps: 60, survivalReward: 0.01, hunterSpeed: 0.2, preySpeed: 0.15 });
        const pos = new Map<string, number[]>();
        const check = (observations: Record<string, ArrayLike<number>>, ids: readonly string[], inGame: readonly string[]) => {
          const hunters = inGame.filter((id) => id.startsWith('hunter')), prey = inGame.filter((id) => id.startsWith('prey'));
          for (const id of ids) near(observations[id], expectedObservation(id, pos, hunters, prey, options.prey), 1e-6);
        };
        const first = env.reset({ seed });
        for (const id of env.agents) pos.set(id, [first.observations[id][0], first.observations[id][1]]);
        check(first.observations, env.agents, env.agents);
        for (const [t, draw] of draws.entries()) {
          if (env.agents.length === 0) break;
          const acted = [...env.agents];
          const before = new Map(acted.map((id) => [id, pos.get(id)!]));
          const out = env.step(Object.fromEntries(acted.map((id, k) => [id, (draw + 7 * t + k) % (id.startsWith('hunter') ? 5 : 9)])));
          for (const id of Object.keys(out.observations)) pos.set(id, [out.observations[id as HuntersAndPreyId][0], out.observations[id as HuntersAndPreyId][1]]);
          const hunters = acted.filter((id) => id.startsWith('hunter')), prey = acted.filter((id) => id.startsWith('prey'));
          for (const id of acted) {
            const reward = out.rewards[id];
            if (id.startsWith('hunter')) {
              const caught = prey.filter((p) => (out.infos[p] as { caughtBy?: string } | undefined)?.caughtBy === id).length;
              const closed = prey.length === 0 ? 0 : nearest(before.get(id)!, prey.map((p) => before.get(p)!)) - nearest(pos.get(id)!, prey.map((p) => pos.get(p)!));
              expect(reward).toBeCloseTo(caught + options.approachReward * closed, 5);
            } else if (out.terminations[id]) {
              expect(reward).toBe(-1);
            } else {
              const opened = nearest(pos.get(id)!, hunters.map((h) => pos.get(h)!)) - nearest(before.get(id)!, hunters.map((h) => before.get(h)!));
              expect(reward).toBeCloseTo(0.01 + options.approachReward * opened, 5);
            }
          }
          // The acted observe the game after the catches; prey that respawn in this step see it after theirs.
          check(out.observations, acted, acted.filter((id) => !out.terminations[id]));
          check(out.observations, env.agents.filter((id) => !acted.includes(id)), env.agents);
        }
      },
    ), { numRuns: 40, seed: 31 });
  });
});
