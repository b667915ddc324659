// The WebGPU sweep: one PPO update (4 epochs x 4 minibatches of shuffled rows, obs 8, Discrete(4), tanh actor
// and critic [h, h]) for batch x hidden, on the WebGPU trainer ('auto' kernels: the variant it measured is
// shown), the WASM CPU trainer and the PyTorch peer (bench/peers/torch_ppo.py: eager and torch.compile, CUDA
// when available) in the same run. Per cell: samples/s of the whole update and of forward + loss + backward
// alone (computeGradients over the whole batch), achieved GFLOP/s, dispatches per update, the kernels 'auto'
// measured fastest (variant, '+subgroups' when the reductions use subgroup operations), and which backend
// 'auto' picks (createTrainer, measured) against which was faster here.
//
//   npm run bench -- webgpu          reduced sweep on a software adapter, the full one on a hardware GPU
//   WEBPPO_BENCH_FULL=1              the full sweep anyway: batch {512, 2048, 8192, 65536} x hidden {64, 256, 1024}
//   WEBPPO_BENCH_REDUCED=1           the reduced sweep anyway: batch {512, 2048} x hidden {64, 256}
//   WEBPPO_BENCH_CELL_S=5            seconds per measurement (at least 3 runs after a warm-up)
//   WEBPPO_BENCH_CPU_MAX_S=3         skip the CPU trainer where its update would take longer (estimated from the last cell)
//   WEBPPO_PEER_RESULTS=path         read the peer's JSON lines from this file (run before) instead of running it
//   WEBPPO_BENCH_JSON=path           also write every number as JSON
//   WEBPPO_PYTHON=python3            the Python that has torch (default: the first of python3, /usr/bin/python3 that does)
//   WEBPPO_PEER_TIMEOUT_S=900        stop the peer after this long (what it measured by then is kept)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createCpuTrainer, createTrainer, createWebGPUTrainer, Discrete, init, probeAdapter, resolveNetworkSpec, resolvePPOConfig,
} from '../dist/index.js';

await init();

const probe = await probeAdapter();
if (!probe) {
  console.log('webgpu bench: no WebGPU adapter (set VK_ICD_FILENAMES in Node); nothing to measure');
  process.exit(0);
}
const full = process.env.WEBPPO_BENCH_FULL === '1' || (!probe.software && process.env.WEBPPO_BENCH_REDUCED !== '1');
const budgetS = Number(process.env.WEBPPO_BENCH_CELL_S ?? 5);
const cpuMaxS = Number(process.env.WEBPPO_BENCH_CPU_MAX_S ?? 3);
console.log(`adapter: ${probe.description} (${probe.software ? 'software' : 'hardware'}); ${full ? 'full' : 'reduced'} sweep`);

const OBS = 8;
const ENVS = 8;
const EPOCHS = 4;
const MINIBATCHES = 4;
const batches = full ? [512, 2048, 8192, 65536] : [512, 2048];
const hiddens = full ? [64, 256, 1024] : [64, 256];
// The cells the goals name first, so that a run cut short still has them.
const GOALS = ['8192x256', '65536x64'];
const order = batches.flatMap((rows) => hiddens.map((hidden) => [rows, hidden] as const))
  .sort((a, b) => Number(GOALS.includes(`${b[0]}x${b[1]}`)) - Number(GOALS.includes(`${a[0]}x${a[1]}`)));

let seed = 1;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
const floats = (n: number, f = () => random() * 2 - 1) => Float32Array.from({ length: n }, f);

function shuffledPlan(rows: number) {
  const indices = new Int32Array(EPOCHS * rows);
  for (let e = 0; e < EPOCHS; e++) {
    const order = Array.from({ length: rows }, (_, i) => i);
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    indices.set(order, e * rows);
  }
  return { unit: 'rows' as const, numEpochs: EPOCHS, numMinibatches: MINIBATCHES, unitsPerMinibatch: rows / MINIBATCHES, indices };
}

/** Matrix-product FLOPs of one update: forward, input gradient (not into the observations) and weight gradient. */
function updateFlops(rows: number, hidden: number): number {
  const widths = [OBS, hidden, hidden];
  let perRow = 0;
  for (const out of [ACTIONS, 1]) {
    const w = [...widths, out];
    for (let l = 0; l + 1 < w.length; l++) perRow += 2 * w[l] * w[l + 1] * (l === 0 ? 2 : 3);
  }
  return perRow * rows * EPOCHS;
}
const ACTIONS = 4;

/** Median milliseconds of `fn` after one warm-up run: at least 3 runs, more while within the budget. */
async function medianMs(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < 3 || (times.length < 15 && spent < budgetS * 500)) {
    const started = performance.now();
    await fn();
    const t = performance.now() - started;
    times.push(t);
    spent += t;
    if (t > budgetS * 1000) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

interface Cell {
  rows: number; hidden: number; gflop: number;
  webgpu: { updateMs: number; gradMs: number; dispatches: number; variant: string; variantMs: Record<string, number>; submits: number; readbacks: number };
  cpu?: { updateMs: number; gradMs: number };
  cpuSkipped?: string;
  auto?: { backend: string; ms: Record<string, number> };
  torch: Record<string, { updateMs?: number; gradMs?: number; skipped?: string }>;
}
const cells: Cell[] = [];
let cpuFlopsPerMs = 0;

const json = () => {
  if (process.env.WEBPPO_BENCH_JSON) writeFileSync(process.env.WEBPPO_BENCH_JSON, JSON.stringify({ adapter: probe.description, software: probe.software, peer: torchDevice, cells }, null, 1));
};
let torchDevice = process.env.WEBPPO_PEER_RESULTS ? `read from ${process.env.WEBPPO_PEER_RESULTS}` : 'not run (no python3 with torch)';
{
  for (const [rows, hidden] of order) {
    const policy = { observationSize: OBS, actionSpace: Discrete(ACTIONS), network: resolveNetworkSpec({ hidden: [hidden, hidden] }) };
    const ppo = resolvePPOConfig({ numSteps: rows / ENVS, learningRate: 1e-4, numEpochs: EPOCHS, numMinibatches: MINIBATCHES });
    const batch = {
      numSteps: rows / ENVS, numEnvs: ENVS, observations: floats(rows * OBS),
      actions: Int32Array.from({ length: rows }, () => Math.floor(random() * ACTIONS)),
      logProbs: floats(rows, () => Math.log(0.25) + (random() - 0.5) * 0.2), values: floats(rows), advantages: floats(rows), returns: floats(rows),
    };
    const plan = shuffledPlan(rows);
    const flops = updateFlops(rows, hidden);
    const gpu = await createWebGPUTrainer({ policy, ppo, seed: 1 });
    const before = { ...gpu.counters };
    let updates = 0;
    const updateMs = await medianMs(async () => { await gpu.update(batch, plan); updates++; });
    const submits = (gpu.counters.submits - before.submits) / updates;
    const readbacks = (gpu.counters.readbacks - before.readbacks) / updates;
    const dispatches = gpu.dispatches;
    const choice = gpu.lastVariant!;
    const kernels = `${choice.variant}${choice.subgroups ? '+subgroups' : ''}`;
    const gradMs = await medianMs(() => gpu.computeGradients(batch));
    gpu.dispose();
    const cell: Cell = {
      rows, hidden, gflop: flops / 1e9, torch: {},
      webgpu: { updateMs, gradMs, dispatches, variant: kernels, variantMs: choice.ms, submits, readbacks },
    };
    const cpuEstimateMs = cpuFlopsPerMs ? flops / cpuFlopsPerMs : 0;
    if (cpuEstimateMs > cpuMaxS * 1000) {
      cell.cpuSkipped = `estimated ${(cpuEstimateMs / 1000).toFixed(0)} s per update`;
    } else {
      const cpu = createCpuTrainer({ policy, ppo, seed: 1 });
      const cpuUpdate = await medianMs(() => cpu.update(batch, plan));
      cell.cpu = { updateMs: cpuUpdate, gradMs: await medianMs(() => cpu.computeGradients(batch)) };
      cpuFlopsPerMs = Math.max(cpuFlopsPerMs, flops / cpuUpdate);
      cpu.dispose();
      // What 'auto' picks for this configuration (it measures one update per backend itself).
      let measured: { backend: string; ms: Record<string, number> } | undefined;
      const info = console.info;
      console.info = () => {};
      const auto = await createTrainer({ policy, ppo, seed: 1, numEnvs: ENVS, onBackendReport: (r) => { measured = { backend: r.backend, ms: r.ms as Record<string, number> }; } });
      console.info = info;
      auto.dispose();
      cell.auto = measured;
    }
    cells.push(cell);
    json();
    console.log(`batch ${rows} [${hidden},${hidden}]: webgpu ${updateMs.toFixed(1)} ms (${kernels}), cpu ${cell.cpu ? `${cell.cpu.updateMs.toFixed(1)} ms` : 'skipped'}${cell.auto ? `, auto -> ${cell.auto.backend}` : ''}`);
  }
}

// The PyTorch peer, in the same run.
const peer = fileURLToPath(new URL('./peers/torch_ppo.py', import.meta.url));
const python = [process.env.WEBPPO_PYTHON, 'python3', '/usr/bin/python3'].find((p) => p && spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
let peerLines: string[] = [];
if (process.env.WEBPPO_PEER_RESULTS) {
  peerLines = readFileSync(process.env.WEBPPO_PEER_RESULTS, 'utf8').split('\n');
} else if (python) {
  const timeout = Number(process.env.WEBPPO_PEER_TIMEOUT_S ?? 900) * 1000;
  const out = spawnSync(python, [peer, JSON.stringify(cells.map((c) => [c.rows, [c.hidden, c.hidden]])), String(budgetS)], { encoding: 'utf8', maxBuffer: 1 << 24, timeout });
  if (out.status !== 0) torchDevice = `stopped early: ${out.error ? `timeout after ${timeout / 1000} s` : (out.stderr || '').trim().split('\n').pop()}`;
  peerLines = (out.stdout || '').split('\n');
}
{
  for (const line of peerLines.filter((l) => l.startsWith('{'))) {
    const r = JSON.parse(line);
    if (r.torch) { torchDevice = `torch ${r.torch} on ${r.device} (${r.modes.join(', ')})`; continue; }
    const cell = cells.find((c) => c.rows === r.rows && c.hidden === r.hidden[0]);
    if (cell) cell.torch[r.mode] = r.skipped ? { skipped: r.skipped } : { updateMs: r.update_ms, gradMs: r.grad_ms };
  }
}

const ms = (v?: number) => (v === undefined ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const rate = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const sps = (rows: number, v?: number) => (v === undefined ? '-' : rate(((rows * EPOCHS) / v) * 1e3));
const gradSps = (rows: number, v?: number) => (v === undefined ? '-' : rate((rows / v) * 1e3));
const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? '-' : `${(b / a).toFixed(2)}x`);
console.log(`\nadapter: ${probe.description}; peer: ${torchDevice}`);
console.log('update = 4 epochs x 4 minibatches; samples/s counts each row once per epoch; grad = forward + loss + backward over the whole batch (computeGradients); speedup = other time / webgpu time\n');
console.log('| batch | hidden | webgpu update ms | samples/s | GFLOP/s | kernels | dispatches | grad ms | grad samples/s | cpu update ms | vs cpu | torch eager ms | vs eager | torch compile ms | vs compile | auto picks | faster here |');
console.log('|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
for (const c of cells) {
  const eager = c.torch.eager?.updateMs;
  const compiled = c.torch.compile?.updateMs;
  const faster = c.cpu ? (c.cpu.updateMs < c.webgpu.updateMs ? 'cpu' : 'webgpu') : '-';
  const close = c.cpu ? Math.abs(c.cpu.updateMs - c.webgpu.updateMs) / Math.min(c.cpu.updateMs, c.webgpu.updateMs) <= 0.1 : false;
  console.log(`| ${c.rows} | [${c.hidden},${c.hidden}] | ${ms(c.webgpu.updateMs)} | ${sps(c.rows, c.webgpu.updateMs)} | ${(c.gflop / (c.webgpu.updateMs / 1e3)).toFixed(1)} | ${c.webgpu.variant} | ${c.webgpu.dispatches} | ${ms(c.webgpu.gradMs)} | ${gradSps(c.rows, c.webgpu.gradMs)} | ${c.cpu ? ms(c.cpu.updateMs) : `skipped (${c.cpuSkipped})`} | ${ratio(c.webgpu.updateMs, c.cpu?.updateMs)} | ${c.torch.eager?.skipped ? 'skipped' : ms(eager)} | ${ratio(c.webgpu.updateMs, eager)} | ${c.torch.compile?.skipped ? 'skipped' : ms(compiled)} | ${ratio(c.webgpu.updateMs, compiled)} | ${c.auto?.backend ?? '-'} | ${faster}${close ? ' (within 10%)' : ''} |`);
}
const submits = new Set(cells.map((c) => `${c.webgpu.submits}/${c.webgpu.readbacks}`));
console.log(`\nsubmits / readbacks per update: ${[...submits].join(', ')}`);
json();
process.exit(0);
