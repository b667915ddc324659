// A multi-agent arena where agents come and go: hunters chase prey; a caught prey leaves the game (terminated)
// and a new one spawns in its slot after a delay, so `agents` shrinks and grows within an episode. Hunters and
// prey have different observations and actions (two behaviours).
import { checkInteger, checkKeys, checkNumber, fail, failState } from '../errors.js';
import { PCG32 } from '../rng.js';
import { Box, Discrete, type Space } from '../spaces.js';
import type { EnvAction, Info } from './env.js';
import type { ParallelEnv, ParallelResetResult, ParallelStepResult } from './parallel.js';

/** An agent id of {@link HuntersAndPrey}: `hunter_<i>` or `prey_<j>`. */
export type HuntersAndPreyId = `hunter_${number}` | `prey_${number}`;

/** Options of {@link HuntersAndPrey}. */
export interface HuntersAndPreyOptions {
  /** Hunters (default 2). */
  hunters?: number;
  /** Prey (default 4). */
  prey?: number;
  /** Steps per episode; all live agents are truncated after it (default 500). */
  maxSteps?: number;
  /** Steps between a prey's capture and its respawn (default 20). */
  respawnDelay?: number;
  /** A prey this close to a hunter's center is caught (default 0.1; the arena is 2 x 2). */
  catchRadius?: number;
  /** Hunter speed per step (default 0.04). */
  hunterSpeed?: number;
  /** Prey speed per step (default 0.035). */
  preySpeed?: number;
  /** Reward of a prey for every step it stays alive (default 0.01); being caught costs it 1. */
  survivalReward?: number;
  /**
   * Reward per unit of distance a step closes between a hunter and its nearest prey (negative when it opens
   * it), and opens between a prey and its nearest hunter (default 0.5; 0: catches and survival only).
   * Catches alone are too rare for a learner to find: hunters acting at random catch about one prey per
   * hunter in seven 200-step episodes, so their rollouts carry almost no signal and prey, rarely caught,
   * none either.
   */
  approachReward?: number;
}

const DEFAULTS: Required<HuntersAndPreyOptions> = {
  hunters: 2, prey: 4, maxSteps: 500, respawnDelay: 20, catchRadius: 0.1, hunterSpeed: 0.04, preySpeed: 0.035, survivalReward: 0.01, approachReward: 0.5,
};
// Hunters: stay, +x, -x, +y, -y. Prey: stay and 8 compass directions (diagonals at the same speed).
const HUNTER_MOVES = [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]];
const D = Math.SQRT1_2;
const PREY_MOVES = [[0, 0], [1, 0], [D, D], [0, 1], [-D, D], [-1, 0], [-D, -D], [0, -1], [D, -D]];
/** Prey spawn at least this far from every hunter (when a few random tries find such a place). */
const SPAWN_CLEARANCE = 0.5;

/**
 * Hunters and prey in a 2 x 2 arena (x and y in [-1, 1], walls stop movement). Hunters (`hunter_0`, ...) move
 * in 4 directions (`Discrete(5)`: stay, +x, -x, +y, -y) and get +1 for each prey they catch (the nearest hunter
 * within `catchRadius` gets it). Prey (`prey_0`, ...) move in 8 directions, a little slower (`Discrete(9)`:
 * stay, then counter-clockwise from +x), get `survivalReward` per step alive and -1 when caught. Every step a
 * hunter also gets `approachReward` times the distance to its nearest prey that the moves closed, and a prey
 * the same times the distance to its nearest hunter that they opened (distances before and after the moves,
 * over the agents in the game before them; a caught prey gets -1 alone). A caught prey
 * is terminated, leaves `agents`, and respawns in the same slot after `respawnDelay` steps (it reappears in
 * `agents` with its first observation in that step's `observations`, and acts from the next step on). Every
 * live agent is truncated after `maxSteps`. Seeded (PCG32) and deterministic given the actions.
 *
 * Observations, positions relative to the observer halved to stay in [-1, 1], the others nearest first
 * (whatever their ids, so a policy reads "the nearest prey" at a fixed place): a hunter sees `[x, y]`, then
 * `[dx, dy, 1]` per prey in the game and `[0, 0, 0]` for each one that is not, then `[dx, dy]` per other
 * hunter; a prey sees `[x, y]`, then `[dx, dy]` per hunter.
 */
export class HuntersAndPrey implements ParallelEnv<HuntersAndPreyId> {
  /** Hunters first, then prey. */
  readonly possibleAgents: readonly HuntersAndPreyId[];
  /** The agents in the game now: every hunter, and the prey not caught (or respawned). */
  agents: readonly HuntersAndPreyId[] = [];
  /** The options in use, defaults filled in. */
  readonly options: Readonly<Required<HuntersAndPreyOptions>>;
  private readonly hunterObservation: Space;
  private readonly preyObservation: Space;
  private readonly hunterActions = Discrete(HUNTER_MOVES.length);
  private readonly preyActions = Discrete(PREY_MOVES.length);
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  /** Per agent index: 1 while in the game. */
  private readonly alive: Uint8Array;
  /** Per prey: steps until it respawns (0 = alive or not waiting). */
  private readonly respawnIn: Int32Array;
  private readonly index = new Map<string, number>();
  private steps = 0;
  private rng = new PCG32(0);

  /** An arena; see {@link HuntersAndPreyOptions} for the defaults. */
  constructor(options: HuntersAndPreyOptions = {}) {
    checkKeys('HuntersAndPrey options', options, Object.keys(DEFAULTS), 'option');
    const o = { ...DEFAULTS, ...options };
    checkInteger('HuntersAndPrey options.hunters', o.hunters, 1, 64);
    checkInteger('HuntersAndPrey options.prey', o.prey, 1, 64);
    checkInteger('HuntersAndPrey options.maxSteps', o.maxSteps, 1);
    checkInteger('HuntersAndPrey options.respawnDelay', o.respawnDelay, 1);
    for (const key of ['catchRadius', 'hunterSpeed', 'preySpeed'] as const) checkNumber(`HuntersAndPrey options.${key}`, o[key], 0, 2);
    checkNumber('HuntersAndPrey options.survivalReward', o.survivalReward);
    checkNumber('HuntersAndPrey options.approachReward', o.approachReward);
    this.options = Object.freeze(o);
    const ids: HuntersAndPreyId[] = [];
    for (let i = 0; i < o.hunters; i++) ids.push(`hunter_${i}`);
    for (let j = 0; j < o.prey; j++) ids.push(`prey_${j}`);
    ids.forEach((id, i) => this.index.set(id, i));
    this.possibleAgents = Object.freeze(ids);
    const n = ids.length;
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    this.alive = new Uint8Array(n);
    this.respawnIn = new Int32Array(o.prey);
    this.hunterObservation = Box(2 + 3 * o.prey + 2 * (o.hunters - 1), -1, 1);
    this.preyObservation = Box(2 + 2 * o.hunters, -1, 1);
  }

  /** A hunter's `Box(2 + 3 * prey + 2 * (hunters - 1))` or a prey's `Box(2 + 2 * hunters)`, all in [-1, 1]. */
  observationSpace(id: HuntersAndPreyId): Space {
    return this.isHunter(this.indexOf(id)) ? this.hunterObservation : this.preyObservation;
  }

  /** A hunter's `Discrete(5)` or a prey's `Discrete(9)`. */
  actionSpace(id: HuntersAndPreyId): Space {
    return this.isHunter(this.indexOf(id)) ? this.hunterActions : this.preyActions;
  }

  /** Places every agent at random (prey away from the hunters); every agent is in the game. */
  reset(options: { seed?: number } = {}): ParallelResetResult<HuntersAndPreyId> {
    if (options.seed !== undefined) this.rng = new PCG32(options.seed);
    this.steps = 0;
    this.respawnIn.fill(0);
    for (let i = 0; i < this.options.hunters; i++) {
      this.x[i] = 2 * this.rng.nextFloat() - 1;
      this.y[i] = 2 * this.rng.nextFloat() - 1;
      this.alive[i] = 1;
    }
    for (let j = 0; j < this.options.prey; j++) this.spawn(this.options.hunters + j);
    this.agents = this.possibleAgents;
    const observations = {} as Record<HuntersAndPreyId, Float32Array>;
    for (const id of this.agents) observations[id] = this.observe(this.indexOf(id));
    return { observations, infos: {} };
  }

  /** Moves every live agent, resolves catches, respawns prey whose delay is over. */
  step(actions: Partial<Record<HuntersAndPreyId, EnvAction>>): ParallelStepResult<HuntersAndPreyId> {
    if (this.agents.length === 0) failState('HuntersAndPrey.step()', 'reset() first (the episode has ended)', 'a step after the end');
    const o = this.options;
    const acted = this.agents;
    const moves = acted.map((id) => {
      const i = this.indexOf(id);
      const table = this.isHunter(i) ? HUNTER_MOVES : PREY_MOVES;
      const action = actions?.[id];
      if (typeof action !== 'number' || !Number.isInteger(action) || action < 0 || action >= table.length) {
        fail(`HuntersAndPrey actions.${id}`, `an integer in [0, ${table.length - 1}]`, action);
      }
      return table[action];
    });
    this.steps++;
    const before = acted.map((id) => this.nearestOpponent(this.indexOf(id)));
    acted.forEach((id, k) => {
      const i = this.indexOf(id);
      const speed = this.isHunter(i) ? o.hunterSpeed : o.preySpeed;
      this.x[i] = Math.min(1, Math.max(-1, this.x[i] + moves[k][0] * speed));
      this.y[i] = Math.min(1, Math.max(-1, this.y[i] + moves[k][1] * speed));
    });
    const rewards = {} as Record<HuntersAndPreyId, number>;
    const terminations = {} as Record<HuntersAndPreyId, boolean>;
    const truncations = {} as Record<HuntersAndPreyId, boolean>;
    const infos: Partial<Record<HuntersAndPreyId, Info>> = {};
    acted.forEach((id, k) => {
      const i = this.indexOf(id), gained = this.nearestOpponent(i) - before[k];
      const shaped = before[k] === Infinity ? 0 : o.approachReward * (this.isHunter(i) ? -gained : gained);
      rewards[id] = (this.isHunter(i) ? 0 : o.survivalReward) + shaped;
      terminations[id] = false;
    });
    for (const id of acted) {
      const p = this.indexOf(id);
      if (this.isHunter(p)) continue;
      let nearest = -1;
      let best = o.catchRadius;
      for (let h = 0; h < o.hunters; h++) {
        const d = Math.hypot(this.x[h] - this.x[p], this.y[h] - this.y[p]);
        if (d <= best) { best = d; nearest = h; }
      }
      if (nearest < 0) continue;
      const hunter = this.possibleAgents[nearest];
      rewards[hunter] += 1;
      rewards[id] = -1;
      terminations[id] = true;
      infos[id] = { caughtBy: hunter };
      this.alive[p] = 0;
      this.respawnIn[p - o.hunters] = o.respawnDelay + 1; // counted down below, in this step too
    }
    const truncated = this.steps >= o.maxSteps;
    for (const id of acted) truncations[id] = truncated && !terminations[id];
    const observations = {} as Record<HuntersAndPreyId, Float32Array>;
    for (const id of acted) observations[id] = this.observe(this.indexOf(id));
    if (truncated) {
      this.agents = [];
      return { observations, rewards, terminations, truncations, infos };
    }
    for (let j = 0; j < o.prey; j++) {
      if (this.respawnIn[j] > 0 && --this.respawnIn[j] === 0) {
        const p = o.hunters + j;
        this.spawn(p);
        observations[this.possibleAgents[p]] = this.observe(p);
      }
    }
    this.agents = this.possibleAgents.filter((_, i) => this.alive[i] === 1);
    return { observations, rewards, terminations, truncations, infos };
  }

  private indexOf(id: string): number {
    const i = this.index.get(id);
    if (i === undefined) fail('HuntersAndPrey agent id', `one of ${this.possibleAgents.join(', ')}`, id);
    return i;
  }

  /** Distance from agent i to the nearest agent of the other side in the game (Infinity when there is none). */
  private nearestOpponent(i: number): number {
    const o = this.options, hunter = this.isHunter(i);
    let best = Infinity;
    for (let j = hunter ? o.hunters : 0; j < (hunter ? o.hunters + o.prey : o.hunters); j++) {
      if (this.alive[j]) best = Math.min(best, Math.hypot(this.x[j] - this.x[i], this.y[j] - this.y[i]));
    }
    return best;
  }

  private isHunter(i: number): boolean {
    return i < this.options.hunters;
  }

  /** Puts agent i (a prey) at a random place away from the hunters (the last try if none of 8 is). */
  private spawn(i: number): void {
    for (let attempt = 0; attempt < 8; attempt++) {
      this.x[i] = 2 * this.rng.nextFloat() - 1;
      this.y[i] = 2 * this.rng.nextFloat() - 1;
      let clear = true;
      for (let h = 0; h < this.options.hunters; h++) {
        if (Math.hypot(this.x[h] - this.x[i], this.y[h] - this.y[i]) < SPAWN_CLEARANCE) clear = false;
      }
      if (clear) break;
    }
    this.alive[i] = 1;
  }

  private observe(i: number): Float32Array {
    const o = this.options, hunter = this.isHunter(i);
    const out = new Float32Array(hunter ? 2 + 3 * o.prey + 2 * (o.hunters - 1) : 2 + 2 * o.hunters);
    out[0] = this.x[i];
    out[1] = this.y[i];
    let k = 2;
    if (hunter) {
      for (const p of this.byDistance(i, o.hunters, o.hunters + o.prey)) {
        out[k] = (this.x[p] - this.x[i]) / 2;
        out[k + 1] = (this.y[p] - this.y[i]) / 2;
        out[k + 2] = 1;
        k += 3;
      }
      k = 2 + 3 * o.prey;
    }
    for (const h of this.byDistance(i, 0, o.hunters)) {
      out[k++] = (this.x[h] - this.x[i]) / 2;
      out[k++] = (this.y[h] - this.y[i]) / 2;
    }
    return out;
  }

  /** The agents in [from, to) in the game, other than i, nearest to i first. */
  private byDistance(i: number, from: number, to: number): number[] {
    const list: number[] = [];
    for (let j = from; j < to; j++) if (j !== i && this.alive[j]) list.push(j);
    const d = (j: number) => Math.hypot(this.x[j] - this.x[i], this.y[j] - this.y[i]);
    return list.sort((a, b) => d(a) - d(b) || a - b);
  }
}
