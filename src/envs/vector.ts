// numEnvs copies of an Env stepped together, Gymnasium's same-step autoreset: an env whose episode ends is
// reset at once, its new first observation is returned, and the final one goes to info.finalObservation.
// Results reuse the same arrays every step (copy what you keep).
import { fail } from '../errors.js';
import { actionSize, flatSize, type Space } from '../spaces.js';
import type { Env, EnvAction, VectorEnv, VectorResetResult, VectorStepResult } from './env.js';

/**
 * `numEnvs` envs stepped together in this thread, with Gymnasium's same-step autoreset: an env whose episode
 * ends is reset at once and its final observation goes to `info.finalObservation`. Results reuse the same
 * arrays every step (copy what you keep).
 */
export class SyncVectorEnv implements VectorEnv {
  /** How many envs. */
  readonly numEnvs: number;
  /** What one env observes (the first env's space). */
  readonly observationSpace: Space;
  /** What one env's agent may do (the first env's space). */
  readonly actionSpace: Space;
  private readonly observationSize: number;
  private readonly observation: Float32Array;
  private readonly finalObservation: Float32Array;
  private readonly reward: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly action: EnvAction[];

  /** @param envs - The envs, all with the same spaces. */
  constructor(readonly envs: readonly Env[]) {
    if (!Array.isArray(envs) || envs.length === 0) fail('envs', 'a non-empty array of Env', envs);
    this.numEnvs = envs.length;
    this.observationSpace = envs[0].observationSpace;
    this.actionSpace = envs[0].actionSpace;
    this.observationSize = flatSize(this.observationSpace);
    this.observation = new Float32Array(this.numEnvs * this.observationSize);
    this.finalObservation = new Float32Array(this.numEnvs * this.observationSize);
    this.reward = new Float32Array(this.numEnvs);
    this.terminated = new Uint8Array(this.numEnvs);
    this.truncated = new Uint8Array(this.numEnvs);
    const perEnv = actionSize(this.actionSpace);
    this.action = envs.map(() => (this.actionSpace.kind === 'discrete' ? 0 : this.actionSpace.kind === 'box' ? new Float32Array(perEnv) : new Int32Array(perEnv)));
  }

  /** Resets every env, env e with seed + e. */
  reset(options: { seed?: number } = {}): VectorResetResult {
    this.envs.forEach((env, e) => {
      const { observation } = env.reset(options.seed === undefined ? {} : { seed: options.seed + e });
      this.write(this.observation, e, observation, 'reset');
    });
    return { observation: this.observation, info: {} };
  }

  /** Steps every env with its row of `actions`; autoresets envs whose episode ended. */
  step(actions: Int32Array | Float32Array): VectorStepResult {
    const perEnv = actionSize(this.actionSpace);
    if (actions?.length !== this.numEnvs * perEnv) fail('actions.length', String(this.numEnvs * perEnv), actions?.length);
    let ended = false;
    for (let e = 0; e < this.numEnvs; e++) {
      const env = this.envs[e];
      let action = this.action[e];
      if (typeof action === 'number') action = actions[e];
      else (action as Float32Array | Int32Array).set(actions.subarray(e * perEnv, (e + 1) * perEnv));
      const result = env.step(action);
      this.reward[e] = result.reward;
      this.terminated[e] = result.terminated ? 1 : 0;
      this.truncated[e] = result.truncated ? 1 : 0;
      if (result.terminated || result.truncated) {
        ended = true;
        this.write(this.finalObservation, e, result.observation, 'step');
        this.write(this.observation, e, env.reset().observation, 'reset');
      } else {
        this.write(this.observation, e, result.observation, 'step');
      }
    }
    return {
      observation: this.observation, reward: this.reward, terminated: this.terminated, truncated: this.truncated,
      info: ended ? { finalObservation: this.finalObservation } : {},
    };
  }

  /** Closes every env. */
  close(): void {
    for (const env of this.envs) env.close?.();
  }

  private write(target: Float32Array, e: number, observation: ArrayLike<number>, from: string): void {
    if (observation?.length !== this.observationSize) fail(`env[${e}].${from}().observation.length`, String(this.observationSize), observation?.length);
    for (let k = 0; k < this.observationSize; k++) target[e * this.observationSize + k] = observation[k];
  }
}

/** A VectorEnv of `numEnvs` envs from a factory. */
export function vectorize(factory: () => Env, numEnvs: number): SyncVectorEnv {
  return new SyncVectorEnv(Array.from({ length: numEnvs }, () => factory()));
}
