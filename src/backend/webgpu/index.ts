// The WebGPU backend: a Trainer whose PPO update runs in WGSL compute shaders.
export { createWebGPUTrainer, WebGPUTrainer, type WebGPUTrainerOptions, type GPUCounters } from './trainer.js';
export { DeviceLostError, probeAdapter, requestDevice } from './device.js';
export { compileShader } from './kernels.js';
