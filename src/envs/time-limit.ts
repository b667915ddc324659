// Gymnasium's TimeLimit: an episode that reaches maxEpisodeSteps without terminating is truncated.
import type { Env, EnvAction, ResetResult, StepResult } from './env.js';

export class TimeLimit implements Env {
  private elapsed = 0;
  constructor(readonly env: Env, readonly maxEpisodeSteps: number) {}

  get observationSpace() { return this.env.observationSpace; }
  get actionSpace() { return this.env.actionSpace; }

  reset(options?: { seed?: number }): ResetResult {
    this.elapsed = 0;
    return this.env.reset(options);
  }

  step(action: EnvAction): StepResult {
    const result = this.env.step(action);
    this.elapsed++;
    if (this.elapsed >= this.maxEpisodeSteps && !result.terminated) result.truncated = true;
    return result;
  }
}
