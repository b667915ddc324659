// The WASM CPU backend against TF.js (wasm and cpu backends) in the same process: one PPO update (4 epochs x
// 4 minibatches, shuffled rows) of the same 4-64-64 tanh actor-critic with 2 discrete actions, same loss and
// Adam with global grad-norm clipping; and act latency for 1 and 1024 agents. Prints times, GFLOP/s, ratios.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { measure } from 'mitata';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { CpuPolicy, Discrete, createCpuTrainer, init, resolveNetworkSpec, resolvePPOConfig } from '../dist/index.js';

const OBS = 4, HIDDEN = 64, ACTIONS = 2, EPOCHS = 4, MINIBATCHES = 4;
const BATCHES = [128, 512, 2048];
/** Multiply-adds of one row through actor (4-64-64-2) and critic (4-64-64-1). */
const MACS = 2 * (OBS * HIDDEN + HIDDEN * HIDDEN) + HIDDEN * ACTIONS + HIDDEN;
/** Forward 2 flops per MAC, backward 4 (dX and dW), per epoch. */
const updateFlops = (rows: number) => EPOCHS * rows * 6 * MACS;

function randomBatch(rows: number) {
  const normal = () => { let s = 0; for (let i = 0; i < 6; i++) s += Math.random(); return s - 3; };
  return {
    numSteps: rows / 8, numEnvs: 8,
    observations: Float32Array.from({ length: rows * OBS }, normal),
    actions: Int32Array.from({ length: rows }, () => (Math.random() < 0.5 ? 0 : 1)),
    logProbs: Float32Array.from({ length: rows }, () => Math.log(0.5) + 0.1 * normal()),
    values: Float32Array.from({ length: rows }, normal),
    advantages: Float32Array.from({ length: rows }, normal),
    returns: Float32Array.from({ length: rows }, normal),
  };
}
type BenchBatch = ReturnType<typeof randomBatch>;

/** The same PPO update in TF.js: clipped surrogate, clipped value loss, entropy bonus, clipped Adam. */
function tfTrainer() {
  const dense = (i: number, o: number) => [tf.variable(tf.randomNormal([i, o], 0, 1 / Math.sqrt(i))), tf.variable(tf.zeros([o]))];
  const actor = [...dense(OBS, HIDDEN), ...dense(HIDDEN, HIDDEN), ...dense(HIDDEN, ACTIONS)];
  const critic = [...dense(OBS, HIDDEN), ...dense(HIDDEN, HIDDEN), ...dense(HIDDEN, 1)];
  const vars = [...actor, ...critic];
  const optimizer = tf.train.adam(2.5e-4, 0.9, 0.999, 1e-5);
  const mlp = (p: tf.Variable[], x: tf.Tensor2D) => {
    let h = tf.tanh(tf.add(tf.matMul(x, p[0]), p[1]));
    h = tf.tanh(tf.add(tf.matMul(h, p[2]), p[3]));
    return tf.add(tf.matMul(h, p[4]), p[5]) as tf.Tensor2D;
  };
  return (batch: BenchBatch) => {
    const rows = batch.actions.length;
    const m = rows / MINIBATCHES;
    const all = tf.tidy(() => ({
      obs: tf.tensor2d(batch.observations, [rows, OBS]), act: tf.tensor1d(batch.actions, 'int32'),
      logp: tf.tensor1d(batch.logProbs), val: tf.tensor1d(batch.values), adv: tf.tensor1d(batch.advantages), ret: tf.tensor1d(batch.returns),
    }));
    let last = 0;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      const order = tf.util.createShuffledIndices(rows);
      for (let k = 0; k < MINIBATCHES; k++) {
        tf.tidy(() => {
          const idx = tf.tensor1d(Int32Array.from(order.subarray(k * m, (k + 1) * m)), 'int32');
          const obs = tf.gather(all.obs, idx) as tf.Tensor2D, act = tf.gather(all.act, idx), oldLogp = tf.gather(all.logp, idx);
          const oldV = tf.gather(all.val, idx), ret = tf.gather(all.ret, idx);
          let adv = tf.gather(all.adv, idx);
          const { mean, variance } = tf.moments(adv);
          adv = tf.div(tf.sub(adv, mean), tf.add(tf.sqrt(tf.mul(variance, m / (m - 1))), 1e-8));
          const { value, grads } = tf.variableGrads(() => {
            const logits = mlp(actor as tf.Variable[], obs);
            const logProbs = tf.logSoftmax(logits);
            const logp = tf.sum(tf.mul(logProbs, tf.oneHot(act, ACTIONS)), 1);
            const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1));
            const ratio = tf.exp(tf.sub(logp, oldLogp));
            const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 0.8, 1.2), adv));
            const v = tf.reshape(mlp(critic as tf.Variable[], obs), [m]);
            const vClipped = tf.add(oldV, tf.clipByValue(tf.sub(v, oldV), -0.2, 0.2));
            const vLoss = tf.mean(tf.maximum(tf.square(tf.sub(v, ret)), tf.square(tf.sub(vClipped, ret))));
            return tf.add(tf.sub(tf.neg(tf.mean(surrogate)), tf.mul(0.01, tf.mean(entropy))), tf.mul(0.5, vLoss)) as tf.Scalar;
          }, vars as tf.Variable[]);
          const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
          const scale = tf.minimum(1, tf.div(0.5, tf.add(norm, 1e-6)));
          const clipped: Record<string, tf.Tensor> = {};
          for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
          optimizer.applyGradients(clipped as unknown as Parameters<typeof optimizer.applyGradients>[0]); // tfjs types want Variables; gradients are Tensors keyed by variable name
          if (epoch === EPOCHS - 1 && k === MINIBATCHES - 1) last = value.dataSync()[0]; // one readback per update
        });
      }
    }
    tf.dispose(Object.values(all));
    return last;
  };
}

const fmt = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`);

async function main() {
  await init();
  const require = createRequire(import.meta.url);
  setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  const policy = { observationSize: OBS, actionSpace: Discrete(ACTIONS), network: resolveNetworkSpec({ hidden: [HIDDEN, HIDDEN], activation: 'tanh' }) };
  const ppo = resolvePPOConfig({ numEpochs: EPOCHS, numMinibatches: MINIBATCHES });
  const batches = new Map(BATCHES.map((rows) => [rows, randomBatch(rows)]));
  const times = new Map<string, number>();

  const trainer = createCpuTrainer({ policy, ppo, seed: 1 });
  for (const rows of BATCHES) {
    const batch = batches.get(rows)!;
    times.set(`webppo-cpu ${rows}`, (await measure(async () => { await trainer.update(batch); })).p50);
  }
  for (const backend of ['wasm', 'cpu']) {
    if (!(await tf.setBackend(backend)) || tf.getBackend() !== backend) throw new Error(`tfjs backend ${backend} did not initialize`);
    const update = tfTrainer();
    for (const rows of BATCHES) {
      const batch = batches.get(rows)!;
      const budget = backend === 'cpu' && rows > 512 ? { min_samples: 2, max_samples: 4 } : { max_samples: 20 };
      times.set(`tfjs-${backend} ${rows}`, (await measure(() => update(batch), budget)).p50);
    }
  }

  console.log('Medians (p50). PPO update (4 epochs x 4 minibatches), 4-64-64 tanh actor-critic, Discrete(2):');
  console.log('rows  | webppo-cpu          | tfjs-wasm   | tfjs-cpu    | vs tfjs-wasm | vs tfjs-cpu');
  for (const rows of BATCHES) {
    const ours = times.get(`webppo-cpu ${rows}`)!, wasmTime = times.get(`tfjs-wasm ${rows}`)!, cpuTime = times.get(`tfjs-cpu ${rows}`)!;
    const gflops = updateFlops(rows) / ours;
    console.log(`${String(rows).padEnd(5)} | ${fmt(ours).padEnd(9)} ${gflops.toFixed(2).padStart(5)} GFLOP/s | ${fmt(wasmTime).padEnd(11)} | ${fmt(cpuTime).padEnd(11)} | ${(wasmTime / ours).toFixed(1).padStart(11)}x | ${(cpuTime / ours).toFixed(1).padStart(10)}x`);
  }

  console.log('\nact (actor + critic forward, sampling), CpuPolicy:');
  for (const agents of [1, 1024]) {
    const cpu = new CpuPolicy(policy, { seed: 1, maxAgents: agents });
    const obs = Float32Array.from({ length: agents * OBS }, () => Math.random() - 0.5);
    const out = { actions: new Int32Array(agents), logProbs: new Float32Array(agents), values: new Float32Array(agents) };
    cpu.act(obs, out);
    const stats = await measure(() => cpu.act(obs, out));
    // Zero allocation: no garbage collection at all over many calls after warm-up.
    const calls = agents === 1 ? 1_000_000 : 2_000;
    let collections = 0;
    const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
    observer.observe({ entryTypes: ['gc'] });
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < calls; i++) cpu.act(obs, out);
    const cpuTime = process.cpuUsage(cpuBefore);
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    const goal = agents === 1 ? '< 2 us' : '< 1 ms';
    const cpuPerCall = ((cpuTime.user + cpuTime.system) * 1e3) / calls;
    console.log(`${String(agents).padStart(5)} agents: ${fmt(stats.p50).padEnd(9)} (p99 ${fmt(stats.p99)}, process CPU time ${fmt(cpuPerCall)}) ${(2 * MACS * agents / stats.p50).toFixed(2)} GFLOP/s, goal ${goal}; ${collections} GCs in ${calls} calls`);
    cpu.dispose();
  }
  trainer.dispose();
}

await main();
