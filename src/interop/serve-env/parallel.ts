// PettingZoo's Parallel API in camelCase (the multi-agent contract of webppo): what serve-env accepts as a
// multi-agent env. Every agent must share one observation space and one action space to fill a batch.
import type { Space } from '../../spaces.js';

export type AgentAction = number | Float32Array | Int32Array;

export interface ParallelEnv {
  readonly possibleAgents: readonly string[];
  /** Agents still in the episode. */
  readonly agents: readonly string[];
  observationSpace(agent: string): Space;
  actionSpace(agent: string): Space;
  reset(options?: { seed?: number }): { observations: Record<string, ArrayLike<number>>; infos: Record<string, unknown> };
  step(actions: Record<string, AgentAction>): {
    observations: Record<string, ArrayLike<number>>;
    rewards: Record<string, number>;
    terminations: Record<string, boolean>;
    truncations: Record<string, boolean>;
    infos: Record<string, unknown>;
  };
  close?(): void;
}

export function isParallelEnv(value: unknown): value is ParallelEnv {
  const env = value as ParallelEnv | null;
  return typeof env === 'object' && env !== null && Array.isArray(env.possibleAgents) && typeof env.observationSpace === 'function';
}
