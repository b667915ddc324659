// Per-slot trajectory staging: each slot's decisions wait here, in order, until they can go into the rollout
// as one contiguous stretch. A staged step is "open" while its successor's value is unknown (the slot has not
// decided again, nor ended its episode); rewards keep accumulating into it. Once closed, a step knows the value
// it bootstraps from (`next`), so wherever the stream puts it, its advantage is exact.
import type { RolloutStream } from './stream.js';

/** Sizes of one slot's staged step. */
export interface StepShape {
  /** Slots (numAgents). */
  slots: number;
  /** Steps a slot may stage (ppo.numSteps). */
  capacity: number;
  observationSize: number;
  actionSize: number;
  /** Mask entries per step (0 without masks). */
  maskSize: number;
  categorical: boolean;
  /** Floats of a recurrent state (0: a feed-forward policy, nothing stored). */
  stateSize?: number;
  /** A recurrent policy's sequence length L: the state entering every L-th staged step of a slot is kept. */
  sequenceLength?: number;
}

/**
 * Staged steps of every slot, slot-major (slot s's step j at row s * capacity + j), preallocated once: pushing,
 * closing and flushing allocate nothing.
 */
export class Trajectories {
  readonly shape: StepShape;
  readonly observations: Float32Array;
  readonly actions: Int32Array | Float32Array;
  readonly logProbs: Float32Array;
  readonly values: Float32Array;
  /** Rewards accumulated into each step (scaled when normalizeRewards is on). */
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** Value of the final observation of a truncated step, else 0. */
  readonly bootstrapValues: Float32Array;
  /** The value a closed step bootstraps from when the stream does not put its successor right after it. */
  readonly next: Float32Array;
  readonly masks: Uint8Array;
  /** Policy version each step was decided with. */
  readonly versions: Int32Array;
  /** Steps staged per slot, the open one included. */
  readonly count: Int32Array;
  /** 1 when the slot's last staged step is open. */
  readonly open: Uint8Array;
  /** 1 when the slot's first staged step is the successor of the last one it flushed. */
  readonly continues: Uint8Array;
  /**
   * Recurrent policies: the state entering staged step j = s * L of each slot, slot-major [slots, sequences,
   * stateSize] (sequences = ceil(capacity / L)): where a training sequence starts when the stretch fills a column.
   */
  readonly states: Float32Array;
  /** Stored states per slot (ceil(capacity / L); 0 without memory). */
  readonly sequences: number;

  constructor(shape: StepShape) {
    this.shape = shape;
    const rows = shape.slots * shape.capacity;
    this.observations = new Float32Array(rows * shape.observationSize);
    this.actions = shape.categorical ? new Int32Array(rows * shape.actionSize) : new Float32Array(rows * shape.actionSize);
    this.logProbs = new Float32Array(rows);
    this.values = new Float32Array(rows);
    this.rewards = new Float32Array(rows);
    this.terminated = new Uint8Array(rows);
    this.truncated = new Uint8Array(rows);
    this.bootstrapValues = new Float32Array(rows);
    this.next = new Float32Array(rows);
    this.masks = new Uint8Array(rows * shape.maskSize);
    this.versions = new Int32Array(rows);
    this.count = new Int32Array(shape.slots);
    this.open = new Uint8Array(shape.slots);
    this.continues = new Uint8Array(shape.slots);
    const S = shape.stateSize ?? 0;
    this.sequences = S === 0 ? 0 : Math.ceil(shape.capacity / shape.sequenceLength!);
    this.states = new Float32Array(shape.slots * this.sequences * S);
  }

  /** Steps of the slot whose successor value is known: they may go into the rollout. */
  closed(slot: number): number {
    return this.count[slot] - this.open[slot];
  }

  /**
   * Stages a new open step for `slot` (which must have no open step and room): row `from` of the acting arrays
   * (observations, actions, masks rows; logProb and value; a recurrent policy's entering states, kept at each
   * sequence start: a restore without them sets them itself), decided with policy `version`.
   */
  push(slot: number, observations: Float32Array, actions: Int32Array | Float32Array, masks: Uint8Array | undefined, from: number, logProb: number, value: number, version: number, states?: Float32Array): void {
    const s = this.shape, j = this.count[slot], row = slot * s.capacity + j;
    const S = s.stateSize ?? 0;
    if (S > 0 && states !== undefined && j % s.sequenceLength! === 0) copy(this.states, (slot * this.sequences + j / s.sequenceLength!) * S, states!, from * S, S);
    copy(this.observations, row * s.observationSize, observations, from * s.observationSize, s.observationSize);
    copy(this.actions, row * s.actionSize, actions, from * s.actionSize, s.actionSize);
    if (s.maskSize > 0) {
      if (masks) copy(this.masks, row * s.maskSize, masks, from * s.maskSize, s.maskSize);
      else this.masks.fill(1, row * s.maskSize, (row + 1) * s.maskSize);
    }
    this.logProbs[row] = logProb;
    this.values[row] = value;
    this.rewards[row] = 0;
    this.terminated[row] = 0;
    this.truncated[row] = 0;
    this.bootstrapValues[row] = 0;
    this.next[row] = 0;
    this.versions[row] = version;
    this.count[slot]++;
    this.open[slot] = 1;
  }

  /** Adds a reward to the slot's open step; false (nothing stored) when it has none. */
  addReward(slot: number, reward: number): boolean {
    if (this.open[slot] === 0) return false;
    this.rewards[slot * this.shape.capacity + this.count[slot] - 1] += reward;
    return true;
  }

  /** Closes the open step: the slot decided again and `value` is its successor's value. */
  close(slot: number, value: number): void {
    if (this.open[slot] === 0) return;
    this.next[slot * this.shape.capacity + this.count[slot] - 1] = value;
    this.open[slot] = 0;
  }

  /** Closes the open step as the end of its episode (terminated, or truncated bootstrapping from `bootstrap`). */
  end(slot: number, terminated: boolean, truncated: boolean, bootstrap: number): void {
    if (this.open[slot] === 0) return;
    const row = slot * this.shape.capacity + this.count[slot] - 1;
    this.terminated[row] = terminated ? 1 : 0;
    this.truncated[row] = truncated ? 1 : 0;
    this.bootstrapValues[row] = truncated && !terminated ? bootstrap : 0;
    this.open[slot] = 0;
  }

  /** Drops the slot's open step (its decision was taken back). */
  drop(slot: number): void {
    if (this.open[slot] === 0) return;
    this.count[slot]--;
    this.open[slot] = 0;
  }

  /** Cuts the slot's trajectory after its last closed step: it ends there as truncated, bootstrapping from its next value. */
  cut(slot: number): void {
    const closed = this.closed(slot);
    if (closed === 0) return;
    const row = slot * this.shape.capacity + closed - 1;
    if (this.terminated[row] || this.truncated[row]) return;
    this.truncated[row] = 1;
    this.bootstrapValues[row] = this.next[row];
    // An ended step has no successor: its next value is read nowhere and is 0, as end() leaves it, so the staging
    // (and the checkpoint) is the same whether the step was cut here or reached the staging through the lockstep
    // rollout, which keeps only the bootstrap.
    this.next[row] = 0;
  }

  /**
   * Moves the slot's closed steps into the stream, in order; the open step (if any) stays, first in its slot.
   * `ends`: the slot's trajectory does not go on after them (a heuristic took over, or the agent left).
   */
  flush(slot: number, stream: RolloutStream, ends = false): void {
    const closed = this.closed(slot);
    if (closed === 0) return;
    // A recurrent stretch goes whole (its stored states belong to its staged positions).
    if (this.sequences > 0 && closed !== this.count[slot]) throw new Error('webppo: internal: a recurrent slot flushed with an open step');
    const base = slot * this.shape.capacity;
    stream.write(this, slot, base, closed, this.continues[slot] === 1);
    this.continues[slot] = ends ? 0 : 1;
    if (this.open[slot] === 1) this.move(base + closed, base);
    this.count[slot] -= closed;
  }

  private move(from: number, to: number): void {
    const s = this.shape;
    this.observations.copyWithin(to * s.observationSize, from * s.observationSize, (from + 1) * s.observationSize);
    this.actions.copyWithin(to * s.actionSize, from * s.actionSize, (from + 1) * s.actionSize);
    if (s.maskSize > 0) this.masks.copyWithin(to * s.maskSize, from * s.maskSize, (from + 1) * s.maskSize);
    this.logProbs[to] = this.logProbs[from];
    this.values[to] = this.values[from];
    this.rewards[to] = this.rewards[from];
    this.bootstrapValues[to] = this.bootstrapValues[from];
    this.next[to] = this.next[from];
    this.versions[to] = this.versions[from];
    this.terminated[to] = this.terminated[from];
    this.truncated[to] = this.truncated[from];
  }
}

/** Element copy (no subarray views: nothing allocated). */
function copy<T extends Float32Array | Int32Array | Uint8Array>(to: T, at: number, from: T | Float32Array | Int32Array | Uint8Array, start: number, length: number): void {
  for (let i = 0; i < length; i++) to[at + i] = from[start + i];
}
