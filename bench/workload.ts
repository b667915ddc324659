// The cross-runtime benchmark: one workload that runs unchanged in Node, Deno and browsers (bench/all.mjs,
// examples/bench/). It uses only the public API and performance.now(), so the numbers compare runtimes, not
// harnesses. Workloads: rollout storage (add a step, GAE/V-trace), one PPO update per backend, and
// end-to-end CartPole-v1 training per backend.
import { Agent, Box, Discrete, init, makeEnv, RolloutBuffer, train, vectorize, type BackendChoice } from 'webppo';

export type Backend = Exclude<BackendChoice, 'auto'>;

export interface BenchRow {
  workload: string;
  /** 'wasm' for storage (no trainer), else the trainer backend. */
  backend: 'wasm' | Backend;
  value: number;
  unit: string;
  /** What one measured operation is. */
  detail: string;
}

export interface WorkloadOptions {
  backends: readonly Backend[];
  /** Called with each row as soon as it is measured. */
  onRow?: (row: BenchRow) => void;
  log?: (line: string) => void;
}

// Sizes: a game-sized batch on CPU; software WebGPU adapters (SwiftShader, llvmpipe) are orders of magnitude
// slower, so each measurement is time-boxed instead of fixed in count.
const OBS = 16, ACTIONS = 5;
const STORAGE = { numSteps: 128, numEnvs: 64 };
const UPDATE = { numAgents: 16, numSteps: 32, hidden: [64, 64], numEpochs: 4, numMinibatches: 4 };
const CARTPOLE = { numEnvs: 8, numSteps: 64, hidden: [64, 64] };
const TIME_BOX_MS = 1500;

/** Runs fn until at least minMs have passed (after one warm-up call); returns calls per second. */
async function perSecond(fn: () => unknown, minMs = 400): Promise<number> {
  await fn();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do { await fn(); calls++; elapsed = performance.now() - start; } while (elapsed < minMs);
  return (calls * 1000) / elapsed;
}

/** A small seeded generator so every runtime feeds the same numbers. */
function filler(seed: number): (array: Float32Array, scale?: number) => void {
  let s = seed >>> 0 || 1;
  return (array, scale = 1) => {
    for (let i = 0; i < array.length; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; array[i] = ((s / 4294967296) * 2 - 1) * scale; }
  };
}

async function storageRows(): Promise<BenchRow[]> {
  const { numSteps, numEnvs } = STORAGE;
  const fill = filler(1);
  const buffer = RolloutBuffer.create({ numSteps, numEnvs, observationSize: OBS, actionSpace: Discrete(ACTIONS) });
  const step = {
    observations: new Float32Array(numEnvs * OBS), actions: new Int32Array(numEnvs), logProbs: new Float32Array(numEnvs),
    values: new Float32Array(numEnvs), rewards: new Float32Array(numEnvs), terminated: new Uint8Array(numEnvs), truncated: new Uint8Array(numEnvs),
  };
  fill(step.observations); fill(step.logProbs); fill(step.values); fill(step.rewards);
  for (let e = 0; e < numEnvs; e += 7) step.terminated[e] = 1;
  const lastValues = new Float32Array(numEnvs);
  try {
    const fills = await perSecond(() => {
      buffer.reset();
      for (let t = 0; t < numSteps; t++) buffer.add(step);
    });
    const advantages = await perSecond(() => buffer.computeAdvantages({ lastValues, gamma: 0.99, gaeLambda: 0.95 }));
    const rows = numSteps * numEnvs;
    return [
      { workload: 'storage: add steps', backend: 'wasm', value: fills * rows, unit: 'rows/s', detail: `${numSteps} steps x ${numEnvs} envs, obs ${OBS}` },
      { workload: 'storage: GAE/V-trace', backend: 'wasm', value: advantages * rows, unit: 'rows/s', detail: `${rows} rows` },
    ];
  } finally {
    buffer.dispose();
  }
}

/** One PPO update (all epochs and minibatches) on a full rollout of random play. */
async function updateRow(backend: Backend): Promise<BenchRow> {
  const { numAgents, numSteps, hidden, numEpochs, numMinibatches } = UPDATE;
  const agent = await Agent.create({
    observationSpace: Box(OBS, -1, 1), actionSpace: Discrete(ACTIONS), numAgents, backend, seed: 1,
    network: { hidden }, ppo: { numSteps, numEpochs, numMinibatches },
  });
  const fill = filler(2);
  const obs = new Float32Array(numAgents * OBS), rewards = new Float32Array(numAgents);
  const terminated = new Uint8Array(numAgents), truncated = new Uint8Array(numAgents);
  const durations: number[] = [];
  agent.on('update', (event) => durations.push(event.durationMs));
  try {
    const started = performance.now();
    // The first update warms up (pipelines, shaders); then measure until the time box is spent.
    while (durations.length < 2 || (performance.now() - started < TIME_BOX_MS && durations.length < 20)) {
      for (let t = 0; t < numSteps; t++) {
        fill(obs); fill(rewards, 0.1);
        agent.act(obs);
        agent.observe(rewards, terminated, truncated);
      }
      agent.finishRollout(obs);
      await agent.whenIdle();
    }
  } finally {
    agent.dispose();
  }
  const measured = durations.slice(1);
  const ms = measured.reduce((a, b) => a + b, 0) / measured.length;
  const rows = numAgents * numSteps;
  return { workload: 'PPO update', backend, value: (rows * numEpochs * 1000) / ms, unit: 'samples/s', detail: `${rows} rows x ${numEpochs} epochs x ${numMinibatches} minibatches, mlp ${hidden.join('x')}; ${ms.toFixed(1)} ms/update` };
}

/** CartPole-v1 trained end to end: env steps, act, observe and updates. */
async function cartpoleRow(backend: Backend): Promise<BenchRow> {
  const { numEnvs, numSteps, hidden } = CARTPOLE;
  const env = () => makeEnv('CartPole-v1');
  const agent = await Agent.create({
    observationSpace: env().observationSpace, actionSpace: env().actionSpace, numAgents: numEnvs, backend, seed: 1,
    network: { hidden }, ppo: { numSteps },
  });
  try {
    const rollout = numEnvs * numSteps;
    await train(agent, vectorize(env, numEnvs), { totalSteps: rollout }); // warm-up: pipelines and wasm tiers
    let totalSteps = 2 * rollout;
    const started = performance.now();
    const startSteps = agent.steps;
    while (true) {
      await train(agent, vectorize(env, numEnvs), { totalSteps });
      if (performance.now() - started >= TIME_BOX_MS || totalSteps >= 40 * rollout) break;
      totalSteps += rollout;
    }
    const steps = agent.steps - startSteps;
    return { workload: 'CartPole-v1 training', backend, value: (steps * 1000) / (performance.now() - started), unit: 'steps/s', detail: `${numEnvs} envs x ${numSteps} steps per update, mlp ${hidden.join('x')}` };
  } finally {
    agent.dispose();
  }
}

/** Runs every workload; a backend that fails (e.g. no WebGPU) is logged and skipped. */
export async function runWorkloads(options: WorkloadOptions): Promise<BenchRow[]> {
  const log = options.log ?? (() => {});
  await init();
  const rows: BenchRow[] = [];
  const add = (row: BenchRow) => { rows.push(row); options.onRow?.(row); log(`${row.workload} [${row.backend}]: ${formatValue(row.value)} ${row.unit} (${row.detail})`); };
  for (const row of await storageRows()) add(row);
  for (const backend of options.backends) {
    try {
      add(await updateRow(backend));
      add(await cartpoleRow(backend));
    } catch (error) {
      log(`${backend}: skipped (${(error as Error).message})`);
    }
  }
  return rows;
}

export function formatValue(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : value >= 1e4 ? `${(value / 1e3).toFixed(1)}k` : value.toFixed(value >= 100 ? 0 : 1);
}

export interface RuntimeResult { runtime: string; version: string; rows: BenchRow[] }

/** One Markdown table: a row per workload and backend, a column per runtime. */
export function markdownTable(results: readonly RuntimeResult[]): string {
  const keys: { workload: string; backend: string; unit: string }[] = [];
  for (const r of results) for (const row of r.rows) {
    if (!keys.some((k) => k.workload === row.workload && k.backend === row.backend)) keys.push({ workload: row.workload, backend: row.backend, unit: row.unit });
  }
  const header = `| workload | backend | unit | ${results.map((r) => `${r.runtime} ${r.version}`).join(' | ')} |`;
  const rule = `|---|---|---|${results.map(() => '---:').join('|')}|`;
  const lines = keys.map((k) => {
    const cells = results.map((r) => {
      const row = r.rows.find((x) => x.workload === k.workload && x.backend === k.backend);
      return row ? formatValue(row.value) : '–';
    });
    return `| ${k.workload} | ${k.backend} | ${k.unit} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...lines].join('\n');
}
