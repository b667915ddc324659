// trainInWorker under Deno's Web Workers: the built dist/worker.js runs the same update as a trainer in this
// thread (same options, batch and plan -> the same stats and parameters, bit for bit), on the CPU backend and
// on Deno's WebGPU.
import { createMinibatchPlan, createTrainer, createWorkerTrainer, Discrete, init, resolveNetworkSpec, resolvePPOConfig } from '../../dist/index.js';

function check(condition: unknown, message: string): void {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

await init();
const T = 16, N = 4, OBS = 4, ACTIONS = 2, rows = T * N;
const options = {
  policy: { observationSize: OBS, actionSpace: Discrete(ACTIONS), network: resolveNetworkSpec({ hidden: [16] }) },
  ppo: resolvePPOConfig({ numSteps: T }), seed: 11,
};
let s = 7;
const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
const batch = {
  numSteps: T, numEnvs: N, observations: Float32Array.from({ length: rows * OBS }, rand),
  actions: Int32Array.from({ length: rows }, () => (rand() > 0 ? 1 : 0)), logProbs: new Float32Array(rows).fill(Math.log(0.5)),
  values: Float32Array.from({ length: rows }, rand), advantages: Float32Array.from({ length: rows }, rand), returns: Float32Array.from({ length: rows }, rand),
};
const plan = createMinibatchPlan({ numSteps: T, numEnvs: N, numEpochs: 4, numMinibatches: 4, unit: 'rows', mode: 'shuffled', seed: 3 });

for (const backend of ['cpu', 'webgpu'] as const) {
  const local = await createTrainer({ ...options, backend });
  const remote = await createWorkerTrainer({ ...options, backend, worker: new URL('../../dist/worker.js', import.meta.url) });
  check(remote.backend === backend, `a ${backend} trainer runs in a Deno Web Worker (${remote.transport} buffers)`);
  const [a, b] = [await local.update(batch, plan), await remote.update(batch, plan)];
  check(JSON.stringify(a) === JSON.stringify(b), `${backend}: the worker's update stats equal the local ones (loss_objective ${b.loss_objective.toFixed(5)})`);
  const [pa, pb] = [await local.getParameters(), await remote.getParameters()];
  check(pa.length === pb.length && pa.every((v, i) => v === pb[i]), `${backend}: the parameters after the update are equal bit for bit`);
  local.dispose();
  remote.dispose();
}
