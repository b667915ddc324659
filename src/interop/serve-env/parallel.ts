// What serve-env accepts as a multi-agent env: webppo's ParallelEnv (PettingZoo's Parallel API in camelCase).
// Every agent must share one observation space and one action space to fill a batch.
export { type ParallelEnv, isParallelEnv } from '../../envs/parallel.js';

export type AgentAction = number | Float32Array | Int32Array;
