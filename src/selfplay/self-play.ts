// Self-play as ML-Agents' ghost trainer runs it: one team learns while the others play frozen copies of the
// learning policy (snapshots from a pool, or the current policy frozen when chosen), the learning team
// rotates, and ELO ratings follow the game results the game reports. The agent drives it: it reports the
// steps it trained on (with the current parameters) and each game's result, and loads opponent parameters
// into an OpponentPolicy when they change.
import { checkArray, checkInteger, checkOneOf, fail } from '../errors.js';
import { PCG32 } from '../rng.js';
import { eloChange, type GameResult, resultScore } from './elo.js';
import { type ResolvedSelfPlayOptions, resolveSelfPlayOptions, type SelfPlayOptions } from './options.js';
import { type Snapshot, SnapshotPool } from './pool.js';
import { SelfPlaySchedule } from './schedule.js';
import { decodeSelfPlay, encodeSelfPlay } from './state.js';
import type { Tensor } from '../policy/safetensors.js';

/** The PCG32 stream of self-play's opponent draws (apart from every other generator of webppo). */
export const SELF_PLAY_RNG_STREAM = 0x7370;

/** Where an opponent team's parameters come from: a pool slot, or the current policy frozen when chosen. */
export type OpponentSource = number | 'latest';

/** An opponent team's policy. */
export interface OpponentChoice {
  /** The opponent team. */
  readonly team: number;
  /** The pool slot it was drawn from, or 'latest' (the learning policy, frozen at the draw). */
  readonly snapshot: OpponentSource;
  /** Its flat parameters (never written; load them into an OpponentPolicy). */
  readonly parameters: Float32Array;
  /** Its rating: the snapshot's, or the learner's own for 'latest'. */
  readonly elo: number;
}

/** What one `onTrainedSteps` call changed, in the order applied. */
export interface SelfPlayChanges {
  /** The learning team changed (see `learningTeam`); its agents now act with the learning policy. */
  readonly teamChanged: boolean;
  /** A snapshot of the current parameters was saved into the pool. */
  readonly saved: boolean;
  /** The opponents were drawn again: load `opponent(team).parameters` for every opponent team. */
  readonly swapped: boolean;
}

/** An opponent team's policy as events report it. */
export interface OpponentSummary {
  /** The opponent team. */
  team: number;
  /** The pool slot its policy was drawn from, or 'latest'. */
  snapshot: OpponentSource;
  /** Its rating. */
  elo: number;
}

/** A pool snapshot as `SelfPlay.snapshot()` shows it. */
export interface SnapshotInfo {
  /** Its flat parameters (never written). */
  readonly parameters: Float32Array;
  /** Its rating. */
  readonly elo: number;
}

/** Self-play's state for events and progress reports (plain data). */
export interface SelfPlaySummary {
  /** The learning policy's rating. */
  elo: number;
  /** The team whose agents learn. */
  learningTeam: number;
  /** The opponent of a two-team game (for more teams, the first opponent team's). */
  opponent: OpponentSummary;
  /** Every opponent team's opponent, in team order. */
  opponents: OpponentSummary[];
  /** The ratings of the pool's snapshots, by slot. */
  poolElo: number[];
  /** Trained steps counted so far. */
  trainedSteps: number;
  /** Opponent steps counted so far. */
  opponentSteps: number;
}

/** An opponent team's current policy. `snapshot` is the pool's Snapshot object while it is still in its slot. */
export interface Opponent {
  slot: number;
  snapshot: Snapshot | null;
  parameters: Float32Array;
}

/**
 * ML-Agents-style self-play: a pool of snapshots of the learning policy, one learning team at a time, frozen
 * opponents and ELO ratings. The agent calls `onTrainedSteps` after each update and `reportResult` after
 * each game; `opponent(team)` says which parameters an opponent team's agents act with.
 */
export class SelfPlay {
  /** The settings, every field set. */
  readonly options: ResolvedSelfPlayOptions;
  /** @internal */ readonly pool: SnapshotPool;
  /** @internal */ readonly schedule: SelfPlaySchedule;
  /** @internal */ readonly rng: PCG32;
  /** @internal One entry per team; null for the learning team. */
  readonly opponents: (Opponent | null)[];
  /** @internal */ learnerElo: number;
  /** @internal */ team = 0;

  /**
   * Starts self-play from the learning policy's initial parameters: the pool holds one snapshot of them, rated
   * `initialElo`, and every opponent team plays it. Team 0 learns first.
   * @param options - Self-play settings (ML-Agents' defaults for the ones left out).
   * @param initialParameters - The learning policy's flat parameters now (copied).
   * @param seed - Seeds the opponent draws.
   */
  constructor(options: SelfPlayOptions | undefined, initialParameters: Float32Array, seed = 0) {
    this.options = resolveSelfPlayOptions(options);
    if (!(initialParameters instanceof Float32Array) || initialParameters.length === 0) fail('initialParameters', 'a non-empty Float32Array', initialParameters);
    checkArray('initialParameters', initialParameters, Float32Array, initialParameters.length);
    checkInteger('seed', seed, 0);
    this.pool = new SnapshotPool(this.options.window, initialParameters.length);
    this.schedule = new SelfPlaySchedule(this.options);
    this.rng = new PCG32(seed, SELF_PLAY_RNG_STREAM);
    this.learnerElo = this.options.initialElo;
    this.pool.save(initialParameters, this.learnerElo);
    const first = this.pool.at(0);
    this.opponents = Array.from({ length: this.options.teams }, (_, t) => (t === 0 ? null : { slot: 0, snapshot: first, parameters: first.parameters }));
  }

  /** The team whose agents learn now (0 to teams - 1). */
  get learningTeam(): number {
    return this.team;
  }

  /** The learning policy's ELO rating. */
  get elo(): number {
    return this.learnerElo;
  }

  /** Floats per snapshot: the network's parameter count. */
  get parameterCount(): number {
    return this.pool.parameterCount;
  }

  /** Snapshots in the pool (1 to window). */
  get poolSize(): number {
    return this.pool.size;
  }

  /** The pool's snapshot in `slot`: its parameters (never written) and rating. */
  snapshot(slot: number): SnapshotInfo {
    checkInteger('slot', slot, 0, this.pool.size - 1);
    const s = this.pool.at(slot);
    return { parameters: s.parameters, elo: s.elo };
  }

  /**
   * The policy an opponent team acts with now.
   * @param team - An opponent team; optional in a two-team game (the one that is not learning).
   */
  opponent(team?: number): OpponentChoice {
    const t = this.opponentTeam(team);
    const o = this.opponents[t]!;
    return { team: t, snapshot: o.snapshot === null ? 'latest' : o.slot, parameters: o.parameters, elo: o.snapshot?.elo ?? this.learnerElo };
  }

  /**
   * Counts the steps trained on since the last call and applies, in ML-Agents' order, a learning-team change
   * (every `teamChange` trained steps), a snapshot of `currentParameters` (every `saveSteps` trained steps)
   * and an opponent draw (every `swapSteps` opponent steps, and after every team change). Call it after each
   * update, with the parameters the update produced. A rejected call changes nothing.
   * @param steps - Agent steps of the learning team trained on since the last call.
   * @param currentParameters - The learning policy's flat parameters now (copied when saved or drawn).
   * @param opponentSteps - Agent steps the opponent teams took with frozen policies since the last call;
   *   for teams of equal size, the same as `steps`.
   */
  onTrainedSteps(steps: number, currentParameters: Float32Array, opponentSteps = steps): SelfPlayChanges {
    checkInteger('steps', steps, 0);
    checkInteger('opponentSteps', opponentSteps, 0);
    checkArray('currentParameters', currentParameters, Float32Array, this.pool.parameterCount);
    const events = this.schedule.advance(steps, opponentSteps);
    if (events.teamChange) {
      this.team = (this.team + 1) % this.options.teams;
      this.opponents[this.team] = null;
    }
    if (events.save) this.pool.save(currentParameters, this.learnerElo);
    if (events.swap) this.drawOpponents(currentParameters);
    return { teamChanged: events.teamChange, saved: events.save, swapped: events.swap };
  }

  /**
   * Rates one finished game from the learning team's side: the learner's rating moves by
   * `eloK * (S - E)` (S = 1, 0.5, 0; E the expected score against the opponent's rating) and the opponent
   * snapshot's by the opposite. A game against 'latest' is one against the learner's own rating: it leaves
   * the rating as it is. Returns the learner's change.
   * @param result - 'win', 'draw' or 'loss' for the learning team.
   * @param team - The opponent team; optional in a two-team game.
   */
  reportResult(result: GameResult, team?: number): number {
    checkOneOf('result', result, ['win', 'draw', 'loss'] as const);
    const o = this.opponents[this.opponentTeam(team)]!;
    if (o.snapshot === null) return 0;
    const change = eloChange(this.learnerElo, o.snapshot.elo, resultScore(result), this.options.eloK);
    o.snapshot.elo -= change;
    this.learnerElo += change;
    return change;
  }

  /** Self-play's state as plain data, for events and progress reports. */
  summary(): SelfPlaySummary {
    const opponents: OpponentSummary[] = [];
    for (let t = 0; t < this.options.teams; t++) {
      if (t === this.team) continue;
      const { snapshot, elo } = this.opponent(t);
      opponents.push({ team: t, snapshot, elo });
    }
    const poolElo = Array.from({ length: this.pool.size }, (_, i) => this.pool.at(i).elo);
    const { trainedSteps, opponentSteps } = this.schedule;
    return { elo: this.learnerElo, learningTeam: this.team, opponent: opponents[0], opponents, poolElo, trainedSteps, opponentSteps };
  }

  /**
   * Everything needed to continue exactly (pool, ratings, opponents, step counters, the draw generator), as
   * checkpoint tensors named `self_play.*`; `SelfPlay.restore` reads them back.
   */
  state(): Map<string, Tensor> {
    return encodeSelfPlay(this);
  }

  /**
   * A SelfPlay continuing exactly where the one that wrote `tensors` (its `state()`) left off. Every value is
   * checked: sizes against the settings and the parameter count, ratings and parameters finite, counters
   * consistent with each other and the settings; anything else throws a CheckpointError naming the tensor.
   * Tensors not named `self_play.*` are ignored.
   * @param options - The settings the state was saved with.
   * @param parameterCount - The network's parameter count.
   * @param tensors - A checkpoint's tensors (or `state()`'s map).
   */
  static restore(options: SelfPlayOptions | undefined, parameterCount: number, tensors: ReadonlyMap<string, Tensor>): SelfPlay {
    const resolved = resolveSelfPlayOptions(options);
    checkInteger('parameterCount', parameterCount, 1);
    const decoded = decodeSelfPlay(resolved, parameterCount, tensors);
    const sp = new SelfPlay(resolved, decoded.snapshots[0].parameters);
    sp.pool.restore(decoded.snapshots, decoded.next);
    sp.schedule.setCounters(decoded.counters);
    sp.rng.setState(decoded.rng);
    sp.learnerElo = decoded.elo;
    sp.team = decoded.team;
    sp.opponents.splice(0, sp.opponents.length, ...decoded.opponents);
    return sp;
  }

  /** Draws every opponent team's policy (ML-Agents' swap): the current policy with probability playAgainstLatestModelRatio, else a uniform pool slot. */
  private drawOpponents(current: Float32Array): void {
    let latest: Float32Array | undefined;
    for (let t = 0; t < this.options.teams; t++) {
      if (t === this.team) continue;
      if (this.rng.nextFloat() < 1 - this.options.playAgainstLatestModelRatio) {
        const slot = Math.floor(this.rng.nextFloat() * this.pool.size);
        const snapshot = this.pool.at(slot);
        this.opponents[t] = { slot, snapshot, parameters: snapshot.parameters };
      } else {
        latest ??= current.slice();
        this.opponents[t] = { slot: -1, snapshot: null, parameters: latest };
      }
    }
  }

  private opponentTeam(team: number | undefined): number {
    const { teams } = this.options;
    if (team === undefined) {
      if (teams !== 2) fail('team', `an opponent team (the game has ${teams} teams)`, team);
      return 1 - this.team;
    }
    checkInteger('team', team, 0, teams - 1);
    if (team === this.team) fail('team', `an opponent team (team ${team} is learning)`, team);
    return team;
  }
}
