// trainInWorker under Deno's Web Workers: the built dist/worker.js runs the same update as a trainer in this
// thread (same options, batch and plan -> the same stats and parameters, bit for bit), on the CPU backend and
// on Deno's WebGPU.
import { Agent, createMinibatchPlan, createTrainer, createWorkerTrainer, Discrete, init, makeEnv, resolveNetworkSpec, resolvePPOConfig, train, vectorize } from '../../dist/index.js';

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

// Agent.create({ trainInWorker: true }): the package finds its own dist/worker.js.
{
  const cartpole = () => makeEnv('CartPole-v1');
  const make = (trainInWorker: boolean | URL) => Agent.create({
    observationSpace: cartpole().observationSpace, actionSpace: cartpole().actionSpace, numAgents: 4, backend: 'cpu', seed: 5,
    ppo: { numSteps: 64 }, trainInWorker,
  });
  const here = await make(false);
  const there = await make(true);
  // On-policy in both (overlap: false), so the worker must reproduce this thread's training exactly.
  for (const agent of [here, there]) await train(agent, vectorize(cartpole, 4), { totalSteps: 4 * 64 * 5, overlap: false });
  const [a, b] = [await here.getParameters(), await there.getParameters()];
  check(there.updates === 5 && here.updates === 5, 'an Agent ran five updates in a worker, another five in this thread');
  check(a.every((v, i) => v === b[i]), 'the worker-trained Agent has the same parameters bit for bit');
  const [sa, sb] = [await here.save(), await there.save()];
  check(sa.length === sb.length && sa.every((v, i) => v === sb[i]), 'and the same checkpoint (trainInWorker is not saved)');
  here.dispose();
  there.dispose();
  // By default train() overlaps: each rollout after the first is collected while the previous update runs.
  const overlapped = await make(true);
  const lagged: boolean[] = [];
  overlapped.on('update', (e) => lagged.push(e.lagged));
  await train(overlapped, vectorize(cartpole, 4), { totalSteps: 4 * 64 * 5 });
  check(JSON.stringify(lagged) === '[false,true,true,true,true]', `train() overlaps rollouts and updates in a Deno worker (lagged: ${lagged})`);
  overlapped.dispose();
}
