// The WebGPU update of several builds, interleaved in one process on one adapter, so that a change to the kernels
// is measured against the build before it under the same load (the sweep, bench/webgpu.bench.ts, runs one build).
// One update = 4 epochs x 4 minibatches of shuffled rows, obs 8, Discrete(4), tanh [h,h] actor and critic; per
// build and cell: median and fastest ms per update, the median CPU time of this process per update (a software
// adapter's work runs on its threads, so on a busy host this moves far less than the wall time), and dispatches
// per update. Pass package roots (with dist/):
//   npm run build && VK_ICD_FILENAMES=... node bench/webgpu-builds.mjs ../before .
// Variables: CELLS='[[512,64],[2048,64]]' (batch, hidden), KERNELS=direct|tiled|auto, SUBGROUPS=auto|true|false,
// REPS=7 (timed updates per build and cell, after one warm-up).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const roots = process.argv.length > 2 ? process.argv.slice(2) : ['.'];
const builds = [];
for (const root of roots) {
  const w = await import(pathToFileURL(resolve(root, 'dist/index.js')).href);
  await w.init();
  builds.push({ root, w });
}
const probe = await builds[0].w.probeAdapter();
if (!probe) {
  console.log('webgpu-builds: no WebGPU adapter (set VK_ICD_FILENAMES in Node)');
  process.exit(0);
}
const OBS = 8;
const ENVS = 8;
const ACTIONS = 4;
const cells = JSON.parse(process.env.CELLS ?? '[[512,64],[2048,64]]');
const kernels = process.env.KERNELS ?? 'direct';
const subgroups = { true: true, false: false }[process.env.SUBGROUPS] ?? 'auto';
const reps = Number(process.env.REPS ?? 7);
let seed = 1;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
const floats = (n, f = () => random() * 2 - 1) => Float32Array.from({ length: n }, f);
console.log(`adapter: ${probe.description}; kernels ${kernels}, subgroups ${subgroups}, ${reps} updates per build and cell, interleaved`);
for (const [rows, hidden] of cells) {
  const batch = {
    numSteps: rows / ENVS, numEnvs: ENVS, observations: floats(rows * OBS), actions: Int32Array.from({ length: rows }, () => Math.floor(random() * ACTIONS)),
    logProbs: floats(rows, () => Math.log(0.25) + (random() - 0.5) * 0.2), values: floats(rows), advantages: floats(rows), returns: floats(rows),
  };
  const runs = [];
  for (const { root, w } of builds) {
    const policy = { observationSize: OBS, actionSpace: w.Discrete(ACTIONS), network: w.resolveNetworkSpec({ hidden: [hidden, hidden] }) };
    const ppo = w.resolvePPOConfig({ numSteps: rows / ENVS, learningRate: 1e-4, numEpochs: 4, numMinibatches: 4 });
    const trainer = await w.createWebGPUTrainer({ policy, ppo, seed: 1, kernels, subgroups });
    await trainer.update(batch); // warm-up: pipelines, buffers, bind groups
    runs.push({ root, trainer, times: [], cpu: [] });
  }
  for (let r = 0; r < reps; r++) {
    for (const run of runs) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      await run.trainer.update(batch);
      const used = process.cpuUsage(cpu);
      run.times.push(performance.now() - started);
      run.cpu.push((used.user + used.system) / 1000);
    }
  }
  for (const { root, trainer, times, cpu } of runs) {
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const variant = trainer.lastVariant ? `${trainer.lastVariant.variant}${trainer.lastVariant.subgroups ? '+subgroups' : ''}` : kernels;
    console.log(`batch ${rows} [${hidden},${hidden}] ${root}: median ${times[times.length >> 1].toFixed(1)} ms, fastest ${times[0].toFixed(1)} ms, cpu ${cpu[cpu.length >> 1].toFixed(1)} ms, ${trainer.dispatches} dispatches (${variant})`);
    trainer.dispose();
  }
}
process.exit(0);
