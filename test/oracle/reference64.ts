// A plain float64 JS forward pass and PPO loss, written apart from the TF.js oracle and sharing none of its
// code, so that oracle.test.ts can check the oracle's values and (by finite differences) its gradients.
import type { Batch } from '../../src/backend/trainer.js';
import { clipRange, valueClipRange, type PPOConfig } from '../../src/config.js';
import { networkLayout, type PolicySpec } from '../../src/policy/network.js';
import { logitCount } from '../../src/spaces.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export interface Reference64 {
  loss_objective: number;
  loss_critic: number;
  loss_entropy: number;
  logp: Float64Array;
  value: Float64Array;
  entropy: Float64Array;
}

/** Per-row log-probs, values and entropies of the batch under params, in float64. */
export function evaluate64(policy: PolicySpec, samplesMcEntropy: number, params: Float64Array, batch: Batch) {
  const layout = networkLayout(policy);
  const rows = batch.numSteps * batch.numEnvs;
  const act = policy.network.activation === 'tanh' ? Math.tanh : (x: number) => Math.max(0, x);
  const space = policy.actionSpace;
  const logp = new Float64Array(rows);
  const value = new Float64Array(rows);
  const entropy = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const obs = Array.from(batch.observations.subarray(row * policy.observationSize, (row + 1) * policy.observationSize));
    const outputs: Record<string, number[]> = { trunk: obs, actor: obs, critic: obs };
    let trunkDone = false;
    for (const layer of layout.layers) {
      if (layer.role !== 'trunk' && !trunkDone) {
        outputs.actor = outputs.critic = outputs.trunk;
        trunkDone = true;
      }
      const x = outputs[layer.role];
      const y: number[] = [];
      for (let o = 0; o < layer.outputs; o++) {
        let s = params[layer.biasOffset + o];
        for (let i = 0; i < layer.inputs; i++) s += params[layer.weightOffset + o * layer.inputs + i] * x[i];
        y.push(layer.activated ? act(s) : s);
      }
      outputs[layer.role] = y;
    }
    value[row] = outputs.critic[0];
    const out = outputs.actor;
    if (space.kind !== 'box') {
      const nvec = space.kind === 'discrete' ? [space.n] : space.nvec;
      const L = logitCount(space);
      let base = 0;
      nvec.forEach((n, b) => {
        const allowed = (k: number) => !batch.masks || batch.masks[row * L + base + k] === 1;
        let max = -Infinity;
        for (let k = 0; k < n; k++) if (allowed(k)) max = Math.max(max, out[base + k]);
        let sum = 0;
        for (let k = 0; k < n; k++) if (allowed(k)) sum += Math.exp(out[base + k] - max);
        const lse = max + Math.log(sum);
        const a = batch.actions[row * nvec.length + b];
        logp[row] += out[base + a] - lse;
        for (let k = 0; k < n; k++) {
          if (!allowed(k)) continue;
          const lp = out[base + k] - lse;
          entropy[row] -= Math.exp(lp) * lp;
        }
        base += n;
      });
    } else {
      const D = space.size;
      const logStd = Array.from({ length: D }, (_, d) => params[layout.logStdOffset + d]);
      const normal = (u: number[]) => u.reduce((s, ud, d) => s - 0.5 * ((ud - out[d]) / Math.exp(logStd[d])) ** 2 - logStd[d] - HALF_LOG_2PI, 0);
      const u = Array.from(batch.actions.subarray(row * D, (row + 1) * D));
      if (policy.network.distribution === 'normal') {
        logp[row] = normal(u);
        entropy[row] = logStd.reduce((s, ls) => s + 0.5 + HALF_LOG_2PI + ls, 0);
      } else {
        const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
        const squashed = (v: number[]) => normal(v) - v.reduce((s, vd, d) => s + 2 * (Math.LN2 - vd - softplus(-2 * vd)) + Math.log((space.high[d] - space.low[d]) / 2), 0);
        logp[row] = squashed(u);
        const K = samplesMcEntropy;
        let h = 0;
        for (let k = 0; k < K; k++) {
          const sample = Array.from({ length: D }, (_, d) => out[d] + Math.exp(logStd[d]) * batch.entropyNoise![(k * rows + row) * D + d]);
          h -= squashed(sample) / K;
        }
        entropy[row] = h;
      }
    }
  }
  return { logp, value, entropy };
}

/** The loss terms of trainer.ts with the given (final: recomputed, normalized, weighted) advantages. */
export function loss64(policy: PolicySpec, ppo: PPOConfig, params: Float64Array, batch: Batch, advantages: Float64Array): Reference64 {
  const { logp, value, entropy } = evaluate64(policy, ppo.samplesMcEntropy, params, batch);
  const rows = logp.length;
  const [low, high] = clipRange(ppo);
  const c = valueClipRange(ppo);
  const L = (d: number) => (ppo.lossCriticType === 'l1' ? Math.abs(d) : ppo.lossCriticType === 'l2' ? d * d : Math.abs(d) < 1 ? 0.5 * d * d : Math.abs(d) - 0.5);
  let surrogate = 0, critic = 0, h = 0;
  for (let i = 0; i < rows; i++) {
    const r = Math.exp(logp[i] - batch.logProbs[i]);
    const A = advantages[i];
    surrogate += Math.min(r * A, Math.min(Math.max(r, 1 - low), 1 + high) * A);
    const d = value[i] - batch.returns[i];
    let lc = L(d);
    if (c > 0) {
      const vOld = batch.values[i];
      lc = Math.max(lc, L(vOld + Math.min(Math.max(value[i] - vOld, -c), c) - batch.returns[i]));
    }
    critic += lc;
    h += entropy[i];
  }
  const reduce = (s: number) => (ppo.reduction === 'sum' ? s : s / rows);
  return {
    loss_objective: -reduce(surrogate),
    loss_critic: ppo.criticCoef * reduce(critic),
    loss_entropy: ppo.entropyBonus ? -ppo.entropyCoef * reduce(h) : 0,
    logp, value, entropy,
  };
}

/** computeGradients' advantages at params: V-trace when the batch carries rewards, normalization, weights. */
export function advantages64(policy: PolicySpec, ppo: PPOConfig, params: Float64Array, batch: Batch): Float64Array {
  const T = batch.numSteps, N = batch.numEnvs;
  const normalize = (a: Float64Array) => {
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const std = a.length > 1 ? Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / (a.length - 1)) : 0;
    return a.map((x) => (x - mean) / (std + 1e-8));
  };
  let A = Float64Array.from(batch.advantages);
  if (ppo.normalizeAdvantage === 'batch') A = Float64Array.from(Float32Array.from(normalize(A)));
  if (batch.rewards) {
    const { logp } = evaluate64(policy, ppo.samplesMcEntropy, params, batch);
    A = new Float64Array(T * N);
    for (let e = 0; e < N; e++) {
      let carry = 0;
      for (let t = T - 1; t >= 0; t--) {
        const i = t * N + e;
        const ratio = Math.exp(Math.max(-10, Math.min(10, logp[i] - batch.logProbs[i])));
        let next: number;
        if (batch.terminated![i]) next = 0;
        else if (batch.truncated![i]) next = batch.bootstrapValues![i];
        else next = t + 1 < T ? batch.values[i + N] : batch.lastValues![e];
        const continues = batch.terminated![i] || batch.truncated![i] ? 0 : 1;
        carry = Math.min(ppo.vtrace.rhoClip, ratio) * (batch.rewards[i] + ppo.gamma * next - batch.values[i])
          + ppo.gamma * ppo.gaeLambda * Math.min(ppo.vtrace.cClip, ratio) * continues * carry;
        A[i] = carry;
      }
    }
  }
  // Whatever the loss uses is normalized: 'batch' advantages were above, unless V-trace replaced them.
  const mode = ppo.normalizeAdvantage;
  if (mode === true || mode === 'minibatch' || (mode === 'batch' && batch.rewards)) A = normalize(A);
  if (batch.weights) A = A.map((a, i) => a * batch.weights![i]);
  return A;
}
