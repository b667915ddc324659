// One PPO update (4 epochs x 4 minibatches of shuffled rows) on the WebGPU trainer against the WASM CPU
// trainer (the peer, same batch and plan, same run), for batch sizes x hidden sizes; reports ms per update,
// the ratio, and submits / readbacks per update. On a software adapter (SwiftShader, lavapipe) the big sizes
// take minutes: they run only with WEBPPO_BENCH_LARGE=1.
import { bench, group, run } from 'mitata';
import { createCpuTrainer, createWebGPUTrainer, Discrete, init, probeAdapter, resolveNetworkSpec, resolvePPOConfig } from '../dist/index.js';

await init();

const probe = await probeAdapter();
if (!probe) {
  console.log('webgpu bench: no WebGPU adapter (set VK_ICD_FILENAMES in Node); nothing to measure');
  process.exit(0);
}
const large = process.env.WEBPPO_BENCH_LARGE === '1' || !probe.software;
console.log(`adapter: ${probe.description} (${probe.software ? 'software' : 'hardware'})${large ? '' : '; large sizes skipped (WEBPPO_BENCH_LARGE=1)'}`);

const OBS = 8;
const ENVS = 8;
let seed = 1;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
const floats = (n: number, f = () => random() * 2 - 1) => Float32Array.from({ length: n }, f);

function shuffledPlan(rows: number) {
  const indices = new Int32Array(4 * rows);
  for (let e = 0; e < 4; e++) {
    const order = Array.from({ length: rows }, (_, i) => i);
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    indices.set(order, e * rows);
  }
  return { unit: 'rows' as const, numEpochs: 4, numMinibatches: 4, unitsPerMinibatch: rows / 4, indices };
}

const sizes: [number, number][] = [[512, 64], [2048, 64], [512, 256]];
if (large) sizes.push([8192, 64], [2048, 256], [8192, 256]);
const trainers: { name: string; counters: { submits: number; readbacks: number }; updates: number }[] = [];
for (const [rows, hidden] of sizes) {
  const policy = { observationSize: OBS, actionSpace: Discrete(4), network: resolveNetworkSpec({ hidden: [hidden, hidden] }) };
  const ppo = resolvePPOConfig({ numSteps: rows / ENVS, learningRate: 1e-4 });
  const trainer = await createWebGPUTrainer({ policy, ppo, seed: 1 });
  const cpu = createCpuTrainer({ policy, ppo, seed: 1 });
  const batch = {
    numSteps: rows / ENVS, numEnvs: ENVS, observations: floats(rows * OBS),
    actions: Int32Array.from({ length: rows }, () => Math.floor(random() * 4)),
    logProbs: floats(rows, () => Math.log(0.25) + (random() - 0.5) * 0.2), values: floats(rows), advantages: floats(rows), returns: floats(rows),
  };
  const plan = shuffledPlan(rows);
  const name = `update batch ${rows} hidden [${hidden},${hidden}]`;
  const entry = { name, counters: trainer.counters, updates: 0 };
  trainers.push(entry);
  group(name, () => {
    bench(`webgpu ${name}`, async () => { await trainer.update(batch, plan); entry.updates++; });
    bench(`wasm-cpu ${name}`, async () => { await cpu.update(batch, plan); });
  });
}

const { benchmarks } = await run({ format: 'quiet', throw: true });
const avg = new Map(benchmarks.flatMap((b) => b.runs).map((r) => [r.name, r.stats?.avg ?? NaN]));
console.log('| update (4 epochs x 4 minibatches) | webgpu ms | wasm-cpu ms | webgpu / wasm-cpu time | submits / update | readbacks / update |');
console.log('|---|---|---|---|---|---|');
for (const t of trainers) {
  const gpu = (avg.get(`webgpu ${t.name}`) ?? NaN) / 1e6;
  const cpu = (avg.get(`wasm-cpu ${t.name}`) ?? NaN) / 1e6;
  console.log(`| ${t.name} | ${gpu.toFixed(1)} | ${cpu.toFixed(1)} | ${(gpu / cpu).toFixed(1)}x | ${(t.counters.submits / t.updates).toFixed(2)} | ${(t.counters.readbacks / t.updates).toFixed(2)} |`);
}
process.exit(0);
