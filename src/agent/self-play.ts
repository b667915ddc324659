// Self-play inside the agent: slot e belongs to team e % teams; the learning team's slots act with the learner
// and are stored, every other team's slots are driven by an OpponentPolicy acting with the frozen policy
// self-play chose for that team (its parameters and, when the agent normalizes, the observation statistics
// of the moment it was frozen), and are never stored. After each update the agent reports the steps it
// trained on; swaps reload the opponents, and a team change moves the drivers to the new opponent teams
// between two ticks (the agent ends the stored stretches of the slots that stop learning at that point).
// A recurrent policy's opponent slots carry their own states, reset where the learner's are (episode end,
// spawn, leave, cancelStep, a heuristic taking the slot) and wherever the slot's policy changes: a swap to
// other parameters, or a team change moving the slot between the learner and a frozen opponent. (The
// learner keeps its states across its own updates: each moves its weights one clipped step, and its rollout
// stores the states it acted with; a swap jumps to another snapshot, possibly many updates apart.)
import { checkInteger, checkOneOf, fail } from '../errors.js';
import type { ObservationNormalizer, RunningStats } from '../normalize.js';
import type { PolicySpec } from '../policy/network.js';
import { CheckpointError, type Tensor } from '../policy/safetensors.js';
import type { GameResult } from '../selfplay/elo.js';
import { frozenPolicy, OpponentPolicy } from '../selfplay/opponent-policy.js';
import { resolveSelfPlayOptions, type ResolvedSelfPlayOptions, type SelfPlayOptions } from '../selfplay/options.js';
import { SelfPlay, type SelfPlayChanges, type SelfPlaySummary } from '../selfplay/self-play.js';
import type { Driver } from './slots.js';

/** The checkpoint tensor of the opponent steps taken since the last update (not yet counted by self-play). */
const PENDING_TENSOR = 'self_play.agent.pending_opponent_steps';

/**
 * The seed of the OpponentPolicy that acts for `team` in an agent seeded `seed`: apart from the learner's
 * draws and from every other team's, so a game can rebuild the same opponent.
 */
export function opponentSeed(seed: number, team: number): number {
  return (seed + Math.imul(0x9e3779b9, team + 1)) >>> 0;
}

/**
 * Validates `AgentOptions.selfPlay` against the agent's slots: errors name `selfPlay.<field>`, and the
 * number of slots must split into equal teams.
 */
export function resolveAgentSelfPlay(input: SelfPlayOptions | undefined, numAgents: number): ResolvedSelfPlayOptions | undefined {
  if (input === undefined) return undefined;
  const resolved = resolveSelfPlayOptions(input, 'selfPlay');
  if (numAgents % resolved.teams !== 0) fail('selfPlay.teams', `a divisor of numAgents (${numAgents}): slot e plays for team e % teams`, resolved.teams);
  return resolved;
}

/** What the agent hands its self-play: its slots and policy, how to drive slots and normalize observations. */
export interface SelfPlayHost {
  /** The agent's slots (numAgents). */
  numAgents: number;
  /** The agent's seed (the pool's draws and, through opponentSeed, every team's action draws). */
  seed: number;
  /** The learner's policy spec, which the opponents share. */
  policy: PolicySpec;
  /** The agent's observation normalizer, when it normalizes (snapshots freeze its statistics; opponents never update them). */
  normalizer: ObservationNormalizer | undefined;
  /** agent.addDriver. */
  addDriver(slots: readonly number[], driver: Driver): () => void;
  /** Whether a heuristic (a script or a player) holds the slot: it keeps it, whatever team learns. */
  hasHeuristic(slot: number): boolean;
  /** Whether the agent is between observe() and the next act() (drivers may change then). */
  betweenTicks(): boolean;
}

/** What `agent.on('selfPlay', ...)` receives when self-play saved a snapshot, swapped opponents or changed the learning team. */
export interface SelfPlayEvent extends SelfPlayChanges {
  /** Updates finished so far (the one that triggered it included). */
  updates: number;
  /** Self-play's state after the changes. */
  selfPlay: SelfPlaySummary;
}

/** One opponent team's driver: gathers its deciding slots and acts for them with the team's frozen policy. */
class OpponentDriver implements Driver {
  /** The slots acting this tick (no allocation per tick). */
  private readonly rows: Int32Array;
  private readonly options = { masks: undefined as Uint8Array | undefined, deterministic: false };
  /**
   * @param owner - The self-play whose masks and step count the driver uses.
   * @param policy - The team's frozen policy.
   * @param size - The team's slots (the most that act on one tick).
   */
  constructor(private readonly owner: AgentSelfPlay, readonly policy: OpponentPolicy, size: number) {
    this.rows = new Int32Array(size);
  }

  /** Acts for the team's deciding slots with its frozen policy, and counts their steps. */
  act(slots: Int32Array, deciding: Uint8Array, observations: Float32Array, actions: Int32Array | Float32Array): void {
    let count = 0;
    for (let i = 0; i < slots.length; i++) if (deciding[slots[i]] === 1) this.rows[count++] = slots[i];
    if (count === 0) return;
    this.options.masks = this.owner.masks;
    // Raw observations: the frozen policy normalizes them with its own statistics.
    this.policy.act(observations, this.rows, count, actions, this.options);
    this.owner.pendingOpponentSteps += count;
  }
}

/** The agent's self-play: the SelfPlay state, one OpponentPolicy per team, and the drivers of the opponent teams. */
export class AgentSelfPlay {
  /** The masks of the current act() (set by the agent before drivers run). */
  masks: Uint8Array | undefined;
  /** Opponent steps taken since the last update. */
  pendingOpponentSteps = 0;
  private readonly policies: OpponentPolicy[];
  private readonly drivers: OpponentDriver[];
  private readonly detach: (() => void)[] = [];
  /** The team whose slots the drivers leave to the learner now (lags `state.learningTeam` until a team change is applied). */
  private drivenFor = -1;
  /** A heuristic let go of an opponent slot: the drivers take their slots again at the next settle(). */
  private reattach = false;
  /** The learner frozen after an update (reused: self-play copies what it keeps). */
  private readonly frozen: Float32Array;

  /**
   * @param host - The agent's side.
   * @param state - The pool, ratings and schedule (new or restored).
   */
  private constructor(private readonly host: SelfPlayHost, readonly state: SelfPlay) {
    const { teams } = state.options;
    const size = host.numAgents / teams;
    const normalizeObservations = host.normalizer !== undefined;
    this.policies = Array.from({ length: teams }, (_, t) => new OpponentPolicy(host.policy, state.snapshot(0).parameters, { maxRows: size, slots: host.numAgents, seed: opponentSeed(host.seed, t), normalizeObservations }));
    this.drivers = this.policies.map((p) => new OpponentDriver(this, p, size));
    this.frozen = new Float32Array(state.snapshot(0).parameters.length);
    this.loadOpponents();
    this.attach();
  }

  /** Self-play from the learner's initial parameters (and its normalizer's statistics now, when it normalizes). */
  static create(host: SelfPlayHost, options: ResolvedSelfPlayOptions, parameters: Float32Array): AgentSelfPlay {
    return new AgentSelfPlay(host, new SelfPlay(options, frozenPolicy(parameters, host.normalizer?.stats), host.seed));
  }

  /**
   * Self-play continuing from a checkpoint's `self_play.*` tensors.
   * @param parameterCount - The network's parameter count (the snapshots also hold 2 x observation size
   * statistics when the agent normalizes).
   */
  static restore(host: SelfPlayHost, options: ResolvedSelfPlayOptions, parameterCount: number, tensors: ReadonlyMap<string, Tensor>): AgentSelfPlay {
    const pending = tensors.get(PENDING_TENSOR);
    const count = pending?.data[0];
    if (pending === undefined || pending.dtype !== 'F64' || pending.shape.length !== 1 || pending.shape[0] !== 1 || !Number.isInteger(count) || (count as number) < 0) {
      throw new CheckpointError(`checkpoint: tensor ${PENDING_TENSOR}: expected F64 [1] holding an integer >= 0, got ${pending ? `${pending.dtype} [${pending.shape}] ${String(count)}` : 'nothing'}`, PENDING_TENSOR);
    }
    const own = new Map([...tensors].filter(([name]) => name !== PENDING_TENSOR));
    const frozenSize = parameterCount + (host.normalizer ? 2 * host.policy.observationSize : 0);
    const sp = new AgentSelfPlay(host, SelfPlay.restore(options, frozenSize, own));
    try {
      sp.policies.forEach((p, t) => p.restore(own, t));
    } catch (error) {
      sp.dispose();
      throw error;
    }
    sp.pendingOpponentSteps = count as number;
    return sp;
  }

  /** The team of a slot. */
  teamOf(slot: number): number {
    return slot % this.state.options.teams;
  }

  /** Called at the start of each act(): the masks drivers pass on. */
  beginTick(masks: Uint8Array | undefined): void {
    this.masks = masks;
  }

  /**
   * After a successful update: counts the trained and opponent steps, reloads opponents on a swap, and
   * applies a team change now when between ticks (else at the end of the tick). Returns the event, or
   * undefined when nothing changed.
   */
  trained(steps: number, parameters: Float32Array, updates: number): SelfPlayEvent | undefined {
    // The parameters with the statistics they act with now: what a snapshot or a 'latest' opponent keeps.
    const changes = this.state.onTrainedSteps(steps, frozenPolicy(parameters, this.host.normalizer?.stats, this.frozen), this.pendingOpponentSteps);
    this.pendingOpponentSteps = 0;
    if (changes.swapped) this.loadOpponents();
    if (changes.teamChanged) this.settle();
    if (!changes.saved && !changes.swapped && !changes.teamChanged) return undefined;
    return { ...changes, updates, selfPlay: this.state.summary() };
  }

  /** Moves the drivers to the current opponent teams if the learning team changed (or a slot was released) and the agent is between ticks. */
  settle(): void {
    if ((this.drivenFor !== this.state.learningTeam || this.reattach) && this.host.betweenTicks()) this.attach();
  }

  /**
   * A heuristic let go of `slot`: when its team is an opponent team now, the team's driver takes it back
   * (between ticks, or at the end of this one); a learning slot goes back to the learner by itself.
   */
  released(slot: number): void {
    if (this.teamOf(slot) === this.drivenFor) return;
    this.reattach = true;
    this.settle();
  }

  /**
   * Forgets the recurrent opponent state of `slot` (its episode ended, its agent left or spawned, or a
   * heuristic took or released it), or of every slot; nothing for a feed-forward policy. Allocates nothing.
   */
  forget(slot?: number): void {
    if (slot === undefined) for (const p of this.policies) p.resetStates();
    else this.policies[this.teamOf(slot)].resetStates(slot);
  }

  /**
   * A finished game's result from `team`'s side: rates the learner against the opponent team(s). From the
   * learning team's side with more than two teams, the result counts against every opponent team.
   * Returns the learner's rating change.
   */
  reportResult(team: number, result: GameResult): number {
    const teams = this.state.options.teams;
    checkInteger('team', team, 0, teams - 1);
    checkOneOf('result', result, ['win', 'draw', 'loss'] as const);
    const learning = this.state.learningTeam;
    if (team !== learning) return this.state.reportResult(result === 'win' ? 'loss' : result === 'loss' ? 'win' : 'draw', team);
    let change = 0;
    for (let t = 0; t < teams; t++) if (t !== learning) change += this.state.reportResult(result, t);
    return change;
  }

  /** Checkpoint tensors: self-play's state, every team's opponent generator (and recurrent states), and the uncounted opponent steps. */
  save(): Map<string, Tensor> {
    const tensors = this.state.state();
    this.policies.forEach((p, t) => { for (const [name, tensor] of p.state(t)) tensors.set(name, tensor); });
    tensors.set(PENDING_TENSOR, { dtype: 'F64', shape: [1], data: Float64Array.of(this.pendingOpponentSteps) });
    return tensors;
  }

  /** Frees the opponents' wasm memory. */
  dispose(): void {
    for (const p of this.policies) p.dispose();
  }

  /** Loads every opponent team's chosen parameters into its policy (a team whose parameters change forgets its states). */
  private loadOpponents(): void {
    const learning = this.state.learningTeam;
    for (let t = 0; t < this.policies.length; t++) if (t !== learning) this.policies[t].load(this.state.opponent(t).parameters);
  }

  /**
   * Hands every opponent team's slots to its driver (the learning team's back to the learner). After a team
   * change, the team that stopped learning is driven from zero states: what it carried when it last played
   * as an opponent is stale. (A learning team's opponent states are never stepped.)
   */
  private attach(): void {
    for (const off of this.detach.splice(0)) off();
    const { teams } = this.state.options;
    const learning = this.state.learningTeam;
    if (this.drivenFor >= 0 && this.drivenFor !== learning) this.policies[this.drivenFor].resetStates();
    this.reattach = false;
    for (let t = 0; t < teams; t++) {
      if (t === learning) continue;
      const slots: number[] = [];
      for (let e = t; e < this.host.numAgents; e += teams) if (!this.host.hasHeuristic(e)) slots.push(e);
      if (slots.length > 0) this.detach.push(this.host.addDriver(slots, this.drivers[t]));
    }
    this.drivenFor = learning;
  }
}

/**
 * Checkpoints saved before snapshots carried their normalization statistics hold self-play's pool and detached
 * opponents as [rows, parameterCount]: widens each row with `stats`, the checkpoint's observation statistics,
 * which are what those opponents normalized with (the learner's). Tensors of any other shape pass unchanged
 * (and the self-play decoder names what is wrong with them).
 */
export function widenLegacySnapshots(tensors: ReadonlyMap<string, Tensor>, parameterCount: number, stats: RunningStats): ReadonlyMap<string, Tensor> {
  const P = parameterCount, width = P + 2 * stats.mean.length;
  const legacy = (t: Tensor | undefined): t is Tensor => t !== undefined && t.dtype === 'F32' && t.shape.length === 2 && t.shape[1] === P;
  if (!legacy(tensors.get('self_play.pool.parameters'))) return tensors;
  const out = new Map(tensors);
  for (const name of ['self_play.pool.parameters', 'self_play.opponent.parameters']) {
    const t = tensors.get(name);
    if (!legacy(t)) continue;
    const rows = t.shape[0], from = t.data as Float32Array, data = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) frozenPolicy(from.subarray(r * P, (r + 1) * P), stats, data.subarray(r * width, (r + 1) * width));
    out.set(name, { dtype: 'F32', shape: [rows, width], data });
  }
  return out;
}
