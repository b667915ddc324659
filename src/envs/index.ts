export type { Env, EnvAction, Info, ResetResult, StepResult, VectorEnv, VectorResetResult, VectorStepResult } from './env.js';
export { isVectorEnv } from './env.js';
export { CartPole } from './cartpole.js';
export { Pendulum, angleNormalize } from './pendulum.js';
export { TimeLimit } from './time-limit.js';
export { SyncVectorEnv, vectorize } from './vector.js';
export { ENV_IDS, makeEnv } from './registry.js';
