// Gymnasium-style environments: one `Env`, and a `VectorEnv` of numEnvs copies stepped together with
// autoreset. Envs written outside webppo only need these members (plain objects work).
import type { Space } from '../spaces.js';

export type Info = Record<string, unknown>;

/** An action for one env: an index (Discrete), or one entry per branch / dimension. */
export type EnvAction = number | ArrayLike<number>;

/** What `Env.reset` returns. */
export interface ResetResult {
  /** The first observation of the episode (observation-size numbers). */
  observation: ArrayLike<number>;
  /** Extra information (free-form). */
  info: Info;
}

/** What `Env.step` returns (Gymnasium's five-tuple as an object). */
export interface StepResult {
  /** The observation after the action. */
  observation: ArrayLike<number>;
  /** The reward for the action. */
  reward: number;
  /** The episode ended in a terminal state (no bootstrap). */
  terminated: boolean;
  /** The episode was cut short (a time limit): the agent bootstraps from the final observation. */
  truncated: boolean;
  /** Extra information (free-form). */
  info: Info;
}

/**
 * A Gymnasium-style environment. Any object with these members works (a class is not required); `train()`
 * vectorizes a factory `() => Env` with autoreset.
 */
export interface Env {
  /** What the env observes. */
  readonly observationSpace: Space;
  /** What the agent may do. */
  readonly actionSpace: Space;
  /** Starts a new episode; `seed` makes it reproducible. */
  reset(options?: { seed?: number }): ResetResult;
  /** Applies one action: an index (Discrete), or one entry per branch / dimension. */
  step(action: EnvAction): StepResult;
  /** Releases resources, when the env holds any. */
  close?(): void;
}

/** What `VectorEnv.reset` returns. */
export interface VectorResetResult {
  /** numEnvs x observation size, row e for env e. */
  observation: Float32Array;
  /** Extra information (free-form). */
  info: Info;
}

/** What `VectorEnv.step` returns: one entry per env. The arrays may be reused by the next step. */
export interface VectorStepResult {
  /** After autoreset: the first observation of the new episode for envs whose episode just ended. */
  observation: Float32Array;
  /** Reward of each env. */
  reward: Float32Array;
  /** 0/1 per env: the episode ended in a terminal state. */
  terminated: Uint8Array;
  /** 0/1 per env: the episode was cut short (a time limit). */
  truncated: Uint8Array;
  /**
   * `finalObservation` (numEnvs x observation size) holds the last observation of each episode that ended
   * this step (rows of other envs are unspecified); the agent bootstraps truncated episodes from it.
   * @property finalObservation numEnvs x observation size: the last observation of each episode that ended this step.
   */
  info: Info & { finalObservation?: Float32Array };
}

/** numEnvs envs stepped together; `observationSpace` and `actionSpace` describe ONE env. */
export interface VectorEnv {
  /** Envs stepped together (must equal the agent's numAgents). */
  readonly numEnvs: number;
  /** What one env observes. */
  readonly observationSpace: Space;
  /** What one env's agent may do. */
  readonly actionSpace: Space;
  /** Env e is seeded with seed + e. */
  reset(options?: { seed?: number }): VectorResetResult;
  /** actions: numEnvs rows (Int32Array for categorical spaces, Float32Array for boxes). */
  step(actions: Int32Array | Float32Array): VectorStepResult;
  /** Closes every env. */
  close?(): void;
}

/** Whether `value` looks like a {@link VectorEnv} (has a numeric `numEnvs` and a `step` method). */
export function isVectorEnv(value: unknown): value is VectorEnv {
  return typeof value === 'object' && value !== null && typeof (value as VectorEnv).numEnvs === 'number'
    && typeof (value as VectorEnv).step === 'function';
}
