// createTrainer: the one place a backend is chosen. 'auto' takes WebGPU on a hardware adapter and the WASM
// CPU backend otherwise: a software adapter (SwiftShader, llvmpipe, a fallback adapter) is slower than
// WASM SIMD. The choice is reported once.
import { checkOneOf } from '../errors.js';
import { createCpuTrainer } from './cpu/trainer.js';
import type { Trainer, TrainerOptions } from './trainer.js';

export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

interface WebGPUModule {
  createWebGPUTrainer(options: TrainerOptions): Promise<Trainer>;
  probeAdapter(): Promise<{ software: boolean; description: string } | null>;
}

// A variable specifier: the WebGPU backend is loaded only when asked for, and its absence is an answer.
const WEBGPU_MODULE = './webgpu/index.js';
let reported = false;

export async function createTrainer(options: TrainerOptions & { backend?: BackendChoice }): Promise<Trainer> {
  const backend = checkOneOf('backend', options.backend ?? 'auto', ['auto', 'cpu', 'webgpu'] as const);
  if (backend === 'cpu') return createCpuTrainer(options);
  const gpu = await loadWebGPU();
  if (backend === 'webgpu') {
    if (gpu instanceof Error) throw new Error(`webppo: backend 'webgpu' is not available: ${gpu.message}`, { cause: gpu });
    return gpu.createWebGPUTrainer(options);
  }
  let reason = 'no WebGPU backend module';
  if (!(gpu instanceof Error)) {
    const adapter = await gpu.probeAdapter().catch(() => null);
    if (adapter && !adapter.software) {
      report(`webppo: backend 'auto' chose WebGPU (${adapter.description})`);
      return gpu.createWebGPUTrainer(options);
    }
    reason = adapter ? `the WebGPU adapter (${adapter.description}) is software` : 'no WebGPU adapter';
  }
  report(`webppo: backend 'auto' chose the WASM CPU backend (${reason})`);
  return createCpuTrainer(options);
}

async function loadWebGPU(): Promise<WebGPUModule | Error> {
  try {
    return (await import(/* @vite-ignore */ WEBGPU_MODULE)) as WebGPUModule;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function report(message: string): void {
  if (reported) return;
  reported = true;
  console.info(message);
}
