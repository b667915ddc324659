// createTrainer: the one place a backend is chosen. 'auto' takes WebGPU on a hardware adapter and the WASM
// CPU backend otherwise: a software adapter (SwiftShader, llvmpipe, a fallback adapter) is slower than
// WASM SIMD. The choice is reported once.
import { checkOneOf } from '../errors.js';
import { createCpuTrainer } from './cpu/trainer.js';
import type { Trainer, TrainerOptions } from './trainer.js';
import { createWebGPUTrainer, probeAdapter } from './webgpu/index.js';

/** The backend asked for: `'cpu'`, `'webgpu'`, or `'auto'` (WebGPU on a hardware adapter, else the CPU). */
export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

let reported = false;

/**
 * Creates a {@link Trainer} on the chosen backend; `'auto'` (the default) takes WebGPU on a hardware adapter
 * and the WASM CPU backend otherwise (a software adapter is slower than WASM SIMD), and says which once with
 * `console.info`. Needs `await init()` first. Agents create their own trainer: this is for custom loops.
 * @example
 * ```ts
 * import { init, createTrainer, resolvePPOConfig, Discrete } from 'webppo';
 * await init();
 * const trainer = await createTrainer({
 *   backend: 'cpu', seed: 1, ppo: resolvePPOConfig({ numEpochs: 1 }),
 *   policy: { observationSize: 4, actionSpace: Discrete(2), network: { hidden: [8], activation: 'tanh', shared: false, distribution: 'normal' } },
 * });
 * console.log(trainer.parameterLayout.map((p) => p.name)); // ['actor.0.weight', 'actor.0.bias', ...]
 * trainer.dispose();
 * ```
 */
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
  console.info(message);
}
