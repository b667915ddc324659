import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { Behaviours } from '../../src/behaviours/behaviours.js';
import { init } from '../../src/init.js';
import { EnvError } from '../../src/envs/env-error.js';
import { HuntersAndPrey, type HuntersAndPreyOptions } from '../../src/envs/hunters-and-prey.js';
import { PaddleDuel } from '../../src/envs/duel/paddle-duel.js';
import type { ParallelEnv, ParallelStepResult } from '../../src/envs/parallel.js';
import { ValidationError } from '../../src/errors.js';
import { train } from '../../src/train.js';
import type { MultiAgentProgressEvent } from '../../src/train/multi-agent-options.js';

beforeAll(() => init());

const ARENA: HuntersAndPreyOptions = { hunters: 2, prey: 3, maxSteps: 30, respawnDelay: 2, catchRadius: 0.6, hunterSpeed: 0.15 };
const mapping = (id: string) => (id.startsWith('hunter') ? 'hunter' : 'prey');
const behaviourOf = (id: string) => mapping(id) as 'hunter' | 'prey';

/**
 * A plain object (no class) in front of HuntersAndPrey that counts, per behaviour, every env step of every id
 * and the length of every finished episode of an id (an id that respawns starts a new one).
 */
function counted(options: HuntersAndPreyOptions = ARENA) {
  const inner = new HuntersAndPrey(options);
  const steps = { hunter: 0, prey: 0 };
  const lengths = { hunter: [] as number[], prey: [] as number[] };
  const returns = { hunter: [] as number[], prey: [] as number[] };
  const open = new Map<string, number>();
  const total = new Map<string, number>();
  let resets = 0;
  let failAt = -1;
  let stepped = 0;
  const env: ParallelEnv = {
    possibleAgents: inner.possibleAgents,
    get agents() { return inner.agents; },
    observationSpace: (id) => inner.observationSpace(id as never),
    actionSpace: (id) => inner.actionSpace(id as never),
    reset(o) {
      resets++;
      open.clear();
      total.clear();
      const out = inner.reset(o);
      for (const id of inner.agents) open.set(id, 0);
      return out;
    },
    step(actions): ParallelStepResult {
      if (stepped++ === failAt) throw new Error('the arena broke');
      const acted = [...inner.agents];
      expect(Object.keys(actions).sort()).toEqual([...acted].sort());
      const out = inner.step(actions as never);
      for (const id of acted) {
        steps[behaviourOf(id)]++;
        open.set(id, open.get(id)! + 1);
        total.set(id, (total.get(id) ?? 0) + out.rewards[id as never]);
        if (out.terminations[id as never] || out.truncations[id as never]) {
          lengths[behaviourOf(id)].push(open.get(id)!);
          returns[behaviourOf(id)].push(total.get(id)!);
          open.delete(id);
          total.delete(id);
        }
      }
      for (const id of inner.agents) if (!open.has(id)) open.set(id, 0);
      return out;
    },
  };
  return { env, steps, lengths, returns, resets: () => resets, failAt: (n: number) => { failAt = stepped + n; } };
}

async function arenaBehaviours(seed = 1) {
  const env = new HuntersAndPrey(ARENA);
  return Behaviours.create({
    hunter: { observationSpace: env.observationSpace('hunter_0'), actionSpace: env.actionSpace('hunter_0'), numAgents: 2, ppo: { numSteps: 16, numMinibatches: 2, numEpochs: 1 } },
    prey: { observationSpace: env.observationSpace('prey_0'), actionSpace: env.actionSpace('prey_0'), numAgents: 3, ppo: { numSteps: 16, numMinibatches: 2, numEpochs: 1 } },
  }, { backend: 'cpu', seed });
}

describe('train() on a multi-agent env', () => {
  it('observes every env step of every id exactly once, in its own slot, with tagged progress, evaluation and checkpoints', async () => {
    const behaviours = await arenaBehaviours();
    const { env, steps, lengths, returns } = counted();
    const events: MultiAgentProgressEvent<'hunter' | 'prey'>[] = [];
    const saved: { bytes: Uint8Array; steps: number }[] = [];
    const result = await train(behaviours, env, {
      totalSteps: 400, policyMapping: mapping, onProgress: (e) => events.push(e),
      evaluate: { every: 200, episodes: 2, env: () => new HuntersAndPrey(ARENA) },
      checkpoint: { every: 200, save: (bytes, at) => { saved.push({ bytes, steps: at }); } },
    });
    const hunter = behaviours.get('hunter'), prey = behaviours.get('prey');
    // Every decision the agents stored is one env step of one id, and every env step of every id was stored.
    expect(hunter.steps).toBe(steps.hunter);
    expect(prey.steps).toBe(steps.prey);
    expect(result.steps).toBe(steps.hunter + steps.prey);
    expect(result.steps).toBeGreaterThanOrEqual(400);
    // Each finished episode of an id is one episode of one slot, of the same length.
    const episodeLengths = (name: string) => events.flatMap((e) => (e.type === 'episode' && e.behaviour === name ? [e.length] : [])).sort((a, b) => a - b);
    expect(lengths.prey.length).toBeGreaterThan(0);
    expect(episodeLengths('prey')).toEqual([...lengths.prey].sort((a, b) => a - b));
    expect(episodeLengths('hunter')).toEqual([...lengths.hunter].sort((a, b) => a - b));
    // ... with the same return: each id's rewards went to its own slot.
    const rounded = (list: number[]) => list.map((r) => Math.round(r * 1e4) / 1e4).sort((a, b) => a - b);
    const episodeReturns = (name: string) => rounded(events.flatMap((e) => (e.type === 'episode' && e.behaviour === name ? [e.return] : [])));
    expect(episodeReturns('prey')).toEqual(rounded(returns.prey));
    expect(episodeReturns('hunter')).toEqual(rounded(returns.hunter));
    expect(returns.hunter.some((r) => r > 0)).toBe(true);
    // Prey come and go within an env episode: more prey episodes than env episodes x prey.
    expect(lengths.prey.length).toBeGreaterThan(lengths.hunter.length / 2 * 3);
    const kinds = new Set(events.map((e) => `${e.type}:${'behaviour' in e ? e.behaviour : ''}`));
    for (const kind of ['rollout:hunter', 'rollout:prey', 'update:hunter', 'update:prey', 'episode:hunter', 'episode:prey', 'eval:', 'checkpoint:']) expect(kinds).toContain(kind);
    expect(result.evaluations.length).toBe(2);
    for (const evaluation of result.evaluations) {
      expect(Number.isFinite(evaluation.meanReturns.hunter)).toBe(true);
      expect(Number.isFinite(evaluation.meanReturns.prey)).toBe(true);
    }
    expect(result.updates).toBe(hunter.updates + prey.updates);
    expect(hunter.updates).toBeGreaterThan(0);
    expect(prey.updates).toBeGreaterThan(0);
    expect(saved.map((s) => s.steps).every((s, i) => s >= (i + 1) * 200)).toBe(true);

    // A checkpoint restores every behaviour and trains on, on the same env (which starts over).
    const restored = await Behaviours.load(saved[0].bytes);
    expect(restored.get('hunter').steps + restored.get('prey').steps).toBe(saved[0].steps);
    const again = await train(restored, env, { totalSteps: saved[0].steps + 100, policyMapping: { hunter_0: 'hunter', hunter_1: 'hunter', prey_0: 'prey', prey_1: 'prey', prey_2: 'prey' } });
    expect(again.steps).toBeGreaterThanOrEqual(saved[0].steps + 100);
    restored.dispose();
    behaviours.dispose();
  });

  it('stops on abort between ticks and continues the same env episode on the next call', async () => {
    const behaviours = await arenaBehaviours(2);
    const { env, steps, resets } = counted();
    const controller = new AbortController();
    const first = await train(behaviours, env, {
      totalSteps: 10_000, policyMapping: mapping, signal: controller.signal,
      onProgress: (e) => { if (e.type === 'update') controller.abort(); },
    });
    expect(first.aborted).toBe(true);
    expect(first.steps).toBeLessThan(10_000);
    const resetsBefore = resets();
    const envStepsBefore = steps.hunter;
    const second = await train(behaviours, env, { totalSteps: first.steps + 20, policyMapping: mapping });
    expect(second.aborted).toBe(false);
    // The env episode went on: no reset before the arena's time limit.
    if (envStepsBefore / 2 + 10 < ARENA.maxSteps!) expect(resets()).toBe(resetsBefore);
    expect(behaviours.get('hunter').steps + behaviours.get('prey').steps).toBe(steps.hunter + steps.prey);
    behaviours.dispose();
  });

  it('names the bad mapping, rejects a failing env with an EnvError and stays usable', async () => {
    const behaviours = await arenaBehaviours(3);
    const { env, steps, failAt } = counted();
    await expect(train(behaviours, env, { totalSteps: 100, policyMapping: (id) => (id === 'prey_1' ? 'wolf' as never : mapping(id)) }))
      .rejects.toThrow(ValidationError);
    await expect(train(behaviours, env, { totalSteps: 100, policyMapping: (id) => (id === 'prey_1' ? 'wolf' as never : mapping(id)) }))
      .rejects.toThrow(/policyMapping\('prey_1'\)/);
    await expect(train(behaviours, env, { totalSteps: 100 })).rejects.toThrow(/policyMapping/);
    failAt(5);
    const error = await train(behaviours, env, { totalSteps: 1000, policyMapping: mapping }).catch((e) => e);
    expect(error).toBeInstanceOf(EnvError);
    expect(String(error.cause)).toMatch(/the arena broke/);
    // Usable: the next call starts the env over and trains on; still one stored step per env step of each id.
    const result = await train(behaviours, env, { totalSteps: 120, policyMapping: mapping });
    expect(result.steps).toBeGreaterThanOrEqual(120);
    expect(behaviours.get('hunter').steps).toBe(steps.hunter);
    expect(behaviours.get('prey').steps).toBe(steps.prey);
    behaviours.dispose();
  });

  it('trains one Agent for every id of a duel', async () => {
    const env = new PaddleDuel({ maxSteps: 40 });
    const agent = await Agent.create({ observationSpace: env.observationSpace('left'), actionSpace: env.actionSpace('left'), numAgents: 2, backend: 'cpu', seed: 4, ppo: { numSteps: 16 } });
    const episodes: MultiAgentProgressEvent[] = [];
    const result = await train(agent, env, { totalSteps: 200, onProgress: (e) => { if (e.type === 'episode') episodes.push(e); } });
    expect(result.steps).toBeGreaterThanOrEqual(200);
    expect(result.updates).toBeGreaterThan(0);
    expect(episodes.every((e) => e.type === 'episode' && e.behaviour === 'agent')).toBe(true);
    await expect(train(agent, env, { totalSteps: 300, policyMapping: { left: 'agent' } })).rejects.toThrow(/policyMapping\('right'\)/);
    agent.dispose();
  });

  it('self-play: left and right on slots of different teams, each game rated once from the learning team', async () => {
    const duel = new PaddleDuel({ maxSteps: 30 });
    const games: { left: string; right: string }[] = [];
    const env: ParallelEnv = {
      possibleAgents: duel.possibleAgents,
      get agents() { return duel.agents; },
      observationSpace: (id) => duel.observationSpace(id as never),
      actionSpace: (id) => duel.actionSpace(id as never),
      reset: (o) => duel.reset(o),
      step(actions) {
        const out = duel.step(actions as never);
        const left = (out.infos.left as { result?: string } | undefined)?.result;
        if (left !== undefined) games.push({ left, right: (out.infos.right as { result: string }).result });
        return out;
      },
    };
    const agent = await Agent.create({
      observationSpace: duel.observationSpace('left'), actionSpace: duel.actionSpace('left'), numAgents: 2, backend: 'cpu', seed: 5,
      ppo: { numSteps: 16 }, selfPlay: { saveSteps: 32, swapSteps: 32, teamChange: 96, window: 3, playAgainstLatestModelRatio: 0 },
    });
    const reports: { team: number; result: string }[] = [];
    const report = agent.reportResult.bind(agent);
    agent.reportResult = (team, result) => { reports.push({ team, result }); return report(team, result); };
    const result = await train(agent, env, { totalSteps: 400 });
    expect(result.steps).toBeGreaterThanOrEqual(400);
    expect(games.length).toBeGreaterThan(5);
    expect(reports).toHaveLength(games.length);
    // Team 0 is the left paddle (slot 0), team 1 the right (slot 1): each report is that side's own result.
    reports.forEach(({ team, result: r }, i) => expect(r).toBe(team === 0 ? games[i].left : games[i].right));
    expect(new Set(reports.map((r) => r.team))).toEqual(new Set([0, 1]));
    expect(agent.selfPlay!.elo).not.toBe(1200);
    agent.dispose();
  });
});
