// Public exports only.
export { init, detectRuntime, type InitOptions, type Runtime } from './init.js';
export { ValidationError } from './errors.js';
export { Box, Discrete, MultiDiscrete, type Space, type ActionSpace, type BoxSpace, type DiscreteSpace, type MultiDiscreteSpace } from './spaces.js';
export { DEFAULT_PPO_CONFIG, resolvePPOConfig, type PPOConfig, type PPOConfigInput } from './config.js';
export { DEFAULT_NETWORK, networkLayout, resolveNetworkSpec, type NetworkSpec, type PolicySpec, type ParameterEntry } from './policy/network.js';
export { initialParameters } from './policy/init.js';
export type { Batch, MinibatchPlan, LossStats, UpdateStats, Trainer, TrainerOptions, Hyperparameters, OptimizerState, BackendName } from './backend/trainer.js';
export { createTrainer, type BackendChoice } from './backend/index.js';
export { createCpuTrainer } from './backend/cpu/trainer.js';
export { CpuPolicy, type ActOutput, type ActOptions, type CpuPolicyOptions } from './backend/cpu/inference.js';
export { createWebGPUTrainer, probeAdapter, DeviceLostError, type WebGPUTrainer, type WebGPUTrainerOptions } from './backend/webgpu/index.js';
export { RolloutBuffer, type RolloutBufferOptions, type RolloutStep, type ActingStep, type OutcomeStep, type BufferAdvantageOptions } from './storage/rollout-buffer.js';
export { computeAdvantages, normalizeAdvantages, explainedVariance, type AdvantageInput } from './storage/advantages.js';
export { samplePrioritized, type PrioritizedInput } from './storage/sampler.js';
export { createMinibatchPlan, type MinibatchPlanInput } from './storage/plan.js';
export { MinibatchStager, stagingLayout, type StagingLayout } from './storage/gather.js';
