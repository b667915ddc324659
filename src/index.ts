// Public exports only.
export { init, detectRuntime, type InitOptions, type Runtime, type WasmModuleLike } from './init.js';
export { WebppoError, ValidationError, UnknownOptionError, StateError, SizeError, CheckpointError, WorkerError, type WorkerErrorCode, type ErrorCode } from './errors.js';
export { setLogLevel, getLogLevel, setLogger, LOG_LEVELS, type LogLevel, type Logger, type LogOptions } from './log.js';
export { Box, Discrete, MultiDiscrete, type Space, type ActionSpace, type BoxSpace, type DiscreteSpace, type MultiDiscreteSpace } from './spaces.js';
export { DEFAULT_PPO_CONFIG, resolvePPOConfig, type PPOConfig, type PPOConfigInput } from './config.js';
export { ppoPreset, PPO_PRESET_NAMES, type PPOPresetName } from './ppo-presets.js';
export { DEFAULT_NETWORK, networkLayout, resolveNetworkSpec, type NetworkSpec, type PolicySpec, type ParameterEntry, type MemorySpec, type MemoryCell } from './policy/network.js';
export { initialParameters } from './policy/init.js';
export type { Batch, MinibatchPlan, LossStats, UpdateStats, Trainer, TrainerOptions, Hyperparameters, OptimizerState, BackendName, DemoBatch, ImitationOptions, ImitationStats, ImitationUpdateStats } from './backend/trainer.js';
export { createTrainer, type BackendChoice, type BackendReport, type CreateTrainerOptions } from './backend/index.js';
export { measureBackends, syntheticBatch } from './backend/auto.js';
export { createCpuTrainer } from './backend/cpu/trainer.js';
export { CpuPolicy, type ActOutput, type ActOptions, type CpuPolicyOptions } from './backend/cpu/inference.js';
export { createWebGPUTrainer, type WebGPUTrainer, type WebGPUTrainerOptions, type GPUCounters } from './backend/webgpu/trainer.js';
export { probeAdapter, DeviceLostError } from './backend/webgpu/device.js';
export type { GPUDeviceLike } from './backend/webgpu/gpu-types.js';
export { RolloutBuffer, type RolloutBufferOptions, type RolloutStep, type ActingStep, type OutcomeStep, type BufferAdvantageOptions } from './storage/rollout-buffer.js';
export { computeAdvantages, normalizeAdvantages, explainedVariance, type AdvantageInput } from './storage/advantages.js';
export { samplePrioritized, type PrioritizedInput } from './storage/sampler.js';
export { createMinibatchPlan, type MinibatchPlanInput } from './storage/plan.js';
export { MinibatchStager, stagingLayout, type StagingLayout } from './storage/gather.js';
export { createWorkerTrainer, RemoteTrainer, serveTrainer, type TrainInWorker, type WorkerSource, type WorkerTrainerOptions, type MessageEndpoint, type NodeWorkerLike } from './worker/index.js';
export { Agent, type AgentOptions, type ActOptions as AgentActOptions, type ObserveOptions, type LoadOptions, type UpdateEvent, type EpisodeEvent, type AgentEvents, type AgentHealth, type DivergedEvent, type RecoveredEvent, type DroppedEvent, type LeaveOptions, type Heuristic, type HeuristicOptions, type Driver, type SelfPlayEvent, type BehavioralCloningSettings } from './agent/agent.js';
export { opponentSeed } from './agent/self-play.js';
export { Behaviours, extractBehaviour, type BehaviourOptions, type BehavioursOptions, type BehavioursLoadOptions, type BehavioursEvents, type Tagged } from './behaviours/index.js';
export { train, evaluateAgent, type TrainOptions, type TrainResult, type ProgressEvent, type EvaluateOptions } from './train.js';
export type { MultiAgentTrainOptions, MultiAgentTrainResult, MultiAgentProgressEvent, MultiAgentEvaluateOptions, CheckpointOptions, PolicyMapping } from './train/multi-agent-options.js';
export { EnvError } from './envs/env-error.js';
export { CartPole, Pendulum, TimeLimit, SelectObservation, CueRecall, type CueRecallOptions, SyncVectorEnv, vectorize, makeEnv, ENV_IDS, isVectorEnv, type Env, type VectorEnv, type StepResult, type ResetResult, type VectorStepResult, type VectorResetResult, type EnvAction } from './envs/index.js';
export { isParallelEnv, checkParallelEnv, HuntersAndPrey, type ParallelEnv, type ParallelResetResult, type ParallelStepResult, type ParallelEnvChecker, type HuntersAndPreyId, type HuntersAndPreyOptions } from './envs/index.js';
export { PaddleDuel, DUEL_ACTIONS, DUEL_PHYSICS, duelBaseline, DuelVsBaseline, evaluateVersusBaseline, type DuelPhysics, type DuelSide, type DuelState, type DuelResultInfo, type PaddleDuelOptions, type DuelBaselineOptions, type DuelVsBaselineOptions, type EvaluateVersusBaselineOptions, type VersusBaselineResult } from './envs/index.js';
export { constant, linear, cosine, scheduleValue, type Schedule, type Schedules } from './schedule.js';
export { RunningMeanStd, ObservationNormalizer, RewardScaler } from './normalize.js';
export { readSafetensors, writeSafetensors, type Tensor, type SafetensorsFile } from './policy/safetensors.js';
export { presetFor, type Preset } from './presets.js';
export { loadPolicy, InferencePolicy, type LoadPolicyOptions, type PredictOptions } from './policy/inference-policy.js';
export { SelfPlay, OpponentPolicy, frozenPolicy, resolveSelfPlayOptions, expectedScore, eloChange, resultScore, SELF_PLAY_TENSORS, type SelfPlayOptions, type ResolvedSelfPlayOptions, type SelfPlayChanges, type SelfPlaySummary, type OpponentChoice, type OpponentSource, type OpponentSummary, type SnapshotInfo, type GameResult, type OpponentPolicyOptions, type OpponentActOptions } from './selfplay/index.js';
export {
  DemonstrationRecorder, loadDemonstration, encodeDemonstration, demonstrationBatch, demoSequences, pretrain, BehavioralCloning, type Demonstration, type DemonstrationRecorderOptions, type DemoSequences,
  type ImitationHost, type PretrainOptions, type PretrainEpoch, type BehavioralCloningOptions, type BehavioralCloningDefaults, type BehavioralCloningStats,
} from './imitation/index.js';
