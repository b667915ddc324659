// Gymnasium-style environments: one `Env`, and a `VectorEnv` of numEnvs copies stepped together with
// autoreset. Envs written outside webppo only need these members (plain objects work).
import type { Space } from '../spaces.js';

export type Info = Record<string, unknown>;

/** An action for one env: an index (Discrete), or one entry per branch / dimension. */
export type EnvAction = number | ArrayLike<number>;

export interface ResetResult {
  observation: ArrayLike<number>;
  info: Info;
}

export interface StepResult {
  observation: ArrayLike<number>;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

export interface Env {
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  reset(options?: { seed?: number }): ResetResult;
  step(action: EnvAction): StepResult;
  close?(): void;
}

export interface VectorResetResult {
  /** numEnvs x observation size, row e for env e. */
  observation: Float32Array;
  info: Info;
}

export interface VectorStepResult {
  /** After autoreset: the first observation of the new episode for envs whose episode just ended. */
  observation: Float32Array;
  reward: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /**
   * `finalObservation` (numEnvs x observation size) holds the last observation of each episode that ended
   * this step (rows of other envs are unspecified); the agent bootstraps truncated episodes from it.
   */
  info: Info & { finalObservation?: Float32Array };
}

/** numEnvs envs stepped together; `observationSpace` and `actionSpace` describe ONE env. */
export interface VectorEnv {
  readonly numEnvs: number;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  /** Env e is seeded with seed + e. */
  reset(options?: { seed?: number }): VectorResetResult;
  /** actions: numEnvs rows (Int32Array for categorical spaces, Float32Array for boxes). */
  step(actions: Int32Array | Float32Array): VectorStepResult;
  close?(): void;
}

export function isVectorEnv(value: unknown): value is VectorEnv {
  return typeof value === 'object' && value !== null && typeof (value as VectorEnv).numEnvs === 'number'
    && typeof (value as VectorEnv).step === 'function';
}
