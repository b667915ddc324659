// The gradient oracle: the Trainer math of src/backend/trainer.ts written a second time, independently of
// both backends, and differentiated by TF.js autodiff on its CPU backend (float32). Both backends'
// computeGradients and update are compared to it; test/oracle/oracle.test.ts checks it against a float64
// reference and finite differences.
//
// Choices the contract leaves open, made here so the backends can match them:
// - Advantages carry no gradient: the first-pass, V-trace, normalization and weighting arithmetic runs in
//   float64 on values read back from a no-gradient forward pass, and enters the loss as a constant.
// - Normalization applies to the advantages the loss uses (Metta's ppo.py: recompute with V-trace, then
//   normalize). 'batch' normalizes batch.advantages once over all rows; a minibatch that keeps them uses them
//   as they are, and one that recomputes them normalizes the recomputed ones over its rows, since no
//   batch-wide set of recomputed advantages exists.
// - oracleLoss recomputes V-trace whenever the batch carries rewards (its one minibatch is all segments).
// - A minibatch of segments is the sub-batch numSteps x k (row t * k + j is step t of the j-th segment of the
//   minibatch); a minibatch of rows is 1 x m. The tanh_normal entropy noise is gathered with its rows.
// - Recurrent networks: the batch's numSteps x numEnvs rows are numEnvs segments; each is cut into sequences
//   that start from batch.hiddenStates (constants) and reset where terminated or truncated (trainer.ts).
// - Loss stats are the reduced terms (sums under reduction 'sum'); grad_norm is the norm of the gradient
//   returned (with separateLosses, the trunk's part is that of loss_objective + loss_entropy).
import * as tf from '@tensorflow/tfjs';
import type { Batch, LossStats, MinibatchPlan, OptimizerState, UpdateStats } from '../../src/backend/trainer.js';
import { STAT_NAMES } from '../../src/backend/trainer.js';
import { clipRange, valueClipRange, type PPOConfig } from '../../src/config.js';
import { networkLayout, sequenceCount, sequenceLength, type MemoryEntry, type NetworkLayout, type PolicySpec } from '../../src/policy/network.js';
import { actionSize, logitCount } from '../../src/spaces.js';
import { oracleCellSequence } from './recurrent-oracle.js';

await tf.setBackend('cpu');

export function checkCpuBackend(): void {
  const backend = tf.getBackend();
  if (backend !== 'cpu') throw new Error(`oracle: the TF.js backend is '${backend}'; the oracle runs on 'cpu' (await tf.setBackend('cpu'))`);
}

const LOG_2PI = Math.log(2 * Math.PI);
/** Stands in for a masked logit: exp underflows to exactly 0 and, unlike -Infinity, 0 * it is 0. */
const MASKED_LOGIT = -1e30;

export interface AdamHyperparameters {
  learningRate: number;
  adamEps: number;
  weightDecay: number;
  maxGradNorm: number;
}

// ---------------------------------------------------------------------------------------------------------
// Network and distributions (TF.js, float32, differentiable in the flat parameter vector)

/** Passes values, blocks gradients: the critic's view of a shared trunk under separateLosses. */
const stopGradient = tf.customGrad((...inputs) => ({
  value: (inputs[0] as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

interface Rows {
  observations: tf.Tensor2D;
  /** int32 [m, branches] or float32 [m, dims] */
  actions: tf.Tensor2D;
  masks?: tf.Tensor2D;
  /** [K, m, dims] */
  noise?: tf.Tensor3D;
  m: number;
  /**
   * Recurrent networks: the rows as numEnvs segments of numSteps steps. Without states, each segment starts
   * from zero and carries its state across sequence starts with the gradient stopped (oracleCellSequence's 'carry').
   */
  sequences?: { steps: number; columns: number; length: number; resets: Uint8Array; states?: Float32Array; stateSize: number };
}

export function forward(policy: PolicySpec, layout: NetworkLayout, flat: tf.Tensor1D, obs: tf.Tensor2D, detachCritic: boolean, sequences?: Rows['sequences']) {
  const activation = policy.network.activation === 'tanh' ? tf.tanh : tf.relu;
  const memory = (role: string): MemoryEntry | undefined => layout.memories.find((entry) => entry.role === role);
  const cell = (entry: MemoryEntry, x: tf.Tensor2D): tf.Tensor2D => {
    if (!sequences) throw new Error('oracle: a recurrent network needs the rows as sequences');
    const { steps, columns: B, length, resets, states, stateSize } = sequences;
    const initial = (s: number): tf.Tensor2D | 'carry' => (states === undefined ? 'carry' : tf.tensor2d(Float32Array.from({ length: B * entry.stateSize }, (_, i) => {
      const e = Math.floor(i / entry.stateSize);
      return states[(s * B + e) * stateSize + entry.stateOffset + (i % entry.stateSize)];
    }), [B, entry.stateSize]));
    return oracleCellSequence(entry, flat, x, steps, B, initial, resets, length);
  };
  /** A stack: its hidden layers, its cell (if any), its head (if any). */
  const stack = (role: string, input: tf.Tensor2D): tf.Tensor2D => {
    let x = input;
    const entry = memory(role);
    for (const layer of layout.layers) {
      if (layer.role !== role) continue;
      if (entry && !layer.activated) x = cell(entry, x);
      x = dense(x, layer);
    }
    if (entry && role === 'trunk') x = cell(entry, x);
    return x;
  };
  const dense = (x: tf.Tensor2D, layer: NetworkLayout['layers'][number]): tf.Tensor2D => {
    const w = flat.slice(layer.weightOffset, layer.outputs * layer.inputs).reshape([layer.outputs, layer.inputs]) as tf.Tensor2D;
    const b = flat.slice(layer.biasOffset, layer.outputs);
    const y = tf.add(tf.matMul(x, w, false, true), b) as tf.Tensor2D;
    return layer.activated ? activation(y) : y;
  };
  const trunk = stack('trunk', obs);
  const actor = stack('actor', trunk);
  const critic = stack('critic', detachCritic ? (stopGradient(trunk) as tf.Tensor2D) : trunk);
  const logStd = layout.logStdOffset >= 0 ? flat.slice(layout.logStdOffset, layout.size - layout.logStdOffset) : undefined;
  return { actor, value: critic.reshape([-1]) as tf.Tensor1D, logStd };
}

/** Per-row log-prob of the batch's actions and entropy ([m] each). */
export function distribution(policy: PolicySpec, actor: tf.Tensor2D, logStd: tf.Tensor1D | undefined, rows: Rows, samplesMcEntropy: number) {
  const space = policy.actionSpace;
  const m = rows.m;
  if (space.kind !== 'box') {
    const nvec = space.kind === 'discrete' ? [space.n] : space.nvec;
    let logp: tf.Tensor1D = tf.zeros([m]);
    let entropy: tf.Tensor1D = tf.zeros([m]);
    let base = 0;
    nvec.forEach((n, b) => {
      let z = actor.slice([0, base], [m, n]);
      const allowed = rows.masks?.slice([0, base], [m, n]);
      if (allowed) z = tf.where(allowed, z, tf.fill([m, n], MASKED_LOGIT));
      const logSoftmax = tf.logSoftmax(z);
      const action = rows.actions.slice([0, b], [m, 1]).reshape([m]) as tf.Tensor1D;
      const oneHot = tf.oneHot(action, n).toFloat();
      logp = tf.add(logp, tf.sum(tf.mul(logSoftmax, oneHot), 1));
      let pLogP = tf.mul(tf.exp(logSoftmax), logSoftmax);
      if (allowed) pLogP = tf.where(allowed, pLogP, tf.zerosLike(pLogP));
      entropy = tf.sub(entropy, tf.sum(pLogP, 1));
      base += n;
    });
    return { logp, entropy };
  }
  const ls = logStd!;
  const normalLogp = (u: tf.Tensor, mu: tf.Tensor): tf.Tensor => {
    const z = tf.div(tf.sub(u, mu), tf.exp(ls));
    return tf.sum(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), ls), 0.5 * LOG_2PI), -1);
  };
  if (policy.network.distribution === 'normal') {
    const logp = normalLogp(rows.actions, actor) as tf.Tensor1D;
    const entropy = tf.add(tf.zeros([m]), tf.sum(tf.add(ls, 0.5 + 0.5 * LOG_2PI))) as tf.Tensor1D;
    return { logp, entropy };
  }
  const logScale = tf.tensor1d(Array.from(space.low, (low, d) => Math.log((space.high[d] - low) / 2)));
  // logp of pre-squash u: the Gaussian's, minus log|d tanh/du| = 2 (log 2 - u - softplus(-2u)), minus log scale.
  const tanhLogp = (u: tf.Tensor, mu: tf.Tensor): tf.Tensor => {
    const logDet = tf.add(tf.mul(2, tf.sub(tf.sub(Math.LN2, u), tf.softplus(tf.mul(-2, u)))), logScale);
    return tf.sub(normalLogp(u, mu), tf.sum(logDet, -1));
  };
  const logp = tanhLogp(rows.actions, actor) as tf.Tensor1D;
  if (!rows.noise) return { logp, entropy: undefined };
  if (rows.noise.shape[0] !== samplesMcEntropy) throw new Error(`oracle: entropyNoise has ${rows.noise.shape[0]} samples, samplesMcEntropy is ${samplesMcEntropy}`);
  const mu = actor.expandDims(0);
  const samples = tf.add(mu, tf.mul(tf.exp(ls), rows.noise)); // reparameterized: gradients reach mu and sigma
  const entropy = tf.neg(tf.mean(tanhLogp(samples, mu), 0)) as tf.Tensor1D;
  return { logp, entropy };
}

export function toRows(policy: PolicySpec, batch: Batch, samplesMcEntropy: number): Rows {
  const m = batch.numSteps * batch.numEnvs;
  const space = policy.actionSpace;
  const perRow = actionSize(space);
  const memory = policy.network.memory;
  const sequences = memory && {
    steps: batch.numSteps, columns: batch.numEnvs, length: sequenceLength(batch.numSteps, memory),
    resets: Uint8Array.from(batch.terminated!, (t, i) => t | batch.truncated![i]),
    states: batch.hiddenStates!, stateSize: networkLayout(policy).stateSize,
  };
  return {
    sequences,
    m,
    observations: tf.tensor2d(batch.observations, [m, policy.observationSize]),
    actions: space.kind === 'box'
      ? tf.tensor2d(batch.actions as Float32Array, [m, perRow])
      : tf.tensor2d(batch.actions as Int32Array, [m, perRow], 'int32'),
    masks: batch.masks && space.kind !== 'box' ? tf.tensor2d(batch.masks, [m, logitCount(space)], 'bool') : undefined,
    noise: batch.entropyNoise && space.kind === 'box' && policy.network.distribution === 'tanh_normal'
      ? tf.tensor3d(batch.entropyNoise, [samplesMcEntropy, m, space.size])
      : undefined,
  };
}

/** The policy's view of a batch, no gradient: actor outputs (logits or means), values, log-probs, entropies. */
export function oracleEvaluate(policy: PolicySpec, params: Float32Array, batch: Pick<Batch, 'numSteps' | 'numEnvs' | 'observations' | 'actions' | 'masks' | 'entropyNoise'>, samplesMcEntropy = 1) {
  checkCpuBackend();
  const layout = networkLayout(policy);
  return tf.tidy(() => {
    const rows = toRows(policy, batch as Batch, samplesMcEntropy);
    const net = forward(policy, layout, tf.tensor1d(params), rows.observations, false, rows.sequences);
    const dist = distribution(policy, net.actor, net.logStd, rows, samplesMcEntropy);
    return {
      actorOutputs: net.actor.dataSync().slice() as Float32Array,
      values: net.value.dataSync().slice() as Float32Array,
      logProbs: dist.logp.dataSync().slice() as Float32Array,
      /** Absent for tanh_normal without batch.entropyNoise. */
      entropy: dist.entropy?.dataSync().slice() as Float32Array | undefined,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Advantages (float64, no gradient)

/** V-trace advantages over the batch's numEnvs segments, from the current log-probs. */
export function vtraceAdvantages(ppo: PPOConfig, batch: Batch, logProbsNew: ArrayLike<number>): Float64Array {
  const T = batch.numSteps;
  const N = batch.numEnvs;
  const { rewards, terminated, truncated, bootstrapValues, lastValues, values, logProbs } = batch;
  if (!rewards || !terminated || !truncated || !bootstrapValues || !lastValues) throw new Error('oracle: V-trace needs rewards, terminated, truncated, bootstrapValues, lastValues');
  const { rhoClip, cClip } = ppo.vtrace;
  const out = new Float64Array(T * N);
  for (let e = 0; e < N; e++) {
    let following = 0;
    for (let t = T - 1; t >= 0; t--) {
      const row = t * N + e;
      const ratio = Math.exp(Math.min(10, Math.max(-10, logProbsNew[row] - logProbs[row])));
      const next = terminated[row] ? 0 : truncated[row] ? bootstrapValues[row] : t < T - 1 ? values[row + N] : lastValues[e];
      const delta = Math.min(rhoClip, ratio) * (rewards[row] + ppo.gamma * next - values[row]);
      const done = terminated[row] || truncated[row] ? 1 : 0;
      following = delta + ppo.gamma * ppo.gaeLambda * Math.min(cClip, ratio) * (1 - done) * following;
      out[row] = following;
    }
  }
  return out;
}

/** (A - mean) / (std + 1e-8), std unbiased (0 for a single value). */
export function normalizeAdvantages(a: ArrayLike<number>): Float64Array {
  const n = a.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i] - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return Float64Array.from(a, (x) => (x - mean) / (std + 1e-8));
}

// ---------------------------------------------------------------------------------------------------------
// Loss and gradients of one minibatch

/**
 * Loss, gradient and stats of one minibatch given as a batch; for 'batch' normalization the caller has
 * normalized batch.advantages over the whole batch already.
 */
function minibatchGradients(policy: PolicySpec, ppo: PPOConfig, params: Float32Array, batch: Batch): { grads: Float32Array; stats: LossStats } {
  const layout = networkLayout(policy);
  if (params.length !== layout.size) throw new Error(`oracle: params has ${params.length} entries, the layout ${layout.size}`);
  const K = ppo.samplesMcEntropy;
  const detachCritic = policy.network.shared && ppo.separateLosses;
  const [clipLow, clipHigh] = clipRange(ppo);
  const valueClip = valueClipRange(ppo);

  // Pass 1, no gradient: the current log-probs, values and entropies.
  const now = oracleEvaluate(policy, params, batch, K);
  const logpNew = now.logProbs;
  const valueNew = now.values;
  const entropyNew = now.entropy;
  if (!entropyNew) throw new Error('oracle: batch.entropyNoise is required for a tanh_normal policy');

  const recomputed = batch.rewards !== undefined;
  let advantages: Float64Array = recomputed ? vtraceAdvantages(ppo, batch, logpNew) : Float64Array.from(batch.advantages);
  // The loss sees normalized advantages whenever normalization is on, except 'batch' advantages kept as given.
  const mode = ppo.normalizeAdvantage;
  if (mode !== false && (mode !== 'batch' || recomputed)) advantages = normalizeAdvantages(advantages);
  if (batch.weights) advantages = advantages.map((a, i) => a * batch.weights![i]);

  // Pass 2: the loss, differentiated in the flat parameter vector.
  const terms = { objective: 0, critic: 0, entropy: 0 };
  const grads = tf.tidy(() => {
    const rows = toRows(policy, batch, K);
    const A = tf.tensor1d(Float32Array.from(advantages));
    const logpOld = tf.tensor1d(batch.logProbs);
    const vOld = tf.tensor1d(batch.values);
    const R = tf.tensor1d(batch.returns);
    const reduce = (x: tf.Tensor): tf.Scalar => (ppo.reduction === 'sum' ? tf.sum(x) : tf.mean(x));
    const criticLoss = (d: tf.Tensor): tf.Tensor => {
      switch (ppo.lossCriticType) {
        case 'l1': return tf.abs(d);
        case 'l2': return tf.square(d);
        case 'smooth_l1': {
          // |d| < 1 ? 0.5 d^2 : |d| - 0.5, written without a branch so autodiff needs no comparison op.
          const inner = tf.minimum(tf.abs(d), 1);
          return tf.add(tf.mul(0.5, tf.square(inner)), tf.sub(tf.abs(d), inner));
        }
      }
    };
    const loss = (flat: tf.Tensor): tf.Scalar => {
      const net = forward(policy, layout, flat as tf.Tensor1D, rows.observations, detachCritic, rows.sequences);
      const { logp, entropy } = distribution(policy, net.actor, net.logStd, rows, K);
      if (!entropy) throw new Error('oracle: no entropy');
      const ratio = tf.exp(tf.sub(logp, logpOld));
      const surrogate = tf.minimum(tf.mul(ratio, A), tf.mul(tf.clipByValue(ratio, 1 - clipLow, 1 + clipHigh), A));
      const objective = tf.neg(reduce(surrogate));
      let lc = criticLoss(tf.sub(net.value, R));
      if (valueClip > 0) {
        const clipped = tf.add(vOld, tf.clipByValue(tf.sub(net.value, vOld), -valueClip, valueClip));
        lc = tf.maximum(lc, criticLoss(tf.sub(clipped, R)));
      }
      const critic = tf.mul(ppo.criticCoef, reduce(lc));
      const entropyLoss = ppo.entropyBonus ? tf.mul(-ppo.entropyCoef, reduce(entropy)) : tf.scalar(0);
      terms.objective = objective.dataSync()[0];
      terms.critic = critic.dataSync()[0];
      terms.entropy = entropyLoss.dataSync()[0];
      return tf.addN([objective, critic, entropyLoss]) as tf.Scalar;
    };
    return tf.grad(loss)(tf.tensor1d(params)).dataSync().slice() as Float32Array;
  });

  let gradSq = 0;
  for (let i = 0; i < grads.length; i++) gradSq += grads[i] * grads[i];
  const stats = rowStats(batch, logpNew, valueNew, entropyNew, clipLow, clipHigh);
  return {
    grads,
    stats: { loss_objective: terms.objective, loss_critic: terms.critic, loss_entropy: terms.entropy, ...stats, grad_norm: Math.sqrt(gradSq) },
  };
}

/** The plain-mean stats of trainer.ts, in float64 from the current log-probs, values and entropies. */
function rowStats(batch: Batch, logpNew: Float32Array, valueNew: Float32Array, entropyNew: Float32Array, clipLow: number, clipHigh: number) {
  const m = logpNew.length;
  let entropy = 0, clipped = 0, kl = 0, approxKl = 0, sumR = 0, sumR2 = 0;
  for (let i = 0; i < m; i++) {
    const logRatio = logpNew[i] - batch.logProbs[i];
    const r = Math.exp(logRatio);
    entropy += entropyNew[i];
    if (r < 1 - clipLow || r > 1 + clipHigh) clipped++;
    kl += -logRatio;
    approxKl += r - 1 - logRatio;
    sumR += r;
    sumR2 += r * r;
  }
  return {
    entropy: entropy / m,
    clip_fraction: clipped / m,
    kl_approx: kl / m,
    approx_kl: approxKl / m,
    ess: (sumR * sumR) / sumR2 / m,
    explained_variance: explainedVariance(batch.returns, valueNew),
  };
}

function explainedVariance(returns: ArrayLike<number>, values: ArrayLike<number>): number {
  const n = returns.length;
  const variance = (f: (i: number) => number): number => {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += f(i);
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (f(i) - mean) ** 2;
    return ss / n;
  };
  const varR = variance((i) => returns[i]);
  return varR === 0 ? 0 : 1 - variance((i) => returns[i] - values[i]) / varR;
}

/** Trainer.computeGradients: the gradient of the total loss with the batch as one minibatch, and its stats. */
export function oracleLoss(policy: PolicySpec, ppo: PPOConfig, params: Float32Array, batch: Batch): { grads: Float32Array; stats: LossStats } {
  if (ppo.normalizeAdvantage === 'batch') {
    return minibatchGradients(policy, ppo, params, { ...batch, advantages: Float32Array.from(normalizeAdvantages(batch.advantages)) });
  }
  return minibatchGradients(policy, ppo, params, batch);
}

// ---------------------------------------------------------------------------------------------------------
// Optimizer and whole updates

/** One optimizer step of trainer.ts (global-norm clip, decoupled weight decay, Adam), in float64. */
export function oracleAdamStep(params: Float32Array, grads: Float32Array, state: OptimizerState, hp: AdamHyperparameters): OptimizerState & { params: Float32Array } {
  const n = params.length;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += grads[i] * grads[i];
  const scale = Number.isFinite(hp.maxGradNorm) && hp.maxGradNorm > 0 ? Math.min(1, hp.maxGradNorm / (Math.sqrt(sq) + 1e-6)) : 1;
  const step = state.step + 1;
  const correction1 = 1 - 0.9 ** step;
  const correction2 = 1 - 0.999 ** step;
  const out = { params: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n), step };
  for (let i = 0; i < n; i++) {
    const g = grads[i] * scale;
    const m = 0.9 * state.m[i] + 0.1 * g;
    const v = 0.999 * state.v[i] + 0.001 * g * g;
    const theta = params[i] * (1 - hp.learningRate * hp.weightDecay);
    out.params[i] = theta - (hp.learningRate * (m / correction1)) / (Math.sqrt(v / correction2) + hp.adamEps);
    out.m[i] = m;
    out.v[i] = v;
  }
  return out;
}

/** The rows of a batch that a plan's minibatch uses, as a batch of its own (see the header for the shape). */
export function gatherMinibatch(policy: PolicySpec, ppo: PPOConfig, batch: Batch, plan: MinibatchPlan, epoch: number, minibatch: number): Batch {
  const k = plan.unitsPerMinibatch;
  const start = (epoch * plan.numMinibatches + minibatch) * k;
  const units = plan.indices.subarray(start, start + k);
  const unitWeights = plan.weights?.subarray(start, start + k);
  const T = batch.numSteps;
  const N = batch.numEnvs;
  const segments = plan.unit === 'segments';
  const rows: number[] = [];
  const weights: number[] = [];
  if (segments) {
    for (let t = 0; t < T; t++) units.forEach((e, j) => { rows.push(t * N + e); weights.push(unitWeights ? unitWeights[j] : 1); });
  } else {
    units.forEach((row, j) => { rows.push(row); weights.push(unitWeights ? unitWeights[j] : 1); });
  }
  const pick = <A extends Float32Array | Int32Array | Uint8Array>(source: A, width = 1): A => {
    const out = new (source.constructor as { new (n: number): A })(rows.length * width);
    rows.forEach((row, i) => out.set(source.subarray(row * width, (row + 1) * width), i * width));
    return out;
  };
  const space = policy.actionSpace;
  const sub: Batch = {
    numSteps: segments ? T : 1,
    numEnvs: segments ? k : rows.length,
    observations: pick(batch.observations, policy.observationSize),
    actions: pick(batch.actions, actionSize(space)),
    logProbs: pick(batch.logProbs),
    values: pick(batch.values),
    advantages: pick(batch.advantages),
    returns: pick(batch.returns),
    weights: plan.weights ? Float32Array.from(weights) : undefined,
  };
  if (batch.masks) sub.masks = pick(batch.masks, logitCount(space));
  if (batch.entropyNoise && space.kind === 'box') {
    const K = ppo.samplesMcEntropy;
    const D = space.size;
    const noise = new Float32Array(K * rows.length * D);
    for (let s = 0; s < K; s++) {
      rows.forEach((row, i) => noise.set(batch.entropyNoise!.subarray((s * T * N + row) * D, (s * T * N + row + 1) * D), (s * rows.length + i) * D));
    }
    sub.entropyNoise = noise;
  }
  if (segments && batch.rewards) {
    sub.rewards = pick(batch.rewards);
    sub.bootstrapValues = pick(batch.bootstrapValues!);
    sub.lastValues = Float32Array.from(units, (e) => batch.lastValues![e]);
  }
  if (segments && batch.terminated) {
    sub.terminated = pick(batch.terminated);
    sub.truncated = pick(batch.truncated!);
  }
  const memory = policy.network.memory;
  if (memory) {
    if (!segments) throw new Error('oracle: a recurrent network trains on segments');
    const S = networkLayout(policy).stateSize;
    const sequences = sequenceCount(T, memory);
    const states = new Float32Array(sequences * k * S);
    for (let s = 0; s < sequences; s++) {
      units.forEach((e, j) => states.set(batch.hiddenStates!.subarray((s * N + e) * S, (s * N + e + 1) * S), (s * k + j) * S));
    }
    sub.hiddenStates = states;
  }
  return sub;
}

/** Trainer.update: every epoch and minibatch of the plan, one optimizer step each, targetKl early stop. */
export function oracleUpdate(policy: PolicySpec, ppo: PPOConfig, params: Float32Array, batch: Batch, plan: MinibatchPlan, optimizer?: OptimizerState): { params: Float32Array; optimizer: OptimizerState; stats: UpdateStats } {
  const source = ppo.normalizeAdvantage === 'batch'
    ? { ...batch, advantages: Float32Array.from(normalizeAdvantages(batch.advantages)) }
    : batch;
  const hp: AdamHyperparameters = { learningRate: ppo.learningRate, adamEps: ppo.adamEps, weightDecay: ppo.weightDecay, maxGradNorm: ppo.maxGradNorm };
  let state = optimizer ?? { m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
  let current = params;
  const sums = Object.fromEntries(STAT_NAMES.map((name) => [name, 0])) as unknown as LossStats;
  let epochs = 0;
  let minibatches = 0;
  for (let epoch = 0; epoch < plan.numEpochs; epoch++) {
    let epochKl = 0;
    for (let mb = 0; mb < plan.numMinibatches; mb++) {
      const sub = gatherMinibatch(policy, ppo, source, plan, epoch, mb);
      const { grads, stats } = minibatchGradients(policy, ppo, current, sub);
      for (const name of STAT_NAMES) sums[name] += stats[name];
      epochKl += stats.approx_kl;
      const next = oracleAdamStep(current, grads, state, hp);
      current = next.params;
      state = { m: next.m, v: next.v, step: next.step };
      minibatches++;
    }
    epochs++;
    if (ppo.targetKl !== null && epochKl / plan.numMinibatches > ppo.targetKl) break;
  }
  const stats = { epochs, minibatches } as UpdateStats;
  for (const name of STAT_NAMES) stats[name] = sums[name] / minibatches;
  return { params: current, optimizer: state, stats };
}
