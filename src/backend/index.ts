// createTrainer: the one place a backend is chosen. 'auto' measures: when a WebGPU adapter exists (hardware or
// software), a WebGPU and a WASM CPU trainer each time one real update of the agent's own configuration
// (auto.ts) and the faster is kept; the choice is cached per adapter and configuration for the process (and,
// in browsers, in localStorage) and reported once, with the timings.
import { checkInteger, checkOneOf } from '../errors.js';
import { measureBackends, type BackendMeasurement } from './auto.js';
import { createCpuTrainer } from './cpu/trainer.js';
import { log } from '../log.js';
import type { BackendName, Trainer, TrainerOptions } from './trainer.js';
import { createWebGPUTrainer, probeAdapter } from './webgpu/index.js';
import { WEBGPU_RECURRENT } from './webgpu/trainer.js';
import type { WebGPUTrainerOptions } from './webgpu/trainer.js';
import { resolvePPOConfig } from '../config.js';

/** The backend asked for: `'cpu'`, `'webgpu'`, or `'auto'` (WebGPU on a hardware adapter, else the CPU). */
export type BackendChoice = 'auto' | 'cpu' | 'webgpu';
export type { BackendMeasurement } from './auto.js';

/** How 'auto' decided: the backend, the adapter, the timings (absent when there was nothing to measure). */
export interface BackendReport {
  /** The backend chosen. */
  backend: BackendName;
  /** Why, in words: no adapter, the adapter's kind and the timings, or an earlier measurement. */
  reason: string;
  /** The WebGPU adapter's description; absent when there was none. */
  adapter?: string;
  /** Milliseconds of one update (warm-up excluded) per backend; present only when this call measured. */
  ms?: BackendMeasurement['ms'];
  /** The choice came from the cache of an earlier measurement of the same adapter and configuration. */
  cached?: boolean;
}

/** What `createTrainer` takes: a trainer's options and the backend to build it on. */
export interface CreateTrainerOptions extends TrainerOptions {
  /**
   * The backend to build: `'cpu'`, `'webgpu'`, or `'auto'` (measures which is faster here).
   * @default 'auto'
   */
  backend?: BackendChoice;
  /** The WebGPU trainer's kernel variants (see WebGPUTrainerOptions.kernels). */
  kernels?: WebGPUTrainerOptions['kernels'];
  /** Envs per rollout (the agent's numAgents): 'auto' times an update of numSteps x numEnvs rows. Default 1. */
  numEnvs?: number;
  /** Called with how 'auto' decided (not called for an explicit backend). */
  onBackendReport?: (report: BackendReport) => void;
  /**
   * Wraps each candidate 'auto' times (the winner is returned unwrapped). For tests and benchmarks of the
   * choice itself, such as a deliberately slowed backend.
   */
  measureWith?: (trainer: Trainer) => Trainer;
}

const choices = new Map<string, BackendName>();
const STORAGE_PREFIX = 'webppo.backend:';
let reported = false;

/** A trainer of the requested backend; 'auto' (default) measures which is faster here (see above). */
export async function createTrainer(options: CreateTrainerOptions): Promise<Trainer> {
  const backend = checkOneOf('backend', options.backend ?? 'auto', ['auto', 'cpu', 'webgpu'] as const);
  if (backend === 'cpu') return createCpuTrainer(options);
  // A recurrent network goes only to backends with recurrent kernels: 'auto' has nothing to measure without
  // WebGPU's, and 'webgpu' rejects the network itself.
  if (backend === 'auto' && options.policy?.network?.memory !== undefined && !WEBGPU_RECURRENT) {
    const trainer = createCpuTrainer(options);
    options.onBackendReport?.({ backend: 'cpu', reason: 'a recurrent network (network.memory): only the CPU backend has recurrent kernels' });
    return trainer;
  }
  if (backend === 'webgpu') return createWebGPUTrainer(options);
  const numEnvs = checkInteger('numEnvs', options.numEnvs ?? 1, 1);
  const adapter = await probeAdapter().catch(() => null);
  if (!adapter) {
    announce(options, { backend: 'cpu', reason: 'no WebGPU adapter' });
    return createCpuTrainer(options);
  }
  const ppo = resolvePPOConfig(options.ppo);
  const key = `${adapter.description}|${numEnvs}|${JSON.stringify(options.policy)}|${JSON.stringify(ppo)}`;
  const known = choices.get(key) ?? stored(key);
  if (known) {
    announce(options, { backend: known, reason: `${kind(adapter)}; measured earlier for this configuration`, adapter: adapter.description, cached: true });
    return known === 'webgpu' ? createWebGPUTrainer(options) : createCpuTrainer(options);
  }
  const candidates: Trainer[] = [createCpuTrainer(options)];
  try {
    candidates.push(await createWebGPUTrainer(options));
  } catch (error) {
    announce(options, { backend: 'cpu', reason: `WebGPU failed to start (${(error as Error).message})`, adapter: adapter.description });
    return candidates[0];
  }
  try {
    const wrap = options.measureWith ?? ((t: Trainer) => t);
    const { index, ms } = await measureBackends(candidates.map(wrap), { policy: options.policy, ppo, numEnvs });
    const winner = candidates[index];
    choices.set(key, winner.backend);
    store(key, winner.backend);
    const timings = Object.fromEntries(candidates.map((t, i) => [t.backend, ms[i]]));
    const times = Object.entries(timings).map(([b, t]) => `${b} ${t.toFixed(1)} ms`).join(', ');
    announce(options, { backend: winner.backend, reason: `${kind(adapter)}; one update measured: ${times}`, adapter: adapter.description, ms: timings });
    for (const t of candidates) if (t !== winner) t.dispose();
    return winner;
  } catch (error) {
    for (const t of candidates) t.dispose();
    throw error;
  }
}

function announce(options: CreateTrainerOptions, report: BackendReport): void {
  options.onBackendReport?.(report);
  if (reported) return;
  reported = true;
  log.info(`webppo: backend 'auto' chose ${report.backend === 'webgpu' ? 'WebGPU' : 'the WASM CPU backend'} (${report.reason})`);
}

function kind(adapter: { software: boolean; description: string }): string {
  return `the WebGPU adapter (${adapter.description}) is ${adapter.software ? 'software' : 'hardware'}`;
}

/** The choice remembered in browser storage, if any. */
function stored(key: string): BackendName | undefined {
  try {
    const value = (globalThis as { localStorage?: Storage }).localStorage?.getItem(STORAGE_PREFIX + key);
    return value === 'cpu' || value === 'webgpu' ? value : undefined;
  } catch {
    return undefined;
  }
}

function store(key: string, backend: BackendName): void {
  try {
    (globalThis as { localStorage?: Storage }).localStorage?.setItem(STORAGE_PREFIX + key, backend);
  } catch {
    // storage full or denied: the in-memory cache still holds the choice
  }
}
