// Recurrent PPO updates on the WebGPU trainer against the same update on the WASM CPU trainer, in one process:
// a 4-64 tanh layer, a 64-unit LSTM / GRU and the heads, actor and critic separate, Discrete(2); envs x 64
// steps cut into sequences of 16 that start from stored states, 4 epochs x 4 minibatches of whole segments,
// truncated BPTT, the clipped PPO loss and clipped Adam (one submit per update on WebGPU). Batches of 8 envs
// (bench/recurrent.bench.ts's shape) and, on a hardware adapter, 64 and 512 envs. Prints medians, ratios and
// dispatches per update.
//
//   npm run bench -- recurrent-webgpu     needs a WebGPU adapter (VK_ICD_FILENAMES in Node)
import { measure } from 'mitata';
import { createCpuTrainer, createWebGPUTrainer, Discrete, init, probeAdapter, resolveNetworkSpec, resolvePPOConfig } from '../dist/index.js';

const OBS = 4, HIDDEN = 64, SIZE = 64, ACTIONS = 2, EPOCHS = 4, MINIBATCHES = 4;
const STEPS = 64, SEQUENCE = 16;

await init();
const probe = await probeAdapter();
if (!probe) {
  console.log('recurrent-webgpu bench: no WebGPU adapter (set VK_ICD_FILENAMES in Node); nothing to measure');
  process.exit(0);
}

function randomBatch(cell: 'lstm' | 'gru', envs: number) {
  const rows = envs * STEPS;
  const normal = () => { let s = 0; for (let i = 0; i < 6; i++) s += Math.random(); return s - 3; };
  const stateSize = 2 * (cell === 'lstm' ? 2 * SIZE : SIZE); // actor's and critic's cells
  return {
    numSteps: STEPS, numEnvs: envs,
    observations: Float32Array.from({ length: rows * OBS }, normal),
    actions: Int32Array.from({ length: rows }, () => (Math.random() < 0.5 ? 0 : 1)),
    logProbs: Float32Array.from({ length: rows }, () => Math.log(0.5) + 0.1 * normal()),
    values: Float32Array.from({ length: rows }, normal),
    advantages: Float32Array.from({ length: rows }, normal),
    returns: Float32Array.from({ length: rows }, normal),
    terminated: Uint8Array.from({ length: rows }, () => (Math.random() < 0.02 ? 1 : 0)),
    truncated: new Uint8Array(rows),
    hiddenStates: Float32Array.from({ length: (STEPS / SEQUENCE) * envs * stateSize }, () => 0.1 * normal()),
  };
}

const fmt = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(2)} us`);

console.log(`adapter: ${probe.description} (${probe.software ? 'software' : 'hardware'})`);
console.log(`Medians (p50). Recurrent PPO update: envs x ${STEPS} steps, sequences of ${SEQUENCE}, ${EPOCHS} epochs x ${MINIBATCHES} minibatches of whole segments, ${OBS}-${HIDDEN} tanh + ${SIZE}-unit cell, Discrete(${ACTIONS}):`);
console.log('cell | envs | webppo-webgpu | webppo-cpu | cpu / webgpu | dispatches | kernels');
const ppo = resolvePPOConfig({ numEpochs: EPOCHS, numMinibatches: MINIBATCHES });
for (const envs of probe.software ? [8] : [8, 64, 512]) {
  for (const cell of ['lstm', 'gru'] as const) {
    const policy = { observationSize: OBS, actionSpace: Discrete(ACTIONS), network: resolveNetworkSpec({ hidden: [HIDDEN], memory: { cell, size: SIZE, sequenceLength: SEQUENCE } }) };
    const batch = randomBatch(cell, envs);
    const gpu = await createWebGPUTrainer({ policy, ppo, seed: 1 });
    await gpu.update(batch); // compiles, and times the kernel variants of this shape
    const ours = (await measure(async () => { await gpu.update(batch); }, { min_samples: 3, max_samples: 20 })).p50;
    const { dispatches, lastVariant } = gpu;
    gpu.dispose();
    const cpu = createCpuTrainer({ policy, ppo, seed: 1 });
    const peer = (await measure(async () => { await cpu.update(batch); }, { min_samples: 3, max_samples: 20 })).p50;
    cpu.dispose();
    const kernels = lastVariant ? `${lastVariant.variant}${lastVariant.subgroups ? '+subgroups' : ''}` : '?';
    console.log(`${cell.padEnd(4)} | ${String(envs).padEnd(4)} | ${fmt(ours).padEnd(13)} | ${fmt(peer).padEnd(10)} | ${(peer / ours).toFixed(2).padEnd(12)} | ${String(dispatches).padEnd(10)} | ${kernels}`);
  }
}
process.exit(0); // a Dawn instance keeps Node alive
