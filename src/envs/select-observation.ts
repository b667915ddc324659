// Partial observability by construction: a wrapper that lets the agent see only some entries of a Box
// observation (a guard who sees where the player is but not where they are heading). What the env hides
// must then be inferred from what came before, which is what a recurrent policy (network.memory) is for.
import { checkInteger, fail } from '../errors.js';
import { Box, type BoxSpace } from '../spaces.js';
import type { Env, EnvAction, ResetResult, StepResult } from './env.js';

/**
 * Keeps the entries `keep` (in that order) of a flat Box observation and hides the rest; the dynamics,
 * rewards and episode ends are the wrapped env's. `makeEnv('CartPoleNoVelocity-v1')` is CartPole-v1 seen
 * through `new SelectObservation(new CartPole(), [0, 2])`: cart position and pole angle, no velocities.
 * @example
 * ```ts
 * import { CartPole, SelectObservation, TimeLimit } from 'webppo';
 * const env = new TimeLimit(new SelectObservation(new CartPole(), [0, 2]), 500);
 * env.observationSpace; // Box(2): cart position, pole angle
 * ```
 */
export class SelectObservation implements Env {
  /** A Box of `keep.length` entries with the wrapped env's bounds for them. */
  readonly observationSpace: BoxSpace;
  /** Which entries of the wrapped env's observation the agent sees. */
  readonly keep: readonly number[];

  /**
   * @param env - The env to wrap; its observation space must be a Box.
   * @param keep - Indices into its flat observation, each in [0, size), no repeats, at least one.
   */
  constructor(readonly env: Env, keep: readonly number[]) {
    const space = env?.observationSpace;
    if (space?.kind !== 'box') fail('SelectObservation env.observationSpace', 'a Box', space?.kind ?? space);
    if (!Array.isArray(keep) || keep.length === 0) fail('SelectObservation keep', 'a non-empty array of indices', keep);
    keep.forEach((k, i) => {
      checkInteger(`SelectObservation keep[${i}]`, k, 0, space.size - 1);
      if (keep.indexOf(k) !== i) fail(`SelectObservation keep[${i}]`, 'an index not already kept', k);
    });
    this.keep = Object.freeze([...keep]);
    this.observationSpace = Box(keep.length, keep.map((k) => space.low[k]), keep.map((k) => space.high[k]));
  }

  /** The wrapped env's action space. */
  get actionSpace() { return this.env.actionSpace; }

  /** Resets the wrapped env; returns the kept entries of its first observation. */
  reset(options?: { seed?: number }): ResetResult {
    const result = this.env.reset(options);
    return { observation: this.select(result.observation), info: result.info };
  }

  /** Steps the wrapped env; returns the kept entries of its observation. */
  step(action: EnvAction): StepResult {
    const result = this.env.step(action);
    return { ...result, observation: this.select(result.observation) };
  }

  /** Closes the wrapped env. */
  close(): void { this.env.close?.(); }

  private select(observation: ArrayLike<number>): Float32Array {
    const out = new Float32Array(this.keep.length);
    for (let i = 0; i < out.length; i++) out[i] = observation[this.keep[i]];
    return out;
  }
}
