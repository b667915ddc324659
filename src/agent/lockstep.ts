// Lockstep straight into the rollout: while every slot is alive, decides on every tick and stores its steps,
// a tick is one time step of the rollout (rows t * N .. t * N + N - 1, contiguous), so act() writes it with a
// few whole-array copies into the buffer's wasm memory instead of staging each slot's decision and copying it
// again when the slot's stretch flushes. What it holds is exactly what lockstep staging would hold (the same
// rows, in the layout the stream would give them): leaving the path hands the rows to the staging unchanged,
// so results stay bit-identical whichever path collected them.
import type { RolloutBuffer } from '../storage/rollout-buffer.js';
import type { Trajectories } from './trajectories.js';

/** The lockstep rollout being filled directly (at most one buffer at a time). */
export class LockstepRollout {
  /** The buffer being filled; undefined while the agent collects through the staging. */
  buffer: RolloutBuffer | undefined;
  /** Time steps written into the buffer. */
  rows = 0;
  /** 1 when the slot's last step is open (it did not end an episode): rewards still add to it. */
  readonly open: Uint8Array;
  /** Policy version each time step was decided with. */
  private readonly versions: Int32Array;

  constructor(private readonly numSteps: number, private readonly numAgents: number) {
    this.open = new Uint8Array(numAgents);
    this.versions = new Int32Array(numSteps);
  }

  /** Whether the buffer holds all numSteps time steps (the next decision bootstraps its last one). */
  get full(): boolean {
    return this.rows === this.numSteps;
  }

  /** The oldest policy version among the written steps. */
  get oldestVersion(): number {
    return this.versions[0];
  }

  /** Whether a written step was decided with another policy version than `version`. */
  lagged(version: number): boolean {
    for (let t = 0; t < this.rows; t++) if (this.versions[t] !== version) return true;
    return false;
  }

  /**
   * Writes one tick's decisions as the next time step: `input` is what the policy read (numAgents rows),
   * `masks` undefined means all actions allowed. Every slot's new step is open.
   */
  write(input: Float32Array, actions: Int32Array | Float32Array, masks: Uint8Array | undefined, logProbs: Float32Array, values: Float32Array, version: number): void {
    const buffer = this.buffer!, n = this.numAgents, at = this.rows * n;
    buffer.observations.set(input, at * buffer.observationSize);
    buffer.actions.set(actions, at * buffer.actionSize);
    const bufferMasks = buffer.masks;
    if (bufferMasks !== undefined) {
      if (masks !== undefined) bufferMasks.set(masks, at * buffer.maskSize);
      else bufferMasks.fill(1, at * buffer.maskSize, (at + n) * buffer.maskSize);
    }
    buffer.logProbs.set(logProbs, at);
    buffer.values.set(values, at);
    buffer.rewards.fill(0, at, at + n);
    buffer.terminated.fill(0, at, at + n);
    buffer.truncated.fill(0, at, at + n);
    buffer.bootstrapValues.fill(0, at, at + n);
    this.versions[this.rows] = version;
    this.rows++;
    this.open.fill(1);
  }

  /** Adds one tick's rewards (numAgents, already scaled) to the open steps; slots without one store nothing. */
  addRewards(rewards: Float32Array): void {
    const buffer = this.buffer!, at = (this.rows - 1) * this.numAgents, stored = buffer.rewards;
    for (let e = 0; e < this.numAgents; e++) if (this.open[e] === 1) stored[at + e] += rewards[e];
  }

  /**
   * Adds `rewards[index]` to the slot's open step; false (nothing stored) when it has none. The amount is read
   * here, not passed: a float passed to a call that is not inlined is boxed, an allocation per call.
   */
  addReward(slot: number, rewards: Float32Array, index: number): boolean {
    if (this.open[slot] === 0) return false;
    this.buffer!.rewards[(this.rows - 1) * this.numAgents + slot] += rewards[index];
    return true;
  }

  /** Closes the slot's open step as the end of its episode (like Trajectories.end), bootstrapping from `bootstraps[slot]`. */
  end(slot: number, terminated: boolean, truncated: boolean, bootstraps: Float32Array): void {
    if (this.open[slot] === 0) return;
    const buffer = this.buffer!, row = (this.rows - 1) * this.numAgents + slot;
    buffer.terminated[row] = terminated ? 1 : 0;
    buffer.truncated[row] = truncated ? 1 : 0;
    buffer.bootstrapValues[row] = truncated && !terminated ? bootstraps[slot] : 0;
    this.open[slot] = 0;
  }

  /**
   * Hands over the full buffer: `lastValues` gets each column's bootstrap from `values` (the decision after
   * the last step; 0 where the last step ended its episode, as the stream writes it). Returns the buffer.
   */
  finish(values: Float32Array, lastValues: Float32Array): RolloutBuffer {
    const buffer = this.buffer!, n = this.numAgents, last = (this.numSteps - 1) * n;
    for (let e = 0; e < n; e++) lastValues[e] = buffer.terminated[last + e] === 1 || buffer.truncated[last + e] === 1 ? 0 : values[e];
    buffer.markFilled(this.numSteps);
    this.buffer = undefined;
    this.rows = 0;
    return buffer;
  }

  /** Marks the written steps as stored (for saving them as `rollout.*`); writing goes on after. */
  markWritten(): RolloutBuffer {
    const buffer = this.buffer!;
    buffer.markFilled(this.rows);
    return buffer;
  }

  /**
   * Leaves the direct path: every written step goes to its slot's staging (empty until now), each closed at
   * its successor's value, the last one open unless it ended its episode, with the version it was decided
   * with. Returns the emptied buffer (for the pool).
   */
  toStaging(staging: Trajectories): RolloutBuffer {
    const buffer = this.buffer!, n = this.numAgents, steps = this.rows;
    const obs = buffer.observations, act = buffer.actions, masks = buffer.masks;
    for (let e = 0; e < n; e++) {
      for (let t = 0; t < steps; t++) {
        const row = t * n + e;
        staging.push(e, obs, act, masks, row, buffer.logProbs[row], buffer.values[row], this.versions[t]);
        staging.addReward(e, buffer.rewards[row]);
        const done = buffer.terminated[row] === 1 || buffer.truncated[row] === 1;
        if (done) staging.end(e, buffer.terminated[row] === 1, buffer.truncated[row] === 1, buffer.bootstrapValues[row]);
        else if (t < steps - 1) staging.close(e, buffer.values[row + n]);
      }
    }
    this.buffer = undefined;
    this.rows = 0;
    return buffer;
  }

  /**
   * Enters the direct path from lockstep-shaped staging of at most one step per slot (the usual state right
   * after a rollout filled): the staged steps become time step 0 of `buffer` and the staging is emptied.
   */
  fromStaging(staging: Trajectories, buffer: RolloutBuffer): void {
    const n = this.numAgents, { capacity, observationSize: o, actionSize: a, maskSize: m } = staging.shape;
    this.buffer = buffer;
    this.rows = staging.count[0];
    if (this.rows === 0) return;
    const obs = buffer.observations, act = buffer.actions, masks = buffer.masks;
    for (let e = 0; e < n; e++) {
      const src = e * capacity;
      for (let k = 0; k < o; k++) obs[e * o + k] = staging.observations[src * o + k];
      for (let k = 0; k < a; k++) act[e * a + k] = staging.actions[src * a + k];
      if (masks !== undefined) for (let k = 0; k < m; k++) masks[e * m + k] = staging.masks[src * m + k];
      buffer.logProbs[e] = staging.logProbs[src];
      buffer.values[e] = staging.values[src];
      buffer.rewards[e] = staging.rewards[src];
      buffer.terminated[e] = staging.terminated[src];
      buffer.truncated[e] = staging.truncated[src];
      buffer.bootstrapValues[e] = staging.bootstrapValues[src];
      this.open[e] = staging.open[e];
      staging.count[e] = 0;
      staging.open[e] = 0;
    }
    this.versions[0] = staging.versions[0];
  }
}
