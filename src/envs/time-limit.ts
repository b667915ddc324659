// Gymnasium's TimeLimit: an episode that reaches maxEpisodeSteps without terminating is truncated.
import type { Env, EnvAction, ResetResult, StepResult } from './env.js';

/** Gymnasium's TimeLimit: an episode that reaches `maxEpisodeSteps` without terminating is truncated. */
export class TimeLimit implements Env {
  private elapsed = 0;
  /**
   * @param env - The env to wrap.
   * @param maxEpisodeSteps - Steps after which an episode is truncated.
   */
  constructor(readonly env: Env, readonly maxEpisodeSteps: number) {}

  /** The wrapped env's observation space. */
  get observationSpace() { return this.env.observationSpace; }
  /** The wrapped env's action space. */
  get actionSpace() { return this.env.actionSpace; }

  /** Resets the wrapped env and the step count. */
  reset(options?: { seed?: number }): ResetResult {
    this.elapsed = 0;
    return this.env.reset(options);
  }

  /** Steps the wrapped env; sets `truncated` when the limit is reached. */
  step(action: EnvAction): StepResult {
    const result = this.env.step(action);
    this.elapsed++;
    if (this.elapsed >= this.maxEpisodeSteps && !result.terminated) result.truncated = true;
    return result;
  }
}
