// createTrainer: the one place a backend is chosen. 'auto' takes WebGPU on a hardware adapter and the WASM
// CPU backend otherwise: a software adapter (SwiftShader, llvmpipe, a fallback adapter) is slower than
// WASM SIMD. The choice is reported once.
import { checkOneOf } from '../errors.js';
import { createCpuTrainer } from './cpu/trainer.js';
import { log } from '../log.js';
import type { Trainer, TrainerOptions } from './trainer.js';
import { createWebGPUTrainer, probeAdapter } from './webgpu/index.js';

export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

let reported = false;

export async function createTrainer(options: TrainerOptions & { backend?: BackendChoice }): Promise<Trainer> {
  const backend = checkOneOf('backend', options.backend ?? 'auto', ['auto', 'cpu', 'webgpu'] as const);
  if (backend === 'cpu') return createCpuTrainer(options);
  if (backend === 'webgpu') return createWebGPUTrainer(options);
  const adapter = await probeAdapter().catch(() => null);
  if (adapter && !adapter.software) {
    report(`webppo: backend 'auto' chose WebGPU (${adapter.description})`);
    return createWebGPUTrainer(options);
  }
  const reason = adapter ? `the WebGPU adapter (${adapter.description}) is software` : 'no WebGPU adapter';
  report(`webppo: backend 'auto' chose the WASM CPU backend (${reason})`);
  return createCpuTrainer(options);
}

function report(message: string): void {
  if (reported) return;
  reported = true;
  log.info(message);
}
