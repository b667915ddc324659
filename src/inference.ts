// `webppo/inference`: play a trained agent. Load a checkpoint, predict actions (deterministic or sampled,
// with the checkpoint's observation normalization). No trainer, no WebGPU, no shader text: a page that only
// plays ships this entry alone (its size is checked by test/bundle/inference-size.test.ts).
export { init, detectRuntime, type InitOptions, type Runtime, type WasmModuleLike } from './init.js';
export { ValidationError } from './errors.js';
export { CheckpointError } from './policy/safetensors.js';
export { Box, Discrete, MultiDiscrete, type Space, type ActionSpace, type BoxSpace, type DiscreteSpace, type MultiDiscreteSpace } from './spaces.js';
export { loadPolicy, InferencePolicy, type LoadPolicyOptions, type PredictOptions } from './policy/inference-policy.js';
export { extractBehaviour } from './behaviours/checkpoint.js';
