// The peer for bench/e2e.bench.ts: the same CartPole PPO loop (CleanRL settings: separate 64-64 tanh actor
// and critic, Adam 2.5e-4 eps 1e-5, clip 0.2 with value clipping, entropy 0.01, grad-norm clip 0.5, GAE 0.99 /
// 0.95, 4 epochs x 4 shuffled minibatches) with the network, sampling and update in TF.js on its wasm backend.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import type { VectorEnv } from '../../dist/index.js';

export async function useTfWasm(): Promise<void> {
  const require = createRequire(import.meta.url);
  setWasmPaths(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm').replace(/tfjs-backend-wasm\.wasm$/, ''));
  await tf.setBackend('wasm');
}

function mlp(sizes: number[], gains: number[]): tf.Variable[] {
  const vars: tf.Variable[] = [];
  for (let i = 0; i < sizes.length - 1; i++) {
    vars.push(tf.variable(tf.initializers.orthogonal({ gain: gains[i] }).apply([sizes[i], sizes[i + 1]]) as tf.Tensor2D));
    vars.push(tf.variable(tf.zeros([sizes[i + 1]])));
  }
  return vars;
}

function forward(vars: tf.Variable[], x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  for (let i = 0; i < vars.length; i += 2) {
    h = tf.add(tf.matMul(h, vars[i] as tf.Tensor2D), vars[i + 1]) as tf.Tensor2D;
    if (i + 2 < vars.length) h = tf.tanh(h);
  }
  return h;
}

export class TfPPO {
  readonly actor = mlp([4, 64, 64, 2], [Math.SQRT2, Math.SQRT2, 0.01]);
  readonly critic = mlp([4, 64, 64, 1], [Math.SQRT2, Math.SQRT2, 1]);
  readonly optimizer = tf.train.adam(2.5e-4, 0.9, 0.999, 1e-5);
  private observation: Float32Array;
  private readonly T = 128;
  private readonly N: number;

  constructor(private readonly env: VectorEnv) {
    this.N = env.numEnvs;
    this.observation = Float32Array.from(env.reset({ seed: 1 }).observation);
  }

  /** One rollout of T x N steps and one update; returns the steps taken. */
  iteration(): number {
    const { T, N } = this;
    const rows = T * N;
    const obs = new Float32Array(rows * 4), actions = new Int32Array(rows), logp = new Float32Array(rows);
    const values = new Float32Array(rows), rewards = new Float32Array(rows), dones = new Uint8Array(rows);
    for (let t = 0; t < T; t++) {
      const [logits, v] = tf.tidy(() => {
        const x = tf.tensor2d(this.observation, [N, 4]);
        return [tf.logSoftmax(forward(this.actor, x)).dataSync(), forward(this.critic, x).dataSync()];
      });
      obs.set(this.observation, t * N * 4);
      for (let e = 0; e < N; e++) {
        const p0 = Math.exp(logits[e * 2]);
        const a = Math.random() < p0 ? 0 : 1;
        actions[t * N + e] = a;
        logp[t * N + e] = logits[e * 2 + a];
        values[t * N + e] = v[e];
      }
      const out = this.env.step(actions.subarray(t * N, t * N + N));
      rewards.set(out.reward, t * N);
      for (let e = 0; e < N; e++) dones[t * N + e] = out.terminated[e] | out.truncated[e];
      this.observation.set(out.observation);
    }
    const last = tf.tidy(() => forward(this.critic, tf.tensor2d(this.observation, [N, 4])).dataSync());
    const adv = new Float32Array(rows), ret = new Float32Array(rows);
    const running = new Float32Array(N);
    for (let t = T - 1; t >= 0; t--) {
      for (let e = 0; e < N; e++) {
        const i = t * N + e;
        const next = t === T - 1 ? last[e] : values[i + N];
        const notDone = 1 - dones[i];
        const delta = rewards[i] + 0.99 * next * notDone - values[i];
        running[e] = delta + 0.99 * 0.95 * notDone * running[e];
        adv[i] = running[e];
        ret[i] = adv[i] + values[i];
      }
    }
    const order = Array.from({ length: rows }, (_, i) => i);
    const mb = rows / 4;
    const vars = [...this.actor, ...this.critic];
    for (let epoch = 0; epoch < 4; epoch++) {
      for (let i = rows - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      for (let k = 0; k < 4; k++) {
        const idx = tf.tensor1d(order.slice(k * mb, (k + 1) * mb), 'int32');
        tf.tidy(() => {
          const x = tf.gather(tf.tensor2d(obs, [rows, 4]), idx) as tf.Tensor2D;
          const a = tf.gather(tf.tensor1d(actions, 'int32'), idx);
          const oldLogp = tf.gather(tf.tensor1d(logp), idx);
          const oldV = tf.gather(tf.tensor1d(values), idx);
          const R = tf.gather(tf.tensor1d(ret), idx);
          let A = tf.gather(tf.tensor1d(adv), idx);
          const { mean, variance } = tf.moments(A);
          A = tf.div(tf.sub(A, mean), tf.add(tf.sqrt(tf.mul(variance, mb / (mb - 1))), 1e-8));
          const { grads } = tf.variableGrads(() => {
            const lp = tf.logSoftmax(forward(this.actor, x));
            const newLogp = tf.sum(tf.mul(lp, tf.oneHot(a, 2)), 1);
            const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), 1)));
            const ratio = tf.exp(tf.sub(newLogp, oldLogp));
            const pg = tf.mean(tf.maximum(tf.neg(tf.mul(A, ratio)), tf.neg(tf.mul(A, tf.clipByValue(ratio, 0.8, 1.2)))));
            const v = tf.squeeze(forward(this.critic, x), [1]);
            const vClipped = tf.add(oldV, tf.clipByValue(tf.sub(v, oldV), -0.2, 0.2));
            const vLoss = tf.mul(0.5, tf.mean(tf.maximum(tf.square(tf.sub(v, R)), tf.square(tf.sub(vClipped, R)))));
            return tf.add(tf.sub(pg, tf.mul(0.01, entropy)), tf.mul(0.5, vLoss)) as tf.Scalar;
          }, vars);
          const norm = Math.sqrt(Object.values(grads).reduce((s, g) => s + (tf.sum(tf.square(g)).dataSync()[0]), 0));
          const scale = Math.min(1, 0.5 / (norm + 1e-6));
          const clipped: Record<string, tf.Tensor> = {};
          for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
          this.optimizer.applyGradients(clipped as unknown as Parameters<typeof this.optimizer.applyGradients>[0]); // tfjs types want Variables; gradients are Tensors keyed by variable name
        });
        idx.dispose();
      }
    }
    return rows;
  }
}
