// Several behaviours in one game: two policies with different spaces and networks learning side by side in
// one loop, one event stream tagged by behaviour, one checkpoint that resumes every behaviour bit for bit,
// one frame budget shared between them, and validation that names `behaviours.<name>.<field>`.
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { Behaviours } from '../../src/behaviours/behaviours.js';
import { extractBehaviour, packBehaviours, unpackBehaviours } from '../../src/behaviours/checkpoint.js';
import type { BehavioursEvents } from '../../src/behaviours/events.js';
import { behaviourSeed } from '../../src/behaviours/options.js';
import { CheckpointError, StateError, UnknownOptionError, ValidationError, WorkerError } from '../../src/errors.js';
import { init } from '../../src/init.js';
import { loadPolicy } from '../../src/policy/inference-policy.js';
import { readSafetensors } from '../../src/policy/safetensors.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete, MultiDiscrete } from '../../src/spaces.js';
import { wasmBytesInUse } from '../../src/wasm-memory.js';

beforeAll(() => init());

const H = 6, P = 4; // hunters, prey
/** Hunters see 3 numbers and must pick the largest; prey see 4 and must match the signs of the first two. */
const SPECS = {
  hunter: { observationSpace: Box(3), actionSpace: Discrete(3), numAgents: H, network: { hidden: [32, 32] }, ppo: { numSteps: 16, numMinibatches: 2, learningRate: 0.01 } },
  prey: { observationSpace: Box(4), actionSpace: MultiDiscrete([2, 2]), numAgents: P, network: { hidden: [16], activation: 'relu' as const }, ppo: { numSteps: 12, numMinibatches: 2, learningRate: 0.01 } },
};
const create = (shared: Parameters<typeof Behaviours.create>[1] = {}) => Behaviours.create(SPECS, { backend: 'cpu', seed: 5, ...shared });

/** The game: both kinds of agents in one loop, each episode 10 ticks long (truncated, with final observations). */
class Game {
  readonly rng: PCG32;
  tick = 0;
  readonly hunterObs = new Float32Array(H * 3);
  readonly preyObs = new Float32Array(P * 4);
  private readonly hunterRewards = new Float32Array(H);
  private readonly preyRewards = new Float32Array(P);
  private readonly none = { hunter: new Uint8Array(H), prey: new Uint8Array(P) };
  private readonly cut = { hunter: new Uint8Array(H), prey: new Uint8Array(P) };
  constructor(seed: number) {
    this.rng = new PCG32(seed, 7);
    this.draw();
  }
  private draw(): void {
    for (const obs of [this.hunterObs, this.preyObs]) for (let i = 0; i < obs.length; i++) obs[i] = this.rng.nextFloat() * 2 - 1;
  }
  /** One tick of both behaviours; returns the mean reward of each. */
  step(behaviours: Behaviours<'hunter' | 'prey'>, log?: number[]): { hunter: number; prey: number } {
    const hunter = behaviours.get('hunter'), prey = behaviours.get('prey');
    const ha = hunter.act(this.hunterObs), pa = prey.act(this.preyObs);
    log?.push(...ha, ...pa);
    let hr = 0, pr = 0;
    for (let e = 0; e < H; e++) {
      const o = this.hunterObs.subarray(e * 3, e * 3 + 3);
      this.hunterRewards[e] = ha[e] === o.indexOf(Math.max(...o)) ? 1 : 0;
      hr += this.hunterRewards[e];
    }
    for (let e = 0; e < P; e++) {
      this.preyRewards[e] = (pa[2 * e] === (this.preyObs[e * 4] > 0 ? 1 : 0) ? 0.5 : 0) + (pa[2 * e + 1] === (this.preyObs[e * 4 + 1] > 0 ? 1 : 0) ? 0.5 : 0);
      pr += this.preyRewards[e];
    }
    const end = ++this.tick % 10 === 0;
    this.cut.hunter.fill(end ? 1 : 0);
    this.cut.prey.fill(end ? 1 : 0);
    const finalHunter = this.hunterObs.slice(), finalPrey = this.preyObs.slice();
    this.draw();
    hunter.observe(this.hunterRewards, this.none.hunter, this.cut.hunter, { finalObservations: finalHunter });
    prey.observe(this.preyRewards, this.none.prey, this.cut.prey, { finalObservations: finalPrey });
    return { hunter: hr / H, prey: pr / P };
  }
}

/** Plays `ticks` ticks, running pending updates to the end before the next tick (reproducible). */
async function play(behaviours: Behaviours<'hunter' | 'prey'>, game: Game, ticks: number, log?: number[]): Promise<{ hunter: number; prey: number }[]> {
  const rewards = [];
  for (let t = 0; t < ticks; t++) {
    rewards.push(game.step(behaviours, log));
    if (behaviours.pendingUpdates > 0) await behaviours.whenIdle();
  }
  return rewards;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('Behaviours', () => {
  it('trains two behaviours with different spaces and networks side by side in one loop, events tagged', async () => {
    const behaviours = await create();
    expect(behaviours.names).toEqual(['hunter', 'prey']);
    const hunter = behaviours.get('hunter'), prey = behaviours.get('prey');
    expect(hunter).toBeInstanceOf(Agent);
    expect(() => behaviours.get('wolf' as never)).toThrow(/^name: expected one of "hunter", "prey", got "wolf"/);
    expect([behaviours.has('prey'), behaviours.has('wolf')]).toEqual([true, false]);
    const visited: string[] = [];
    behaviours.forEach((agent, name) => { expect(agent).toBe(behaviours.get(name)); visited.push(name); });
    expect(visited).toEqual(['hunter', 'prey']);
    expect([...behaviours].map(([name]) => name)).toEqual(['hunter', 'prey']);
    expect([hunter.numAgents, prey.numAgents]).toEqual([H, P]);
    expect(prey.actionSpace).toEqual(MultiDiscrete([2, 2]));
    // Each behaviour without a seed of its own gets one from the shared seed and its name.
    expect([hunter.options.seed, prey.options.seed]).toEqual([behaviourSeed(5, 'hunter'), behaviourSeed(5, 'prey')]);
    expect(hunter.options.seed).not.toBe(prey.options.seed);
    const updates: BehavioursEvents<'hunter' | 'prey'>['update'][] = [];
    const episodes: BehavioursEvents<'hunter' | 'prey'>['episode'][] = [];
    behaviours.on('update', (e) => updates.push(e));
    behaviours.on('episode', (e) => episodes.push(e));
    const rewards = await play(behaviours, new Game(1), 480);
    const early = rewards.slice(0, 48), late = rewards.slice(-48);
    // Random play scores 1/3 (hunters) and 0.5 (prey); both policies learn their own task.
    expect(mean(late.map((r) => r.hunter))).toBeGreaterThan(mean(early.map((r) => r.hunter)) + 0.25);
    expect(mean(late.map((r) => r.prey))).toBeGreaterThan(mean(early.map((r) => r.prey)) + 0.2);
    // Each update event is tagged with the behaviour it came from, and counts that behaviour's updates.
    for (const name of ['hunter', 'prey'] as const) {
      const own = updates.filter((e) => e.behaviour === name);
      expect(own.map((e) => e.updates)).toEqual(Array.from({ length: behaviours.get(name).updates }, (_, i) => i + 1));
      expect(own.every((e) => e.steps % behaviours.get(name).rolloutSteps === 0)).toBe(true);
    }
    expect(hunter.updates).toBe(Math.floor((480 - 1) / 16)); // an update starts at the act() after its rollout
    expect(prey.updates).toBe(Math.floor((480 - 1) / 12));
    for (const name of ['hunter', 'prey'] as const) {
      const own = episodes.filter((e) => e.behaviour === name);
      expect(own.length).toBe(behaviours.get(name).episodes);
      expect(new Set(own.map((e) => e.agent)).size).toBe(behaviours.get(name).numAgents);
      expect(own.every((e) => e.length === 10 && !e.terminated)).toBe(true);
    }
    behaviours.dispose();
    expect(() => behaviours.get('hunter')).toThrow(StateError);
  }, 60_000);

  it('unsubscribes from every behaviour, and handles a throwing listener as an agent does', async () => {
    const behaviours = await create();
    const seen: string[] = [];
    const off = behaviours.on('episode', (e) => seen.push(e.behaviour));
    const errors: BehavioursEvents<'hunter' | 'prey'>['error'][] = [];
    behaviours.on('error', (e) => errors.push(e));
    behaviours.on('update', (e) => { if (e.behaviour === 'prey') throw new Error('listener bug'); });
    const game = new Game(2);
    await play(behaviours, game, 20);
    expect(seen.filter((b) => b === 'hunter').length).toBe(2 * H);
    expect(seen.filter((b) => b === 'prey').length).toBe(2 * P);
    off();
    off(); // twice is harmless
    await play(behaviours, game, 20);
    expect(seen.length).toBe(2 * (H + P));
    // The prey's throwing 'update' listener: routed to the 'error' listeners tagged 'prey', counted there; training goes on.
    expect(errors.length).toBe(behaviours.get('prey').updates);
    expect(errors.every((e) => e.behaviour === 'prey' && /an 'update' listener threw: listener bug/.test(e.error.message))).toBe(true);
    expect(behaviours.get('prey').health.listenerErrors).toBe(errors.length);
    expect(behaviours.get('hunter').health.listenerErrors).toBe(0);
    expect(behaviours.get('prey').updates).toBe(3);
    expect(() => behaviours.on('nope' as never, () => {})).toThrow(/event: expected 'update'/);
    expect(() => behaviours.on('update', 5 as never)).toThrow(/listener: expected a function/);
    behaviours.dispose();
  });

  it('saves every behaviour in one file and resumes each exactly (parameters, optimizer, counters, rollout)', async () => {
    const a = await create();
    const gameA = new Game(3);
    await play(a, gameA, 37); // mid-rollout for both (37 % 16, 37 % 12 != 0)
    const bytes = await a.save();
    const b = await Behaviours.load<'hunter' | 'prey'>(bytes, { behaviours: { hunter: {}, prey: {} } });
    expect(b.names).toEqual(a.names);
    for (const name of a.names) {
      const [x, y] = [a.get(name), b.get(name)];
      expect(await y.getParameters()).toEqual(await x.getParameters());
      expect([y.steps, y.updates, y.episodes]).toEqual([x.steps, x.updates, x.episodes]);
      expect(y.options).toEqual({ ...x.options, frameBudgetMs: y.options.frameBudgetMs });
    }
    // The same game state for the restored copy.
    const gameB = new Game(3);
    gameB.hunterObs.set(gameA.hunterObs);
    gameB.preyObs.set(gameA.preyObs);
    gameB.tick = gameA.tick;
    (gameB.rng as PCG32).setState(gameA.rng.getState());
    const logA: number[] = [], logB: number[] = [];
    await play(a, gameA, 40, logA);
    await play(b, gameB, 40, logB);
    expect(logB).toEqual(logA);
    expect(b.get('hunter').updates).toBe(a.get('hunter').updates);
    // Optimizer state, generators, counters and rollout: the files after the same play are the same bytes.
    expect(await b.save()).toEqual(await a.save());
    // Saving is between ticks for every behaviour: the error names the one mid-tick.
    a.get('prey').act(gameA.preyObs);
    await expect(a.save()).rejects.toThrow(/^behaviours\.prey\.save: expected a call between observe\(\) and the next act\(\)/);
    a.dispose();
    b.dispose();
  }, 60_000);

  it('keeps each behaviour\'s part loadable on its own: Agent.load and loadPolicy take it as it is', async () => {
    const behaviours = await create();
    await play(behaviours, new Game(4), 20);
    const bytes = await behaviours.save();
    const names = [...readSafetensors(bytes).tensors.keys()];
    expect(names).toContain('hunter.actor.0.weight');
    expect(names).toContain('prey.optimizer.exp_avg.critic.0.weight');
    for (const name of behaviours.names) {
      const part = extractBehaviour(bytes, name);
      expect(part).toEqual(await behaviours.get(name).save()); // byte for byte its agent's own checkpoint
      const agent = await Agent.load(part);
      expect(await agent.getParameters()).toEqual(await behaviours.get(name).getParameters());
      agent.dispose();
    }
    const policy = await loadPolicy(extractBehaviour(bytes, 'prey'));
    expect(policy.numAgents).toBe(P);
    expect(() => extractBehaviour(bytes, 'wolf')).toThrow(/no behaviour "wolf" in this file \(it holds hunter, prey\)/);
    behaviours.dispose();
  });

  it('rejects corrupted, foreign and mismatched files with a CheckpointError naming the behaviour, building nothing', async () => {
    const behaviours = await create();
    await play(behaviours, new Game(5), 5);
    const bytes = await behaviours.save();
    const inUse = wasmBytesInUse();
    // Any one changed byte anywhere in the file is caught (the whole-file checksum, or the parse before it).
    fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const corrupted = bytes.slice();
      corrupted[at] ^= flip;
      expect(() => unpackBehaviours(corrupted)).toThrow(CheckpointError);
    }), { numRuns: 300, seed: 11 });
    const corrupted = bytes.slice(); corrupted[corrupted.length - 3] ^= 1;
    await expect(Behaviours.load(corrupted)).rejects.toThrow(/checksum/);
    await expect(Behaviours.load(bytes.subarray(0, bytes.length - 1))).rejects.toThrow(/truncated/);
    // One behaviour's part corrupted inside a file whose own checksum is right: named by the behaviour.
    const parts = unpackBehaviours(bytes);
    const prey = parts.get('prey')!.slice(); prey[prey.length - 5] ^= 1;
    const crafted = packBehaviours(new Map([...parts, ['prey', prey]]));
    const error = await Behaviours.load(crafted).catch((e: unknown) => e) as CheckpointError;
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toMatch(/^checkpoint: behaviour prey: corrupted/);
    expect(error.field).toBe('prey.checksum');
    // Mismatches: spaces, names, formats.
    await expect(Behaviours.load(bytes, { behaviours: { hunter: { observationSpace: Box(5) }, prey: {} } })).rejects.toThrow(/behaviour hunter: observationSpace: expected/);
    await expect(Behaviours.load(bytes, { behaviours: { hunter: {} } as never })).rejects.toThrow(/behaviour prey is in the file but not in options\.behaviours/);
    await expect(Behaviours.load(bytes, { behaviours: { hunter: {}, prey: {}, wolf: {} } as never })).rejects.toThrow(/behaviour wolf \(in options\.behaviours\) is not in the file/);
    await expect(Behaviours.load(parts.get('hunter')!)).rejects.toThrow(/not a webppo behaviours checkpoint.*load it with Agent\.load/);
    await expect(Agent.load(bytes)).rejects.toThrow(CheckpointError);
    await expect(Behaviours.load(bytes, { frameBudget: 1 } as never)).rejects.toThrow(UnknownOptionError);
    await expect(Behaviours.load(bytes, { behaviours: { hunter: {}, prey: { actionSpac: Discrete(2) } as never } })).rejects.toThrow(/^options\.behaviours\.prey\.actionSpac: expected a known option/);
    await expect(Behaviours.load(bytes, { behaviours: { hunter: { frameBudgetMs: 1 } as never, prey: {} } })).rejects.toThrow(/^options\.behaviours\.hunter\.frameBudgetMs: expected undefined \(the frame budget is shared/);
    await expect(Behaviours.load(bytes, { behaviours: { hunter: { backend: 'tpu' as never }, prey: {} } })).rejects.toThrow(/^options\.behaviours\.hunter\.backend: expected one of/);
    expect(wasmBytesInUse()).toBe(inUse);
    behaviours.dispose();
  });

  it('shares one frame budget: each behaviour slicing in the game\'s thread gets an equal share', async () => {
    const behaviours = await Behaviours.create({ a: SPECS.hunter, b: SPECS.prey, c: SPECS.hunter }, { backend: 'cpu', frameBudgetMs: 3 });
    const budgets = () => behaviours.names.map((n) => behaviours.get(n).frameBudgetMs);
    expect(behaviours.frameBudgetMs).toBe(3);
    expect(budgets()).toEqual([1, 1, 1]); // a turn does at most one slice per behaviour: 3 ms in all
    behaviours.frameBudgetMs = 0.6;
    expect(budgets()).toEqual(Array(3).fill(0.6 / 3));
    behaviours.frameBudgetMs = 0;
    expect(budgets()).toEqual([0, 0, 0]);
    expect(() => { behaviours.frameBudgetMs = -1; }).toThrow(/frameBudgetMs: expected a finite number/);
    expect(behaviours.frameBudgetMs).toBe(0);
    behaviours.dispose();
  });

  it('hands an idle behaviour\'s share to the busy ones: each slice takes the budget over the behaviours with work', async () => {
    // The prey's rollout never fills here: only the hunters train.
    const behaviours = await Behaviours.create({ hunter: SPECS.hunter, prey: { ...SPECS.prey, ppo: { ...SPECS.prey.ppo, numSteps: 1000 } } }, { backend: 'cpu', seed: 5, frameBudgetMs: 0.2 });
    const hunter = behaviours.get('hunter');
    expect(hunter.frameBudgetMs).toBe(0.1); // its fixed share, what a lone behaviour would have got before
    const slices: number[] = [];
    type Job = { run(ms: number): void };
    const trainer = (hunter as unknown as { trainer: { startUpdate(...args: unknown[]): Job } }).trainer;
    const start = trainer.startUpdate.bind(trainer);
    trainer.startUpdate = (...args: unknown[]) => {
      const job = start(...args), run = job.run.bind(job);
      job.run = (ms: number) => { slices.push(ms); run(ms); };
      return job;
    };
    const game = new Game(6);
    for (let t = 0; t < 17; t++) game.step(behaviours);
    expect(hunter.pendingUpdates).toBe(1);
    expect(behaviours.get('prey').pendingUpdates).toBe(0);
    await behaviours.whenIdle();
    expect(hunter.updates).toBe(1);
    // The first slice gets what staging the batch left of its turn; every later one the whole budget.
    expect(slices.length).toBeGreaterThan(2);
    for (const ms of slices.slice(1)) expect(ms).toBe(0.2);
    behaviours.dispose();
    // With both behaviours busy, each slice takes half.
    const both = await create({ frameBudgetMs: 0.2 });
    const share = () => (both.get('hunter') as unknown as { updateLoop: { sliceBudget: () => number } }).updateLoop.sliceBudget();
    const game2 = new Game(6);
    for (let t = 0; t < 13; t++) game2.step(both);
    expect([both.get('hunter').pendingUpdates, both.get('prey').pendingUpdates]).toEqual([0, 1]);
    expect(share()).toBe(0.2);
    for (let t = 13; t < 17; t++) game2.step(both); // no turn of the event loop in between: both still pending
    expect([both.get('hunter').pendingUpdates, both.get('prey').pendingUpdates]).toEqual([1, 1]);
    expect(share()).toBe(0.1);
    await both.whenIdle();
    expect(share()).toBe(0.2);
    both.dispose();
  });

  it('trainFor(ms) spreads the time over the behaviours with work, going round', async () => {
    const behaviours = await create({ frameBudgetMs: 0.001 });
    const given: [string, number, number][] = []; // behaviour, ms given, ms used
    for (const name of behaviours.names) {
      const agent = behaviours.get(name);
      const trainFor = agent.trainFor.bind(agent);
      vi.spyOn(agent, 'trainFor').mockImplementation((ms) => { const used = trainFor(ms); given.push([name, ms, used]); return used; });
    }
    expect(behaviours.trainFor(4)).toBe(0); // nothing to train: nobody is asked
    expect(given).toEqual([]);
    const game = new Game(6);
    for (let t = 0; t < 17; t++) game.step(behaviours); // the hunters' update starts; the prey's too (at tick 13)
    expect(behaviours.get('hunter').pendingUpdates).toBe(1);
    expect(behaviours.get('prey').pendingUpdates).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 0)); // both updates start
    const used = behaviours.trainFor(4);
    // The second call: the round starts at the prey, given half of the 4 ms as the first of two; the hunter gets
    // the rest, whatever the prey left, and is not asked when nothing is left (a slice can overrun its share on a
    // loaded machine: one minibatch step is the smallest unit of work).
    expect(given[0][0]).toBe('prey');
    expect(given[0][1]).toBe(2);
    const left = 4 - given[0][2];
    expect(given.map(([name]) => name)).toEqual(left > 0 ? ['prey', 'hunter'] : ['prey']);
    if (left > 0) expect(given[1][1]).toBeCloseTo(left, 10);
    expect(used).toBeCloseTo(given.reduce((sum, [, , ms]) => sum + ms, 0), 10);
    given.length = 0;
    // The next round starts at the hunter; the prey is asked too while its update still has work (a small
    // update can finish inside its first share).
    const preyBusy = behaviours.get('prey').pendingUpdates > 0;
    behaviours.trainFor(4);
    expect(given.map(([name]) => name)).toEqual(preyBusy ? ['hunter', 'prey'] : ['hunter']);
    expect(() => behaviours.trainFor(-1)).toThrow(/ms: expected a finite number/);
    await behaviours.whenIdle();
    given.length = 0;
    expect(behaviours.trainFor(4)).toBe(0);
    expect(given).toEqual([]);
    behaviours.dispose();
  });

  it('validates names and options before building anything, naming behaviours.<name>.<field>', async () => {
    const inUse = wasmBytesInUse();
    const field = async (behaviours: unknown, shared?: unknown) => {
      const error = await Behaviours.create(behaviours as never, shared as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).field;
    };
    expect(await field({})).toBe('behaviours');
    expect(await field(null)).toBe('behaviours');
    for (const bad of ['', 'a.b', '1x', 'has space', '__proto__x'.replace('x', ''), 'x'.repeat(65)]) {
      expect(await field({ [bad]: SPECS.hunter, ok: SPECS.prey }), JSON.stringify(bad)).toBe('behaviours');
    }
    expect(await field({ hunter: { ...SPECS.hunter, numAgents: 0 } })).toBe('behaviours.hunter.numAgents');
    expect(await field({ hunter: SPECS.hunter, prey: { ...SPECS.prey, ppo: { gamma: 2 } } })).toBe('behaviours.prey.ppo.gamma');
    expect(await field({ hunter: { ...SPECS.hunter, numAgent: 3 } })).toBe('behaviours.hunter.numAgent');
    expect(await field({ hunter: { ...SPECS.hunter, ppo: { numStep: 3 } } })).toBe('behaviours.hunter.ppo.numStep');
    expect(await field({ hunter: { ...SPECS.hunter, frameBudgetMs: 1 } })).toBe('behaviours.hunter.frameBudgetMs');
    expect(await field({ hunter: { ...SPECS.hunter, numAgents: 2 ** 20, ppo: { numSteps: 2 ** 12 } } })).toBe('behaviours.hunter.numAgents');
    expect(await field({ hunter: 5 })).toBe('behaviours.hunter');
    expect(await field({ hunter: SPECS.hunter }, { frameBudget: 2 })).toBe('options.frameBudget');
    expect(await field({ hunter: SPECS.hunter }, { backend: 'tpu' })).toBe('options.backend');
    expect(await field({ hunter: SPECS.hunter }, { seed: -1 })).toBe('options.seed');
    await expect(Behaviours.create({ hunter: SPECS.hunter }, { logLevel: 'loud' as never })).rejects.toThrow(/logLevel: expected/);
    const error = await Behaviours.create({ hunter: { ...SPECS.hunter, numAgent: 3 } } as never).catch((e: unknown) => e) as UnknownOptionError;
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error.code).toBe('E_UNKNOWN_OPTION');
    expect(error.message).toMatch(/^behaviours\.hunter\.numAgent: expected a known option \(observationSpace, /);
    expect(wasmBytesInUse()).toBe(inUse);
  });

  it('re-addresses any agent option error to behaviours.<name>.<field>, for any field of any behaviour', async () => {
    const inUse = wasmBytesInUse();
    const fields: [string[], fc.Arbitrary<unknown>][] = [
      [['numAgents'], fc.constantFrom<unknown>(0, -1, 1.5, 'x', 2 ** 21)],
      [['seed'], fc.constantFrom<unknown>(-1, 0.5, 2 ** 32)],
      [['masks'], fc.constantFrom<unknown>(1, 'true')],
      [['backend'], fc.constantFrom<unknown>('tpu', 1)],
      [['maxPendingUpdates'], fc.constantFrom<unknown>(0, 65)],
      [['ppo', 'gamma'], fc.constantFrom<unknown>(-0.1, 1.5, Number.NaN)],
      [['ppo', 'numSteps'], fc.constantFrom<unknown>(0, 1.5)],
      [['network', 'hidden'], fc.constantFrom<unknown>(64, [0])],
      [['network', 'activation'], fc.constantFrom<unknown>('gelu')],
      [['observationSpace'], fc.constantFrom<unknown>({ kind: 'discrete', n: 0 }, 4)],
      [['*'], fc.constantFrom('numAgent', 'frameBudget', 'seeds')],
      [['ppo', '*'], fc.constantFrom('gama', 'lr')],
    ];
    const arbitrary = fc.tuple(fc.constantFrom('hunter', 'prey'), fc.integer({ min: 0, max: fields.length - 1 }).chain((i) => fc.tuple(fc.constant(fields[i][0]), fields[i][1])));
    await fc.assert(fc.asyncProperty(arbitrary, async ([name, [path, value]]) => {
      const specs = structuredClone(SPECS) as Record<string, Record<string, unknown>>;
      let target = specs[name];
      for (const key of path.slice(0, -1)) target = (target[key] = { ...(target[key] as object) }) as Record<string, unknown>;
      const last = path[path.length - 1];
      if (last === '*') target[value as string] = 1;
      else target[last] = value;
      const error = await Behaviours.create(specs as never, { backend: 'cpu' }).catch((e: unknown) => e) as ValidationError;
      expect(error).toBeInstanceOf(ValidationError);
      const named = `behaviours.${name}.${[...path.slice(0, -1), last === '*' ? value : last].join('.')}`;
      expect(error.field.startsWith(named), `${error.field} for ${named}`).toBe(true);
      expect(error.message.startsWith(`${error.field}: expected `)).toBe(true);
    }), { numRuns: 80, seed: 3 });
    expect(wasmBytesInUse()).toBe(inUse);
  });

  it('disposes the behaviours already built when a later one fails to build', async () => {
    const inUse = wasmBytesInUse();
    const created = vi.spyOn(Agent, 'create');
    const failing = new URL('../worker/fixtures/throws.mjs', import.meta.url);
    const error = await Behaviours.create({ hunter: SPECS.hunter, prey: { ...SPECS.prey, trainInWorker: failing } }, { backend: 'cpu' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect(created).toHaveBeenCalledTimes(2); // the hunters were built, then freed
    created.mockRestore();
    expect(wasmBytesInUse()).toBe(inUse);
  });
});
