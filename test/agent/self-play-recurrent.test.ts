// Self-play with a recurrent policy (network.memory): every opponent slot carries its own state. Checked
// against CpuPolicies stepped by hand, one per opponent team (its seed and frozen parameters), with the slots'
// states in a table of the test's own and the documented reset rules applied by the test: episode end, leave,
// spawn, cancelStep and a heuristic taking or releasing a slot forget the slot's state; a swap to other
// parameters forgets the team's, the same parameters keep them; a team change forgets the states of the team
// that stops learning; predict() and the learner's updates touch none of them.
// A save mid-game resumes bit-exact, opponents' states included, and a tick allocates nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions, type SelfPlayEvent } from '../../src/agent/agent.js';
import { opponentSeed } from '../../src/agent/self-play.js';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import { init } from '../../src/init.js';
import { checksumAt, fileChecksum } from '../../src/policy/checkpoint.js';
import { networkLayout, type PolicySpec } from '../../src/policy/network.js';
import { readSafetensors, type Tensor, writeSafetensors } from '../../src/policy/safetensors.js';
import { PCG32 } from '../../src/rng.js';
import { PaddleDuel } from '../../src/envs/duel/paddle-duel.js';
import { Box } from '../../src/spaces.js';
import { train } from '../../src/train.js';
import { leastHeapGrowth } from '../helpers/heap.js';

beforeAll(() => init());

const OBS = 4;
const ACT = 2;
const lstm = { hidden: [6], memory: { cell: 'lstm' as const, size: 5 } };
const gru = { hidden: [5], shared: true, memory: { cell: 'gru' as const, size: 4 } };

function options(numAgents: number, network: AgentOptions['network'], selfPlay: AgentOptions['selfPlay'], extra: Partial<AgentOptions> = {}): AgentOptions {
  return {
    observationSpace: Box(OBS), actionSpace: Box(ACT), numAgents, backend: 'cpu', seed: 5, frameBudgetMs: 0, network,
    ppo: { numSteps: 8, numMinibatches: 2, numEpochs: 1 }, selfPlay, ...extra,
  };
}

/** Tick t's game inputs, whatever the agents did: observations, rewards and episode ends drawn from (seed, t). */
function inputs(n: number, seed: number, t: number, ends = 1) {
  const rng = new PCG32(seed, t);
  const observations = Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
  const rewards = Float32Array.from({ length: n }, () => rng.nextNormal());
  const terminated = Uint8Array.from({ length: n }, () => (rng.nextFloat() < 0.05 * ends ? 1 : 0));
  const truncated = Uint8Array.from({ length: n }, () => (rng.nextFloat() < 0.03 * ends ? 1 : 0));
  return { observations, rewards, terminated, truncated };
}

/** What the game does to its slots besides acting and observing, by tick. */
type Churn = { leave?: number; spawn?: number; take?: number; release?: number; cancel?: boolean };

const HEURISTIC = (slot: number, _o: Float32Array, actions: Int32Array | Float32Array) => {
  actions[slot * ACT] = 0.5;
  actions[slot * ACT + 1] = -0.5;
};

/** Applies tick t's churn before act() (cancel is applied by the caller after it). */
function churnBefore(agent: Agent, churn: Churn | undefined): void {
  if (churn?.leave !== undefined) agent.leave(churn.leave);
  if (churn?.spawn !== undefined) expect(agent.spawn(churn.spawn)).toBe(churn.spawn);
  if (churn?.take !== undefined) agent.setHeuristic(churn.take, HEURISTIC);
  if (churn?.release !== undefined) agent.setHeuristic(churn.release, null);
}

/**
 * The opponents stepped by hand: one CpuPolicy per team (the team's seed; the parameters self-play gave it),
 * each slot's state in `table`, gathered into the CpuPolicy before a step and read back after it.
 */
class OpponentsByHand {
  readonly cpus: CpuPolicy[];
  readonly table: Float32Array;
  readonly loaded: Float32Array[];
  readonly alive: boolean[];
  readonly held: boolean[];
  readonly S: number;
  learning = 0;

  constructor(readonly policy: PolicySpec, readonly n: number, readonly teams: number, seed: number, initial: Float32Array) {
    this.S = networkLayout(policy).stateSize;
    this.cpus = Array.from({ length: teams }, (_, t) => new CpuPolicy(policy, { parameters: initial, seed: opponentSeed(seed, t), maxAgents: n }));
    this.table = new Float32Array(n * this.S);
    this.loaded = Array.from({ length: teams }, () => initial);
    this.alive = new Array(n).fill(true);
    this.held = new Array(n).fill(false);
  }

  forget(slot?: number): void {
    if (slot === undefined) this.table.fill(0);
    else this.table.fill(0, slot * this.S, (slot + 1) * this.S);
  }

  forgetTeam(team: number): void {
    for (let e = team; e < this.n; e += this.teams) this.forget(e);
  }

  /** Every opponent slot's action this tick (slot -> action), each team acting for its alive, unheld slots in slot order. */
  act(observations: Float32Array): Map<number, number[]> {
    const S = this.S;
    const expected = new Map<number, number[]>();
    for (let team = 0; team < this.teams; team++) {
      if (team === this.learning) continue;
      const rows: number[] = [];
      for (let e = team; e < this.n; e += this.teams) if (this.alive[e] && !this.held[e]) rows.push(e);
      if (rows.length === 0) continue;
      const cpu = this.cpus[team];
      cpu.setStates(new Float32Array(rows.flatMap((e) => Array.from(this.table.subarray(e * S, (e + 1) * S)))));
      const out = { actions: new Float32Array(rows.length * ACT), logProbs: new Float32Array(rows.length), values: new Float32Array(rows.length) };
      cpu.act(new Float32Array(rows.flatMap((e) => Array.from(observations.subarray(e * OBS, (e + 1) * OBS)))), out);
      const after = new Float32Array(rows.length * S);
      cpu.copyStates(after);
      rows.forEach((e, i) => {
        this.table.set(after.subarray(i * S, (i + 1) * S), e * S);
        expected.set(e, Array.from(out.actions.subarray(i * ACT, (i + 1) * ACT)));
      });
    }
    return expected;
  }

  /** A self-play event: a team change forgets the states of the team that stops learning; a swap forgets those of teams given other parameters. */
  changed(event: SelfPlayEvent, parametersOf: (team: number) => Float32Array): void {
    if (event.teamChanged) {
      this.forgetTeam(this.learning);
      this.learning = event.selfPlay.learningTeam;
    }
    if (!event.swapped) return;
    for (let team = 0; team < this.teams; team++) {
      if (team === this.learning) continue;
      const next = parametersOf(team);
      if (next.some((x, i) => x !== this.loaded[team][i])) this.forgetTeam(team);
      this.loaded[team] = next;
      this.cpus[team].setParameters(next);
    }
  }

  dispose(): void {
    for (const cpu of this.cpus) cpu.dispose();
  }
}

interface Scenario {
  name: string;
  n: number;
  network: AgentOptions['network'];
  selfPlay: NonNullable<AgentOptions['selfPlay']>;
  ticks: number;
  churn: Record<number, Churn>;
  /** How often episodes end (1: about one in 12 ticks per slot). */
  ends: number;
}

const scenarios: Scenario[] = [
  {
    // Every swap draws the learner as it is now: other parameters each time.
    name: 'LSTM, two teams, every swap to the latest learner, team changes',
    n: 4, network: lstm, ticks: 150, ends: 1,
    selfPlay: { saveSteps: 1e6, swapSteps: 20, teamChange: 64, playAgainstLatestModelRatio: 1 },
    churn: { 10: { leave: 1 }, 14: { spawn: 1 }, 20: { take: 3 }, 26: { release: 3 }, 33: { cancel: true }, 90: { leave: 2 }, 95: { spawn: 2 }, 100: { take: 0 }, 104: { release: 0 }, 120: { cancel: true } },
  },
  {
    // The pool only ever holds the initial snapshot: a swap redraws the parameters a team plays (states kept),
    // and a team that stops learning plays the parameters it played before: what it carried then is stale
    // (episodes are long here, so that states outlive a learning turn).
    name: 'shared GRU, three teams, swaps to the same snapshot, team changes',
    n: 6, network: gru, ticks: 170, ends: 0.1,
    selfPlay: { teams: 3, saveSteps: 1e6, swapSteps: 20, teamChange: 48, playAgainstLatestModelRatio: 0 },
    churn: { 12: { leave: 4 }, 15: { spawn: 4 }, 30: { take: 2 }, 37: { release: 2 }, 165: { cancel: true } },
  },
];

describe('self-play with a recurrent policy', () => {
  for (const s of scenarios) {
    it(`${s.name}: opponents act as CpuPolicies stepped by hand, with the documented resets`, async () => {
      const agent = await Agent.create(options(s.n, s.network, s.selfPlay));
      const initial = await agent.getParameters();
      const policy = { observationSize: OBS, actionSpace: Box(ACT), network: agent.options.network };
      const teams = s.selfPlay.teams ?? 2;
      const byHand = new OpponentsByHand(policy, s.n, teams, 5, initial);
      const events: SelfPlayEvent[] = [];
      agent.on('selfPlay', (e) => events.push(e));
      let compared = 0, carried = 0, keptAtSwap = 0;
      try {
        for (let t = 0; t < s.ticks; t++) {
          const churn = s.churn[t];
          churnBefore(agent, churn);
          if (churn?.leave !== undefined) { byHand.alive[churn.leave] = false; byHand.forget(churn.leave); }
          if (churn?.spawn !== undefined) { byHand.alive[churn.spawn] = true; byHand.forget(churn.spawn); }
          if (churn?.take !== undefined) { byHand.held[churn.take] = true; byHand.forget(churn.take); }
          if (churn?.release !== undefined) { byHand.held[churn.release] = false; byHand.forget(churn.release); }
          const game = inputs(s.n, 17, t, s.ends);
          // A slot a player holds plays on: its state must start over because it was taken, not because its episode ended.
          for (let e = 0; e < s.n; e++) if (byHand.held[e]) game.terminated[e] = game.truncated[e] = 0;
          const expected = byHand.act(game.observations);
          const actions = agent.act(game.observations);
          for (const [slot, action] of expected) {
            expect(Array.from(actions.subarray(slot * ACT, (slot + 1) * ACT)), `tick ${t}, slot ${slot}`).toEqual(action);
            compared++;
          }
          if (byHand.table.some((x) => x !== 0)) carried++;
          if (churn?.cancel) {
            agent.cancelStep();
            byHand.forget();
            continue;
          }
          agent.observe(game.rewards, game.terminated, game.truncated);
          for (let e = 0; e < s.n; e++) if (byHand.alive[e] && (game.terminated[e] || game.truncated[e])) byHand.forget(e);
          // predict() has a memory of its own: the opponents' states do not move.
          if (t % 5 === 0) agent.predict(game.observations);
          if (agent.pendingUpdates > 0) {
            const before = events.length, updates = agent.updates;
            await agent.whenIdle();
            expect(agent.updates - updates).toBeLessThanOrEqual(1); // the 'latest' parameters are those after this one update
            const latest = await agent.getParameters();
            for (const event of events.slice(before)) {
              const kept = byHand.table.slice();
              byHand.changed(event, () => (s.selfPlay.playAgainstLatestModelRatio === 1 ? latest : initial));
              // An opponent slot's state that went on through the swap (a learning team's wait, unused).
              const opponentRow = (i: number) => Math.floor(i / byHand.S) % teams !== byHand.learning;
              if (event.swapped && !event.teamChanged && byHand.table.some((x, i) => opponentRow(i) && x === kept[i] && x !== 0)) keptAtSwap++;
            }
          }
        }
        expect(compared).toBeGreaterThan(s.ticks * 0.8 * (s.n - s.n / teams) * 0.9);
        expect(carried).toBeGreaterThan(s.ticks * 0.8);
        expect(events.filter((e) => e.teamChanged).length).toBeGreaterThanOrEqual(2);
        expect(events.filter((e) => e.swapped && !e.teamChanged).length).toBeGreaterThanOrEqual(2);
        // Same-snapshot swaps kept states mid-episode; swaps to the latest learner never do.
        if (s.selfPlay.playAgainstLatestModelRatio === 0) expect(keptAtSwap).toBeGreaterThan(0);
        else expect(keptAtSwap).toBe(0);
      } finally {
        byHand.dispose();
        agent.dispose();
      }
    });
  }

  it('resumes bit-exact from a save mid-game, opponents\' states included (and they matter)', async () => {
    const s = scenarios[0];
    const churn: Record<number, Churn> = { ...s.churn, 62: { leave: 3 }, 66: { spawn: 3 } };
    const run = async (agent: Agent, from: number, to: number) => {
      const taken: number[][] = [];
      for (let t = from; t < to; t++) {
        churnBefore(agent, churn[t]);
        const game = inputs(s.n, 23, t);
        taken.push(Array.from(agent.act(game.observations)));
        if (churn[t]?.cancel) agent.cancelStep();
        else agent.observe(game.rewards, game.terminated, game.truncated);
        if (agent.pendingUpdates > 0) await agent.whenIdle();
      }
      return taken;
    };
    const original = await Agent.create(options(s.n, s.network, s.selfPlay));
    const teamChanges: number[] = [];
    original.on('selfPlay', (e) => { if (e.teamChanged) teamChanges.push(e.updates); });
    await run(original, 0, 60);
    const bytes = await original.save();
    const opponents = 1 - original.selfPlay!.learningTeam;
    const name = `self_play.opponent_memory.${opponents}`;
    const after = await run(original, 60, 140);
    expect(teamChanges.length).toBeGreaterThanOrEqual(1);

    const { tensors, metadata } = readSafetensors(bytes.slice());
    const memory = tensors.get(name)!;
    expect(memory.shape).toEqual([s.n, networkLayout({ observationSize: OBS, actionSpace: Box(ACT), network: original.options.network }).stateSize]);
    expect(Array.from(memory.data).some((x) => x !== 0)).toBe(true);

    const restored = await Agent.load(bytes, { backend: 'cpu', frameBudgetMs: 0 });
    expect(await run(restored, 60, 140)).toEqual(after);
    expect(await restored.save()).toEqual(await original.save());
    restored.dispose();

    const edited = (change: (m: Map<string, Tensor>) => void) => {
      const copy = new Map(tensors);
      change(copy);
      const file = writeSafetensors(copy, metadata);
      const at = checksumAt(file, metadata.checksum);
      file.set(new TextEncoder().encode(fileChecksum(file, at)), at);
      return file;
    };
    // The same checkpoint with the opponents' states zeroed continues otherwise: the states are what made it exact.
    const forgetful = await Agent.load(edited((m) => m.set(name, { ...memory, data: new Float32Array(memory.data.length) })), { backend: 'cpu', frameBudgetMs: 0 });
    const first = (await run(forgetful, 60, 61))[0];
    const opponentActions = (a: number[]) => [opponents, opponents + 2].map((e) => a.slice(e * ACT, (e + 1) * ACT));
    expect(opponentActions(first)).not.toEqual(opponentActions(after[0]));
    forgetful.dispose();
    // Without them the file is refused, naming the tensor.
    await expect(Agent.load(edited((m) => m.delete(name)), { backend: 'cpu' })).rejects.toThrow(new RegExp(`${name} is missing`));
    original.dispose();
  });

  it('trains headless with train() on a two-team PaddleDuel, both sides taking turns learning', async () => {
    const duel = new PaddleDuel({ maxSteps: 30 });
    const agent = await Agent.create({
      observationSpace: duel.observationSpace('left'), actionSpace: duel.actionSpace('left'), numAgents: 2, backend: 'cpu', seed: 5,
      network: lstm, ppo: { numSteps: 16, numMinibatches: 2 }, selfPlay: { saveSteps: 32, swapSteps: 32, teamChange: 64, window: 3 },
    });
    const teams = new Set<number>();
    agent.on('update', (e) => teams.add(e.selfPlay!.learningTeam));
    const result = await train(agent, duel, { totalSteps: 400 });
    expect(result.steps).toBeGreaterThanOrEqual(400);
    expect(teams).toEqual(new Set([0, 1]));
    expect(agent.selfPlay!.elo).not.toBe(1200);
    agent.dispose();
  });

  it('a feed-forward self-play checkpoint holds no opponent states', async () => {
    const agent = await Agent.create(options(4, { hidden: [6] }, {}));
    const names = [...readSafetensors(await agent.save()).tensors.keys()];
    expect(names.filter((name) => name.startsWith('self_play.opponent_memory'))).toEqual([]);
    expect(names).toContain('self_play.opponent_rng.1');
    agent.dispose();
  });

  it('act and observe allocate nothing per tick with recurrent opponents, episode ends and decision periods', async () => {
    const n = 4;
    // numSteps so large that no rollout fills: the update is not on the per-tick path.
    const agent = await Agent.create(options(n, lstm, { saveSteps: 1e6, swapSteps: 1e6, teamChange: 1e6 }, { decisionPeriod: 2, ppo: { numSteps: 65536, numMinibatches: 2 } }));
    const obs = new Float32Array(n * OBS).fill(0.25), rewards = new Float32Array(n).fill(0.5);
    const terminated = new Uint8Array(n), truncated = new Uint8Array(n);
    const tick = (t: number) => {
      obs[t % obs.length] = (t % 7) / 7;
      agent.act(obs);
      terminated[1] = t % 37 === 0 ? 1 : 0; // an opponent's episode ends: its state is forgotten
      truncated[2] = t % 53 === 0 ? 1 : 0;
      agent.observe(rewards, terminated, truncated);
    };
    const grown = await leastHeapGrowth(tick);
    // An object per tick (16 bytes at the very least) would add 800 KB per window.
    expect(grown).toBeLessThan(200_000);
    agent.dispose();
  });
});
