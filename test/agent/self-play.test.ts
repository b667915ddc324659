// Self-play in the agent, on PaddleDuel through the game-loop API: only the learning team's steps are stored,
// opponents act as an independently built OpponentPolicy with the snapshot parameters does (with observation
// normalization, with the statistics of the moment the snapshot was taken, not the learner's current ones), reported results
// move the ratings by the ELO formula, saves / swaps / team changes happen on schedule through real updates
// and show in events, and a save mid-game resumes bit-exact (with decision periods, leave and spawn).
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions, loadPolicy, type DuelResultInfo, type GameResult, opponentSeed, OpponentPolicy, PaddleDuel, type SelfPlayEvent, type UpdateEvent, StateError, ValidationError } from '../../src/index.js';
import { init } from '../../src/init.js';
import { resolveNetworkSpec } from '../../src/policy/network.js';
import { readSafetensors, writeSafetensors } from '../../src/policy/safetensors.js';
import { checksumAt, fileChecksum } from '../../src/policy/checkpoint.js';
import { frozenPolicy } from '../../src/selfplay/opponent-policy.js';
import { Box, Discrete } from '../../src/spaces.js';
import { leastHeapGrowth } from '../helpers/heap.js';

beforeAll(() => init());

const OBS = 6;

function options(numAgents: number, selfPlay: AgentOptions['selfPlay'], extra: Partial<AgentOptions> = {}): AgentOptions {
  return {
    observationSpace: Box(OBS), actionSpace: Discrete(3), numAgents, backend: 'cpu', seed: 3, frameBudgetMs: 0,
    network: { hidden: [16] }, ppo: { numSteps: 8, numMinibatches: 2, numEpochs: 2 }, selfPlay, ...extra,
  };
}

/**
 * numAgents / 2 duels: duel k is slots 2k (left, team 0) and 2k + 1 (right, team 1). A duel whose slots have
 * left pauses. Results are reported from the left side (team 0).
 */
class DuelGame {
  readonly duels: PaddleDuel[];
  readonly observations: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly results: GameResult[] = [];
  readonly paused: boolean[];

  constructor(readonly n: number, seed: number) {
    this.duels = Array.from({ length: n / 2 }, () => new PaddleDuel({ pointsToWin: 1, maxSteps: 40 }));
    this.paused = this.duels.map(() => false);
    this.observations = new Float32Array(n * OBS);
    this.rewards = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.duels.forEach((d, k) => this.write(k, d.reset({ seed: seed + k }).observations));
  }

  /** The game's half of a tick: steps every running duel with these actions. */
  step(actions: Int32Array | Float32Array): void {
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.duels.forEach((d, k) => {
      if (this.paused[k]) return;
      const r = d.step({ left: actions[2 * k], right: actions[2 * k + 1] });
      this.rewards[2 * k] = r.rewards.left!;
      this.rewards[2 * k + 1] = r.rewards.right!;
      const over = r.terminations.left! || r.truncations.left!;
      this.terminated.fill(r.terminations.left! ? 1 : 0, 2 * k, 2 * k + 2);
      this.truncated.fill(r.truncations.left! ? 1 : 0, 2 * k, 2 * k + 2);
      if (over) this.results.push((r.infos.left as DuelResultInfo).result);
      this.write(k, over ? d.reset().observations : r.observations);
    });
  }

  /** A whole tick of the game loop: act, step, report finished games from team 0's side, observe. */
  tick(agent: Agent, decide?: Uint8Array): Int32Array {
    const actions = agent.act(this.observations, decide ? { decide } : undefined) as Int32Array;
    const taken = actions.slice();
    const before = this.results.length;
    this.step(actions);
    for (const result of this.results.slice(before)) agent.reportResult(0, result);
    agent.observe(this.rewards, this.terminated, this.truncated);
    return taken;
  }

  private write(k: number, obs: Partial<Record<'left' | 'right', ArrayLike<number>>>): void {
    this.observations.set(obs.left!, 2 * k * OBS);
    this.observations.set(obs.right!, (2 * k + 1) * OBS);
  }
}

/** Runs ticks, awaiting each update before the next tick so every run of the same game is the same. */
async function play(agent: Agent, game: DuelGame, ticks: number, each?: (t: number) => void | Promise<void>): Promise<Int32Array[]> {
  const taken: Int32Array[] = [];
  for (let t = 0; t < ticks; t++) {
    await each?.(t);
    taken.push(game.tick(agent));
    if (agent.pendingUpdates > 0) await agent.whenIdle();
  }
  return taken;
}

/** ELO by its definition: K (S - E), E = 1 / (1 + 10^((opponent - own) / 400)). */
function eloDelta(own: number, opponent: number, score: number, k: number): number {
  return k * (score - 1 / (1 + 10 ** ((opponent - own) / 400)));
}

const QUIET = { saveSteps: 1e6, swapSteps: 1e6, teamChange: 1e6 };

describe('self-play in the agent', () => {
  it('stores only the learning team\'s steps and trains on them', async () => {
    const agent = await Agent.create(options(4, QUIET));
    const game = new DuelGame(4, 1);
    await play(agent, game, 40);
    // Two of the four slots learn: 2 stored decisions per tick; a rollout (8 x 4 rows) fills every 16 ticks.
    expect(agent.steps).toBe(80);
    expect(agent.updates).toBe(2);
    // Opponent steps count up to each update: the rollouts fill on ticks 17 and 33, after the opponents acted on them.
    expect(agent.selfPlay).toMatchObject({ learningTeam: 0, trainedSteps: 64, opponentSteps: 66 });
    expect(game.results.length).toBeGreaterThan(0);
    agent.dispose();
  });

  it('drives the opponent team with the snapshot parameters: the same actions as an independent OpponentPolicy', async () => {
    // Every swap draws the current policy ('latest'); a swap comes every second update (64 > 40 opponent steps).
    const agent = await Agent.create(options(4, { ...QUIET, swapSteps: 40, playAgainstLatestModelRatio: 1 }));
    const spec = { observationSize: OBS, actionSpace: Discrete(3), network: resolveNetworkSpec({ hidden: [16] }) };
    const initial = await agent.getParameters();
    const independent = new OpponentPolicy(spec, initial, { maxRows: 2, seed: opponentSeed(3, 1) });
    const expected = new Int32Array(4), rows = Int32Array.of(1, 3);
    const swaps: number[] = [];
    agent.on('selfPlay', (e) => { if (e.swapped) swaps.push(e.updates); });
    const game = new DuelGame(4, 2);
    let compared = 0;
    for (let t = 0; t < 70; t++) {
      independent.act(game.observations, rows, 2, expected);
      const taken = game.tick(agent);
      expect([taken[1], taken[3]]).toEqual([expected[1], expected[3]]);
      compared += 2;
      if (agent.pendingUpdates > 0) {
        const before = swaps.length;
        await agent.whenIdle();
        if (swaps.length > before) independent.load(await agent.getParameters());
      }
    }
    expect(agent.updates).toBe(4);
    expect(swaps).toEqual([2, 4]);
    // The learner moved away from the snapshot it plays against between swaps.
    expect(await agent.getParameters()).not.toEqual(initial);
    expect(compared).toBe(140);
    independent.dispose();
    agent.dispose();
  });

  it('with observation normalization, opponents normalize with the statistics frozen with their snapshot', async () => {
    // A swap to 'latest' every second update; between swaps the learner's statistics keep moving.
    const agent = await Agent.create(options(4, { ...QUIET, swapSteps: 40, playAgainstLatestModelRatio: 1 }, { ppo: { numSteps: 8, numMinibatches: 2, numEpochs: 4, learningRate: 0.03, normalizeObservations: true } }));
    const spec = { observationSize: OBS, actionSpace: Discrete(3), network: resolveNetworkSpec({ hidden: [16] }) };
    const learnerStats = async () => {
      const { tensors } = readSafetensors(await agent.save());
      return { mean: tensors.get('obs_rms.mean')!.data as Float64Array, var: tensors.get('obs_rms.var')!.data as Float64Array, count: 1 };
    };
    const initialStats = await learnerStats();
    expect(Array.from(initialStats.var)).toEqual(new Array(OBS).fill(1));
    const independent = new OpponentPolicy(spec, frozenPolicy(await agent.getParameters(), initialStats), { maxRows: 2, seed: opponentSeed(3, 1), normalizeObservations: true });
    const expected = new Int32Array(4), rows = Int32Array.of(1, 3);
    let swaps = 0, frozen = initialStats, drift = 0;
    const swapped: number[] = [];
    agent.on('selfPlay', (e) => { if (e.swapped) swapped.push(e.updates); });
    const game = new DuelGame(4, 2);
    for (let t = 0; t < 400; t++) {
      independent.act(game.observations, rows, 2, expected);
      const taken = game.tick(agent);
      expect([taken[1], taken[3]]).toEqual([expected[1], expected[3]]);
      if (agent.pendingUpdates > 0) {
        const before = swapped.length;
        await agent.whenIdle();
        const now = await learnerStats();
        // How far the learner's statistics are from the ones the opponent plays with, just before a swap.
        drift = Math.max(drift, ...Array.from(now.var, (v, k) => Math.abs(v - frozen.var[k])));
        if (swapped.length > before) {
          swaps++;
          frozen = now;
          independent.load(frozenPolicy(await agent.getParameters(), now));
        }
      }
    }
    expect(swaps).toBe(12);
    // The statistics moved far between swaps: an opponent reading the learner's current ones would act otherwise.
    expect(drift).toBeGreaterThan(0.5);
    independent.dispose();
    agent.dispose();
  });

  it('moves the ratings by the ELO formula for results reported from either team', async () => {
    const agent = await Agent.create(options(2, { ...QUIET, eloK: 24 }));
    const reports: [number, GameResult, number][] = [[0, 'win', 1], [1, 'win', 0], [0, 'draw', 0.5], [1, 'loss', 1], [0, 'loss', 0]];
    for (const [team, result, score] of reports) {
      const { elo, opponent } = agent.selfPlay!;
      const change = agent.reportResult(team, result);
      expect(change).toBeCloseTo(eloDelta(elo, opponent.elo, score, 24), 12);
      expect(agent.selfPlay!.elo).toBeCloseTo(elo + change, 12);
      expect(agent.selfPlay!.opponent.elo).toBeCloseTo(opponent.elo - change, 12);
    }
    agent.dispose();
  });

  it('saves, swaps and changes teams on schedule through real updates, and says so in events', async () => {
    const sp = { saveSteps: 40, swapSteps: 50, teamChange: 100, window: 3, playAgainstLatestModelRatio: 0.5 };
    const agent = await Agent.create(options(4, sp));
    const updates: UpdateEvent[] = [], changes: SelfPlayEvent[] = [];
    agent.on('update', (e) => updates.push(e));
    agent.on('selfPlay', (e) => changes.push(e));
    const game = new DuelGame(4, 3);
    // Which team stores: on a tick where only team 0's slots are asked to decide, team 0 learning stores 2 steps.
    const team0Stores = () => {
      const before = agent.steps;
      game.tick(agent, Uint8Array.of(1, 0, 1, 0));
      return agent.steps - before === 2;
    };
    await play(agent, game, 8);
    expect(team0Stores()).toBe(true);
    await play(agent, game, 16 * 5);
    expect(agent.updates).toBe(5);
    // The schedule replayed from the counters the events report: an event fires once its interval is exceeded.
    let lastSave = 0, lastSwap = 0, lastTeam = 0, team = 0;
    for (const u of updates) {
      const s = u.selfPlay!;
      expect(s.trainedSteps).toBe(32 * u.updates);
      const teamChanged = s.trainedSteps - lastTeam > sp.teamChange;
      const saved = s.trainedSteps - lastSave > sp.saveSteps;
      const swapped = teamChanged || s.opponentSteps - lastSwap > sp.swapSteps;
      if (teamChanged) { lastTeam = s.trainedSteps; team = 1 - team; }
      if (saved) lastSave = s.trainedSteps;
      if (swapped) lastSwap = s.opponentSteps;
      expect(s.learningTeam).toBe(team);
      const event = changes.find((c) => c.updates === u.updates);
      if (!teamChanged && !saved && !swapped) expect(event).toBeUndefined();
      else expect(event).toMatchObject({ teamChanged, saved, swapped, selfPlay: s });
      expect(s.poolElo.length).toBe(Math.min(3, 1 + updates.filter((x) => x.updates <= u.updates && changes.find((c) => c.updates === x.updates)?.saved).length));
    }
    expect(changes.some((c) => c.teamChanged)).toBe(true);
    expect(changes.filter((c) => c.saved).map((c) => c.updates)).toEqual([2, 4]);
    expect(agent.selfPlay!.learningTeam).toBe(1);
    // Team 1 learns now: asking only team 0 to decide stores nothing.
    await play(agent, game, 1);
    expect(team0Stores()).toBe(false);
    expect(agent.selfPlay!.poolElo.length).toBe(3);
    agent.dispose();
  });

  it('resumes bit-exact from a save mid-game: actions, parameters and self-play state over further ticks', async () => {
    const sp = { saveSteps: 20, swapSteps: 25, teamChange: 60, window: 3, playAgainstLatestModelRatio: 0.5 };
    const opts = options(4, sp, { decisionPeriod: 2, ppo: { numSteps: 8, numMinibatches: 2, numEpochs: 2, normalizeObservations: true } });
    const original = await Agent.create(opts);
    const game = new DuelGame(4, 7);
    // Duel 1 (slots 2, 3) leaves for a while and comes back.
    const churn = (agent: Agent, g: DuelGame) => (t: number) => {
      if (t === 30) { agent.leave(2); agent.leave(3, { truncated: true }); g.paused[1] = true; }
      if (t === 50) { expect([agent.spawn(), agent.spawn()]).toEqual([2, 3]); g.paused[1] = false; }
    };
    const before = await play(original, game, 100, churn(original, game));
    const teamChangesBefore = original.selfPlay!;
    const bytes = await original.save();
    const after = await play(original, game, 120, (t) => churn(original, game)(t + 100));

    // The same game replayed with the actions taken before the save, then continued by the restored agent.
    const replay = new DuelGame(4, 7);
    before.forEach((actions, t) => {
      if (t === 30) replay.paused[1] = true;
      if (t === 50) replay.paused[1] = false;
      replay.step(actions);
    });
    const restored = await Agent.load(bytes, { backend: 'cpu', frameBudgetMs: 0 });
    expect(restored.selfPlay).toEqual(teamChangesBefore);
    const resumed = await play(restored, replay, 120, (t) => churn(restored, replay)(t + 100));
    expect(resumed).toEqual(after);
    expect(restored.updates).toBe(original.updates);
    expect(original.updates).toBeGreaterThanOrEqual(6);
    expect(await restored.getParameters()).toEqual(await original.getParameters());
    expect(restored.selfPlay).toEqual(original.selfPlay);
    expect(original.selfPlay!.trainedSteps).toBeGreaterThan(sp.teamChange);
    expect(await restored.save()).toEqual(await original.save());
    restored.dispose();
    original.dispose();
  });

  it('rejects bad settings and calls, naming the field, and leaves the agent as it was', async () => {
    await expect(Agent.create(options(4, { window: 0 }))).rejects.toThrow(/selfPlay\.window/);
    await expect(Agent.create(options(4, { playAgainstLatestModelRatio: 2 }))).rejects.toThrow(/selfPlay\.playAgainstLatestModelRatio/);
    await expect(Agent.create(options(4, { swapstep: 3 } as never))).rejects.toThrow(/selfPlay\.swapstep/);
    await expect(Agent.create(options(3, {}))).rejects.toThrow(/selfPlay\.teams.*divisor of numAgents \(3\)/);
    await expect(Agent.create(options(6, { teams: 4 }))).rejects.toThrow(ValidationError);
    const plain = await Agent.create(options(2, undefined));
    expect(plain.selfPlay).toBeUndefined();
    expect(() => plain.reportResult(0, 'win')).toThrow(StateError);
    plain.dispose();
    const agent = await Agent.create(options(2, {}));
    const state = agent.selfPlay;
    expect(() => agent.reportResult(2, 'win')).toThrow(/team/);
    expect(() => agent.reportResult(0, 'tie' as GameResult)).toThrow(/result/);
    expect(agent.selfPlay).toEqual(state);
    // Opponent slots are never trained on: a heuristic may take one over, but not to train on it.
    expect(() => agent.setHeuristic(1, () => {}, { train: true })).toThrow(/options\.train: expected false for a slot a driver acts for/);
    agent.dispose();
  });

  it('keeps self-play in the checkpoint config and refuses a checkpoint without its self-play state', async () => {
    const agent = await Agent.create(options(2, { saveSteps: 7, teams: 2 }));
    const bytes = await agent.save();
    const restored = await Agent.load(bytes, { backend: 'cpu' });
    expect(restored.options.selfPlay).toEqual(agent.options.selfPlay);
    expect(restored.options.selfPlay!.saveSteps).toBe(7);
    // The policy alone loads from it too (self-play's tensors belong to the running game).
    const policy = await loadPolicy(bytes);
    expect(policy.predict(new Float32Array(2 * OBS)).length).toBe(2);
    policy.dispose();
    restored.dispose();
    // Without its self-play state the file is refused, naming the tensor.
    const without = (name: string) => {
      const { tensors, metadata } = readSafetensors(bytes.slice());
      tensors.delete(name);
      const edited = writeSafetensors(tensors, metadata);
      const at = checksumAt(edited, metadata.checksum);
      edited.set(new TextEncoder().encode(fileChecksum(edited, at)), at);
      return edited;
    };
    for (const name of ['self_play.elo', 'self_play.opponent_rng.1', 'self_play.agent.pending_opponent_steps']) {
      await expect(Agent.load(without(name), { backend: 'cpu' })).rejects.toThrow(name);
    }
    agent.dispose();
  });
  it('loads a checkpoint of the release before, whose snapshots hold no normalization statistics, giving them the checkpoint\'s', async () => {
    const agent = await Agent.create(options(4, { saveSteps: 8, swapSteps: 8, teamChange: 1e6 }, { ppo: { numSteps: 8, numMinibatches: 2, numEpochs: 1, normalizeObservations: true } }));
    const obs = new Float32Array(4 * OBS), rewards = new Float32Array(4), flags = new Uint8Array(4);
    for (let t = 0; t < 40; t++) {
      for (let i = 0; i < obs.length; i++) obs[i] = Math.sin(t * 7 + i) * (1 + i);
      agent.act(obs);
      agent.observe(rewards, flags, flags);
      await agent.whenIdle();
    }
    const P = (await agent.getParameters()).length;
    const bytes = await agent.save();
    agent.dispose();
    const { tensors, metadata } = readSafetensors(bytes.slice());
    const mean = tensors.get('obs_rms.mean')!.data, variance = tensors.get('obs_rms.var')!.data;
    // Narrow every snapshot row to its parameters, as the release before wrote them.
    const narrowed = (width: number) => {
      const edited = new Map(tensors);
      edited.delete('self_play.opponent.row'); // the release before had one opponent row per team
      for (const name of ['self_play.pool.parameters', 'self_play.opponent.parameters']) {
        const t = tensors.get(name)!, rows = t.shape[0], full = t.shape[1];
        const data = new Float32Array(rows * width);
        for (let r = 0; r < rows; r++) data.set((t.data as Float32Array).subarray(r * full, r * full + width), r * width);
        edited.set(name, { dtype: 'F32', shape: [rows, width], data });
      }
      const file = writeSafetensors(edited, metadata);
      const at = checksumAt(file, metadata.checksum);
      file.set(new TextEncoder().encode(fileChecksum(file, at)), at);
      return file;
    };
    const pool = tensors.get('self_play.pool.parameters')!;
    expect(pool.shape).toEqual([pool.shape[0], P + 2 * OBS]);
    expect(pool.shape[0]).toBeGreaterThan(1);
    const legacy = await Agent.load(narrowed(P), { backend: 'cpu' });
    const widened = readSafetensors(await legacy.save()).tensors.get('self_play.pool.parameters')!;
    legacy.dispose();
    expect(widened.shape).toEqual(pool.shape);
    for (let r = 0; r < pool.shape[0]; r++) {
      const row = (widened.data as Float32Array).subarray(r * (P + 2 * OBS), (r + 1) * (P + 2 * OBS));
      expect(Array.from(row.subarray(0, P))).toEqual(Array.from((pool.data as Float32Array).subarray(r * (P + 2 * OBS), r * (P + 2 * OBS) + P)));
      expect(Array.from(row.subarray(P))).toEqual(Array.from([...mean, ...variance], Math.fround));
    }
    // Any other width is still refused, naming the tensor.
    await expect(Agent.load(narrowed(P - 1), { backend: 'cpu' })).rejects.toThrow(/self_play.pool.parameters/);
  });
});

describe('self-play with more teams, heuristics and allocation', () => {
  it('drives every opponent team and rates a learning-team result against each', async () => {
    const agent = await Agent.create(options(6, { ...QUIET, teams: 3, eloK: 32 }, { observationSpace: Box(2) }));
    const obs = new Float32Array(6 * 2).fill(0.3), rewards = new Float32Array(6), flags = new Uint8Array(6);
    for (let t = 0; t < 5; t++) {
      agent.act(obs);
      agent.observe(rewards, flags, flags);
    }
    expect(agent.steps).toBe(10); // slots 0 and 3 learn
    expect(agent.selfPlay!.opponents.map((o) => o.team)).toEqual([1, 2]);
    const { elo } = agent.selfPlay!;
    const change = agent.reportResult(0, 'win');
    // Two games' worth: one against each opponent team's snapshot (the same snapshot, rated again after the first).
    const first = eloDelta(elo, 1200, 1, 32), second = eloDelta(elo + first, 1200 - first, 1, 32);
    expect(change).toBeCloseTo(first + second, 12);
    expect(() => agent.setHeuristic(4, () => {}, { train: true })).toThrow(/options\.train/);
    agent.dispose();
  });

  it('lets a heuristic (a player) take over an opponent slot from its driver and give it back, never storing its steps', async () => {
    const agent = await Agent.create(options(2, QUIET));
    const game = new DuelGame(2, 7);
    const driven = await play(agent, game, 30);
    expect(driven.some((a) => a[1] !== 2)).toBe(true); // the opponent's policy moves
    agent.setHeuristic(1, (slot, _o, actions) => { actions[slot] = 2; });
    expect(() => agent.setHeuristic(1, () => {}, { train: true })).toThrow(ValidationError);
    const steps = agent.steps;
    const held = await play(agent, game, 30);
    expect(held.every((a) => a[1] === 2)).toBe(true); // the player's action, never the driver's
    expect(agent.steps - steps).toBe(30); // only the learner's slot 0 stores steps
    agent.setHeuristic(1, null);
    const back = await play(agent, game, 30);
    expect(back.some((a) => a[1] !== 2)).toBe(true);
    expect(agent.steps - steps).toBe(60);
    agent.dispose();
  });

  it('gives an opponent slot back to its driver when a player lets go of it after team changes', async () => {
    const agent = await Agent.create(options(4, { saveSteps: 1e6, swapSteps: 1e6, teamChange: 1 }));
    const teams: number[] = [];
    agent.on('selfPlay', (e) => teams.push(e.selfPlay.learningTeam));
    const game = new DuelGame(4, 9);
    agent.setHeuristic(1, (slot, _o, actions) => { actions[slot] = 2; });
    // The player holds slot 1 (team 1) through a team change to team 1 and back: it stays the player's throughout.
    const held: Int32Array[] = [];
    for (let t = 0; t < 200 && teams.length < 2; t++) held.push(...await play(agent, game, 1));
    expect(teams).toEqual([1, 0]);
    expect(held.every((a) => a[1] === 2)).toBe(true);
    agent.setHeuristic(1, null);
    // Team 0 learns: slot 1 is an opponent slot again, driven and not stored (slots 0 and 2 store, 2 a tick).
    const steps = agent.steps;
    await play(agent, game, 3);
    expect(teams).toEqual([1, 0]);
    expect(agent.steps - steps).toBe(6);
    agent.dispose();
  });

  it('leaves a learning slot held by a heuristic to it when its team stops learning', async () => {
    const agent = await Agent.create(options(4, { saveSteps: 1e6, swapSteps: 1e6, teamChange: 1 }));
    agent.setHeuristic(0, (slot, _o, actions) => { actions[slot] = 2; });
    const teams: number[] = [];
    agent.on('selfPlay', (e) => teams.push(e.selfPlay.learningTeam));
    const game = new DuelGame(4, 5);
    const taken = await play(agent, game, 60);
    expect(teams).toEqual([1, 0]); // a team change after every update, with slot 0 among the opponents, then learning again
    expect(taken.every((a) => a[0] === 2)).toBe(true);
    agent.dispose();
  });

  it('act and observe allocate nothing per tick with opponents, masks, normalization and decision periods', async () => {
    const n = 4;
    // numSteps so large that no rollout fills: the update is not on the per-tick path.
    const agent = await Agent.create(options(n, QUIET, { masks: true, decisionPeriod: 2, ppo: { numSteps: 65536, numMinibatches: 2, normalizeObservations: true } }));
    const obs = new Float32Array(n * OBS).fill(0.25), rewards = new Float32Array(n).fill(0.5), flags = new Uint8Array(n);
    const masks = new Uint8Array(n * 3).fill(1);
    const withMasks = { masks };
    const tick = (t: number) => {
      obs[t % obs.length] = (t % 7) / 7;
      agent.act(obs, withMasks);
      agent.observe(rewards, flags, flags);
    };
    const grown = await leastHeapGrowth(tick);
    // An object per tick (16 bytes at the very least) would add 800 KB per window.
    expect(grown).toBeLessThan(200_000);
    agent.dispose();
  });
});
