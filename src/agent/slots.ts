// The agent's slots: which are alive (agents come and go), and which decide on a tick (each on its own clock,
// like ML-Agents' DecisionRequester, or when the game asks). All flags are preallocated typed arrays.
import { checkBoolean, checkInteger, checkKeys, fail, failState } from '../errors.js';
import type { HeuristicOptions } from './heuristic-training.js';

/**
 * Writes the action of one slot in place: `actions` holds numAgents rows (the array act() returns), the slot's
 * row is `slot * actionSize ...`; `observations` is what the game passed to act(). It must not allocate if the
 * game wants zero allocation per tick.
 */
export type Heuristic = (slot: number, observations: Float32Array, actions: Int32Array | Float32Array) => void;

/**
 * Acts for a set of slots whose steps are never stored (an opponent): called once per act() with the
 * observations and the actions array, it writes the rows of the slots in `slots` that decide on this tick
 * (`deciding[slot] === 1`).
 */
export interface Driver {
  /** Writes the action rows of the driven `slots` that decide on this tick; reads nothing else of the agent. */
  act(slots: Int32Array, deciding: Uint8Array, observations: Float32Array, actions: Int32Array | Float32Array): void;
}

/** The alive flags, decision clocks and per-slot controllers of an agent. */
export class Slots {
  /** 1 = the slot holds an agent. */
  readonly alive: Uint8Array;
  /** Ticks since the slot spawned or began its episode. */
  readonly ticks: Int32Array;
  /** 1 = decide on the next act() (requestDecision). */
  readonly requested: Uint8Array;
  /** 1 = the slot starts an episode: it decides on its next act() whatever its clock says. */
  readonly fresh: Uint8Array;
  /** The slots deciding on the current tick (filled by plan()). */
  readonly deciding: Uint8Array;
  /** A heuristic per slot, or null for the policy. */
  readonly heuristics: (Heuristic | null)[];
  /** Drivers and the slots each drives. */
  readonly drivers: { slots: Int32Array; driver: Driver }[] = [];
  /** 1 = a driver acts for this slot (a heuristic there takes precedence). */
  readonly driven: Uint8Array;
  /** The deciding flags drivers see: a slot held by a heuristic is left to it. */
  private readonly driverDeciding: Uint8Array;
  /** 1 = the slot's heuristic steps are stored and trained on (setHeuristic's `train`). */
  readonly trained: Uint8Array;
  /** Slots whose heuristic's steps are stored (setHeuristic's `train`). */
  trainedHeuristics = 0;
  /** Slots with a heuristic. */
  withHeuristic = 0;

  constructor(readonly count: number, readonly period: number) {
    this.alive = new Uint8Array(count).fill(1);
    this.ticks = new Int32Array(count);
    this.requested = new Uint8Array(count);
    this.fresh = new Uint8Array(count).fill(1);
    this.deciding = new Uint8Array(count);
    this.heuristics = new Array<Heuristic | null>(count).fill(null);
    this.driven = new Uint8Array(count);
    this.driverDeciding = new Uint8Array(count);
    this.trained = new Uint8Array(count);
  }

  /** Whether the slot's decisions are stored: the policy's, or a heuristic's trained on. */
  stores(slot: number): boolean {
    return (this.heuristics[slot] === null || this.trained[slot] === 1) && this.driven[slot] === 0;
  }

  /** Whether every slot is alive and decides on every tick (lockstep: the simplest case). */
  get lockstep(): boolean {
    return this.period === 1 && this.alive.indexOf(0) < 0;
  }

  /** Lets every driver act for its deciding slots, except those a heuristic holds (it acted for them). */
  drive(observations: Float32Array, actions: Int32Array | Float32Array): void {
    let deciding = this.deciding;
    if (this.withHeuristic > 0) {
      deciding = this.driverDeciding;
      for (let e = 0; e < this.count; e++) deciding[e] = this.heuristics[e] === null ? this.deciding[e] : 0;
    }
    for (const { slots, driver } of this.drivers) driver.act(slots, deciding, observations, actions);
  }

  /** Checks a slot index (an integer in [0, count)) that must hold an agent. */
  checkAlive(field: string, slot: number): number {
    checkInteger(field, slot, 0, this.count - 1);
    if (this.alive[slot] === 0) fail(field, 'an alive slot (spawn() fills a free one)', `slot ${slot}, which is free`);
    return slot;
  }

  /** Checks a `decide` option: a Uint8Array of count 0/1 flags. */
  checkDecide(decide: unknown): Uint8Array {
    if (!(decide instanceof Uint8Array) || decide.length !== this.count) fail('options.decide', `a Uint8Array of length ${this.count} (0/1 flags)`, decide);
    for (let e = 0; e < this.count; e++) if (decide[e] > 1) fail(`options.decide[agent ${e}]`, '0 or 1', decide[e]);
    return decide;
  }

  /**
   * Fills `deciding` for this tick without changing any state: alive slots that start an episode, were asked
   * to (requestDecision), or whose clock says so (or, with `decide`, whose flag is 1). Returns how many decide.
   */
  plan(decide: Uint8Array | undefined): number {
    let count = 0;
    for (let e = 0; e < this.count; e++) {
      const d = this.alive[e] === 1 && (this.fresh[e] === 1 || this.requested[e] === 1 || (decide === undefined ? this.ticks[e] % this.period === 0 : decide[e] === 1)) ? 1 : 0;
      this.deciding[e] = d;
      count += d;
    }
    return count;
  }

  /** Commits a planned tick: clocks advance, requests and episode starts are consumed. */
  advance(): void {
    for (let e = 0; e < this.count; e++) {
      if (this.alive[e] === 0) continue;
      if (this.deciding[e] === 1) {
        this.requested[e] = 0;
        this.fresh[e] = 0;
      }
      this.ticks[e]++;
    }
  }

  /**
   * `slot` (checked free), or the lowest free slot, now alive and starting an episode (a `StateError` when
   * every slot is taken).
   */
  spawn(slot = this.alive.indexOf(0)): number {
    if (slot < 0) failState('spawn', 'a free slot (leave() frees one)', `all ${this.count} slots alive`);
    this.alive[slot] = 1;
    this.restart(slot);
    return slot;
  }

  /** The slot starts a new episode: it decides on its next tick and its clock restarts. */
  restart(slot: number): void {
    this.ticks[slot] = 0;
    this.fresh[slot] = 1;
    this.requested[slot] = 0;
  }

  /** The slot decides on the next act(), whatever its clock says (checked alive). */
  requestDecision(slot: number): void {
    this.checkAlive('slot', slot);
    this.requested[slot] = 1;
  }

  /** See Agent.setHeuristic: validates, then hands the slot to `heuristic` (null: the policy); it decides next tick. */
  setHeuristic(slot: number, heuristic: Heuristic | null, options?: HeuristicOptions): void {
    checkInteger('slot', slot, 0, this.count - 1);
    if (heuristic !== null && typeof heuristic !== 'function') fail('heuristic', 'a function (slot, observations, actions) => void, or null', heuristic);
    if (options !== undefined) checkKeys('options', options, ['train'], 'option');
    const train = options?.train === undefined ? false : checkBoolean('options.train', options.train);
    if (this.driven[slot] === 1 && train) fail('options.train', 'false for a slot a driver acts for (an opponent: its steps are never trained on)', train);
    this.trainedHeuristics += (heuristic !== null && train ? 1 : 0) - (this.heuristics[slot] !== null && this.trained[slot] === 1 ? 1 : 0);
    this.withHeuristic += (heuristic !== null ? 1 : 0) - (this.heuristics[slot] !== null ? 1 : 0);
    this.heuristics[slot] = heuristic;
    this.trained[slot] = heuristic !== null && train ? 1 : 0;
    this.requested[slot] = 1;
  }

  /** See Agent.addDriver: validates, then lets `driver` act for `slots`; returns the function that hands them back. */
  addDriver(slots: readonly number[], driver: Driver): () => void {
    if (!Array.isArray(slots) || slots.length === 0) fail('slots', 'a non-empty array of slot indices', slots);
    if (typeof driver !== 'object' || driver === null || typeof driver.act !== 'function') fail('driver', 'an object with an act(slots, deciding, observations, actions) method', driver);
    const seen = new Set<number>();
    slots.forEach((slot, i) => {
      checkInteger(`slots[${i}]`, slot, 0, this.count - 1);
      if (seen.has(slot) || this.driven[slot] === 1 || this.heuristics[slot] !== null) fail(`slots[${i}]`, 'a slot without a driver or heuristic, listed once', slot);
      seen.add(slot);
    });
    const entry = { slots: Int32Array.from(slots), driver };
    this.drivers.push(entry);
    for (const slot of slots) {
      this.driven[slot] = 1;
      this.requested[slot] = 1;
    }
    return () => {
      const at = this.drivers.indexOf(entry);
      if (at < 0) return;
      this.drivers.splice(at, 1);
      for (const slot of entry.slots) {
        this.driven[slot] = 0;
        this.requested[slot] = 1;
      }
    };
  }
}
