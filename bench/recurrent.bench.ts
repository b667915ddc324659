// Recurrent PPO updates on the WASM CPU backend against the same update in TF.js (wasm backend, its LSTM / GRU
// cells from tf.layers) in one process: a 4-64 tanh layer, a 64-unit cell and the heads, actor and critic
// separate, Discrete(2); 8 envs x 64 steps cut into sequences of 16 that start from stored states, 4 epochs x
// 4 minibatches of 2 whole segments, truncated BPTT, the clipped PPO loss and clipped Adam. Then act latency of
// 64 agents with a 64-unit LSTM or GRU, actor and critic separate or shared (goal: under 100 us per tick), and
// the GCs over 2000 ticks (none: acting allocates nothing). Prints medians and ratios; `--act` runs acting only.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { measure } from 'mitata';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { CpuPolicy, Discrete, createCpuTrainer, init, resolveNetworkSpec, resolvePPOConfig } from '../dist/index.js';

const OBS = 4, HIDDEN = 64, SIZE = 64, ACTIONS = 2, EPOCHS = 4, MINIBATCHES = 4;
const ENVS = 8, STEPS = 64, SEQUENCE = 16;
const ROWS = ENVS * STEPS;
const PER_MINIBATCH = ENVS / MINIBATCHES;

type Cell = 'lstm' | 'gru';

function randomBatch(cell: Cell) {
  const normal = () => { let s = 0; for (let i = 0; i < 6; i++) s += Math.random(); return s - 3; };
  const stateSize = 2 * (cell === 'lstm' ? 2 * SIZE : SIZE); // actor's and critic's cells
  return {
    numSteps: STEPS, numEnvs: ENVS,
    observations: Float32Array.from({ length: ROWS * OBS }, normal),
    actions: Int32Array.from({ length: ROWS }, () => (Math.random() < 0.5 ? 0 : 1)),
    logProbs: Float32Array.from({ length: ROWS }, () => Math.log(0.5) + 0.1 * normal()),
    values: Float32Array.from({ length: ROWS }, normal),
    advantages: Float32Array.from({ length: ROWS }, normal),
    returns: Float32Array.from({ length: ROWS }, normal),
    terminated: Uint8Array.from({ length: ROWS }, () => (Math.random() < 0.02 ? 1 : 0)),
    truncated: new Uint8Array(ROWS),
    hiddenStates: Float32Array.from({ length: (STEPS / SEQUENCE) * ENVS * stateSize }, () => 0.1 * normal()),
  };
}
type BenchBatch = ReturnType<typeof randomBatch>;

/** The same update in TF.js: dense + a tf.layers LSTM / GRU cell unrolled over each sequence, with resets. */
function tfTrainer(cell: Cell) {
  const dense = (i: number, o: number) => [tf.variable(tf.randomNormal([i, o], 0, 1 / Math.sqrt(i))), tf.variable(tf.zeros([o]))];
  const makeCell = () => {
    const c = cell === 'lstm' ? tf.layers.lstmCell({ units: SIZE }) : tf.layers.gruCell({ units: SIZE });
    c.build([null, HIDDEN]);
    return c;
  };
  const actor = { input: dense(OBS, HIDDEN), cell: makeCell(), head: dense(SIZE, ACTIONS) };
  const critic = { input: dense(OBS, HIDDEN), cell: makeCell(), head: dense(SIZE, 1) };
  const optimizer = tf.train.adam(2.5e-4, 0.9, 0.999, 1e-5);
  const S = cell === 'lstm' ? 2 * SIZE : SIZE;
  /** obs [T * B, OBS] time-major; states [sequences, B, 2 S] (actor's then critic's); keep [T, B, 1]. */
  const net = (p: typeof actor, which: number, obs: tf.Tensor2D, states: tf.Tensor3D, keep: tf.Tensor3D, B: number) => {
    const x = tf.tanh(tf.add(tf.matMul(obs, p.input[0]), p.input[1])) as tf.Tensor2D;
    const outs: tf.Tensor[] = [];
    let h: tf.Tensor2D = tf.zeros([B, SIZE]);
    let c: tf.Tensor2D = tf.zeros([B, SIZE]);
    for (let t = 0; t < STEPS; t++) {
      if (t % SEQUENCE === 0) {
        const s = states.slice([t / SEQUENCE, 0, which * S], [1, B, S]).reshape([B, S]) as tf.Tensor2D;
        h = s.slice([0, 0], [B, SIZE]);
        if (cell === 'lstm') c = s.slice([0, SIZE], [B, SIZE]);
      } else {
        const k = keep.slice([t - 1, 0, 0], [1, B, 1]).reshape([B, 1]);
        h = tf.mul(h, k);
        c = tf.mul(c, k);
      }
      const xt = x.slice([t * B, 0], [B, HIDDEN]);
      const out = p.cell.call(cell === 'lstm' ? [xt, h, c] : [xt, h], {}) as tf.Tensor2D[];
      h = out[1];
      if (cell === 'lstm') c = out[2];
      outs.push(h);
    }
    return tf.add(tf.matMul(tf.concat(outs, 0), p.head[0]), p.head[1]) as tf.Tensor2D;
  };
  return (batch: BenchBatch) => {
    let last = 0;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      const order = tf.util.createShuffledIndices(ENVS);
      for (let k = 0; k < MINIBATCHES; k++) {
        tf.tidy(() => {
          const segments = Array.from(order.subarray(k * PER_MINIBATCH, (k + 1) * PER_MINIBATCH));
          const B = segments.length;
          const rows = Int32Array.from({ length: STEPS * B }, (_, i) => Math.floor(i / B) * ENVS + segments[i % B]);
          const idx = tf.tensor1d(rows, 'int32');
          const pick = (a: Float32Array) => tf.gather(tf.tensor1d(a), idx);
          const obs = tf.gather(tf.tensor2d(batch.observations, [ROWS, OBS]), idx) as tf.Tensor2D;
          const act = tf.gather(tf.tensor1d(batch.actions, 'int32'), idx);
          const oldLogp = pick(batch.logProbs), oldV = pick(batch.values), ret = pick(batch.returns);
          const keep = tf.tensor3d(Float32Array.from(rows, (r) => 1 - batch.terminated[r]), [STEPS, B, 1]);
          const full = tf.tensor3d(batch.hiddenStates, [STEPS / SEQUENCE, ENVS, 2 * S]);
          const states = tf.gather(full, tf.tensor1d(Int32Array.from(segments), 'int32'), 1) as tf.Tensor3D;
          let adv = pick(batch.advantages);
          const m = rows.length;
          const { mean, variance } = tf.moments(adv);
          adv = tf.div(tf.sub(adv, mean), tf.add(tf.sqrt(tf.mul(variance, m / (m - 1))), 1e-8));
          const { value, grads } = tf.variableGrads(() => {
            const logits = net(actor, 0, obs, states, keep, B);
            const logProbs = tf.logSoftmax(logits);
            const logp = tf.sum(tf.mul(logProbs, tf.oneHot(act, ACTIONS)), 1);
            const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1));
            const ratio = tf.exp(tf.sub(logp, oldLogp));
            const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 0.8, 1.2), adv));
            const v = tf.reshape(net(critic, 1, obs, states, keep, B), [m]);
            const vClipped = tf.add(oldV, tf.clipByValue(tf.sub(v, oldV), -0.2, 0.2));
            const vLoss = tf.mean(tf.maximum(tf.square(tf.sub(v, ret)), tf.square(tf.sub(vClipped, ret))));
            return tf.add(tf.sub(tf.neg(tf.mean(surrogate)), tf.mul(0.01, tf.mean(entropy))), tf.mul(0.5, vLoss)) as tf.Scalar;
          });
          const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
          const scale = tf.minimum(1, tf.div(0.5, tf.add(norm, 1e-6)));
          const clipped: Record<string, tf.Tensor> = {};
          for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
          optimizer.applyGradients(clipped as unknown as Parameters<typeof optimizer.applyGradients>[0]); // tfjs types want Variables; gradients are Tensors keyed by variable name
          if (epoch === EPOCHS - 1 && k === MINIBATCHES - 1) last = value.dataSync()[0]; // one readback per update
        });
      }
    }
    return last;
  };
}

const fmt = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`);

async function main() {
  await init();
  const require = createRequire(import.meta.url);
  setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  if (!(await tf.setBackend('wasm')) || tf.getBackend() !== 'wasm') throw new Error('tfjs wasm backend did not initialize');
  const ppo = resolvePPOConfig({ numEpochs: EPOCHS, numMinibatches: MINIBATCHES });
  // `--act`: only the acting table (the update comparison takes minutes).
  const updates = !process.argv.includes('--act');
  console.log(`Medians (p50). Recurrent PPO update: ${ENVS} envs x ${STEPS} steps, sequences of ${SEQUENCE}, ${EPOCHS} epochs x ${MINIBATCHES} minibatches of ${PER_MINIBATCH} segments, ${OBS}-${HIDDEN} tanh + ${SIZE}-unit cell, Discrete(${ACTIONS}):`);
  console.log('cell | webppo-cpu | tfjs-wasm  | ratio');
  for (const cell of updates ? ['lstm', 'gru'] as const : []) {
    const policy = { observationSize: OBS, actionSpace: Discrete(ACTIONS), network: resolveNetworkSpec({ hidden: [HIDDEN], memory: { cell, size: SIZE, sequenceLength: SEQUENCE } }) };
    const batch = randomBatch(cell);
    const trainer = createCpuTrainer({ policy, ppo, seed: 1 });
    const ours = (await measure(async () => { await trainer.update(batch); })).p50;
    trainer.dispose();
    const update = tfTrainer(cell);
    const peer = (await measure(() => update(batch), { min_samples: 2, max_samples: 5 })).p50;
    console.log(`${cell.padEnd(4)} | ${fmt(ours).padEnd(10)} | ${fmt(peer).padEnd(10)} | ${(peer / ours).toFixed(1)}x`);
  }

  // Acting: 64 agents, one step each, for both cells with the actor and critic each owning a cell (two cells per
  // tick) and sharing one (one cell). Each cell's step is two [64, 64] x [64, G*64] products (input and hidden);
  // GFLOP/s counts every multiply-add of the tick, the dense layers and heads included.
  const agents = 64;
  console.log(`\nact + resetStates, ${agents} agents, ${OBS}-${HIDDEN} tanh + ${SIZE}-unit cell, Discrete(${ACTIONS}) (goal < 100 us):`);
  console.log('cell | network  | cells | p50       | p99       | GFLOP/s | GCs in 2000 ticks');
  for (const cell of ['lstm', 'gru'] as const) {
    for (const shared of [false, true]) {
      const policy = { observationSize: OBS, actionSpace: Discrete(ACTIONS), network: resolveNetworkSpec({ hidden: [HIDDEN], shared, memory: { cell, size: SIZE } }) };
      const cpu = new CpuPolicy(policy, { seed: 1, maxAgents: agents });
      const obs = Float32Array.from({ length: agents * OBS }, () => Math.random() - 0.5);
      const out = { actions: new Int32Array(agents), logProbs: new Float32Array(agents), values: new Float32Array(agents) };
      const done = new Uint8Array(agents);
      cpu.act(obs, out);
      const stats = await measure(() => { cpu.act(obs, out); cpu.resetStates(done); });
      // Zero allocation: no garbage collection over many ticks after warm-up.
      let collections = 0;
      const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
      observer.observe({ entryTypes: ['gc'] });
      const ticks = 2_000;
      for (let i = 0; i < ticks; i++) { cpu.act(obs, out); cpu.resetStates(done); }
      await new Promise((resolve) => setTimeout(resolve, 50));
      observer.disconnect();
      const cells = shared ? 1 : 2;
      const G = cell === 'lstm' ? 4 : 3;
      const macs = agents * (cells * (OBS * HIDDEN + (HIDDEN + SIZE) * G * SIZE) + SIZE * (ACTIONS + 1));
      console.log(`${cell.padEnd(4)} | ${(shared ? 'shared' : 'separate').padEnd(8)} | ${cells}     | ${fmt(stats.p50).padEnd(9)} | ${fmt(stats.p99).padEnd(9)} | ${(2 * macs / stats.p50).toFixed(1).padEnd(7)} | ${collections}`);
      cpu.dispose();
    }
  }
}

await main();
