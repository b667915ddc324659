// The behaviour-cloning oracle: src/backend/trainer.ts's imitation loss written on the PPO oracle's TF.js
// network and distributions (themselves checked against float64 and finite differences), differentiated by
// TF.js autodiff. imitation.test.ts checks it against its own float64 loss and finite differences; the
// backends' computeImitationGradients and imitate are compared to it (test/backends/imitation.test.ts).
//
// Choices the contract leaves open, made here so the backends can match them:
// - tanh_normal demonstrations are points of the box; u = atanh of (a - loc) / scale clamped to 1 - 1e-6 inside
//   (-1, 1), in float64 here, from the space's bounds.
// - A minibatch of a plan is its rows in plan order; weights are the plan's.
import * as tf from '@tensorflow/tfjs';
import type { DemoBatch, ImitationStats, ImitationUpdateStats, MinibatchPlan, OptimizerState } from '../../src/backend/trainer.js';
import type { PPOConfig } from '../../src/config.js';
import { networkLayout, type PolicySpec } from '../../src/policy/network.js';
import { actionSize, logitCount } from '../../src/spaces.js';
import { checkCpuBackend, distribution, forward, oracleAdamStep, toRows } from './ppo-oracle.js';

/** The pre-squash u of a demonstration's actions (Box, tanh_normal), or the actions as they are. */
export function storedActions(policy: PolicySpec, actions: Int32Array | Float32Array): Int32Array | Float32Array {
  const space = policy.actionSpace;
  if (space.kind !== 'box' || policy.network.distribution !== 'tanh_normal') return actions;
  const D = space.size;
  return Float32Array.from(actions, (a, i) => {
    const d = i % D;
    const y = (2 * a - space.high[d] - space.low[d]) / (space.high[d] - space.low[d]);
    const edge = 1 - 1e-6;
    return Math.atanh(y > edge ? edge : y < -edge ? -edge : y);
  });
}

/** Per row and branch, 1 when the branch's largest allowed actor output is the demonstrated action ([rows][branches]). */
export function modeHits(policy: PolicySpec, actorOutputs: Float32Array, demo: DemoBatch): number[][] {
  const space = policy.actionSpace;
  if (space.kind === 'box') throw new Error('oracle: accuracy is for categorical heads');
  const nvec = space.kind === 'discrete' ? [space.n] : space.nvec;
  const L = logitCount(space);
  return Array.from({ length: demo.rows }, (_, row) => {
    let base = 0;
    return nvec.map((n, b) => {
      let best = -1;
      for (let k = 0; k < n; k++) {
        if (demo.masks && !demo.masks[row * L + base + k]) continue;
        if (best < 0 || actorOutputs[row * L + base + k] > actorOutputs[row * L + base + best]) best = k;
      }
      base += n;
      return best === demo.actions[row * nvec.length + b] ? 1 : 0;
    });
  });
}

/** Trainer.computeImitationGradients: gradient and stats of the cloning loss, the rows as one minibatch. */
export function oracleImitationLoss(
  policy: PolicySpec, ppo: PPOConfig, params: Float32Array, demo: DemoBatch, criticCoef: number, weights?: Float32Array,
): { grads: Float32Array; stats: ImitationStats } {
  checkCpuBackend();
  const layout = networkLayout(policy);
  const m = demo.rows;
  const detachCritic = policy.network.shared && ppo.separateLosses;
  const batch = {
    numSteps: m, numEnvs: 1, observations: demo.observations, actions: storedActions(policy, demo.actions), masks: demo.masks,
    logProbs: new Float32Array(m), values: new Float32Array(m), advantages: new Float32Array(m), returns: new Float32Array(m),
  };
  const terms = { bc: 0, critic: 0, logLikelihood: 0 };
  let actorOutputs: Float32Array = new Float32Array(0);
  const grads = tf.tidy(() => {
    const rows = toRows(policy, batch, 1);
    const w = tf.tensor1d(weights ?? new Float32Array(m).fill(1));
    const R = tf.tensor1d(demo.returns ?? new Float32Array(m));
    const loss = (flat: tf.Tensor): tf.Scalar => {
      const net = forward(policy, layout, flat as tf.Tensor1D, rows.observations, detachCritic);
      const { logp } = distribution(policy, net.actor, net.logStd, { ...rows, noise: undefined }, 1);
      const bc = tf.neg(tf.mean(tf.mul(w, logp))) as tf.Scalar;
      const critic = tf.mul(criticCoef, tf.mean(tf.square(tf.sub(net.value, R)))) as tf.Scalar;
      terms.bc = bc.dataSync()[0];
      terms.critic = critic.dataSync()[0];
      terms.logLikelihood = tf.mean(logp).dataSync()[0];
      actorOutputs = net.actor.dataSync().slice() as Float32Array;
      return tf.add(bc, critic) as tf.Scalar;
    };
    return tf.grad(loss)(tf.tensor1d(params)).dataSync().slice() as Float32Array;
  });
  return { grads, stats: imitationStats(policy, grads, terms, actorOutputs, demo, m) };
}

/**
 * Trainer.computeImitationGradients for a recurrent network, from the definition of src/backend/trainer.ts
 * read as one unroll per stream: each recorded agent's rows (demo.streams, in row order) run through the
 * network from a zero state, reset after each episode end, with the state's gradient stopped every L rows of
 * the stream (L = memory.sequenceLength, at most the longest stream); the loss is the mean over all rows.
 */
export function oracleRecurrentImitationLoss(
  policy: PolicySpec, ppo: PPOConfig, params: Float32Array, demo: DemoBatch, criticCoef: number,
): { grads: Float32Array; stats: ImitationStats } {
  checkCpuBackend();
  const memory = policy.network.memory;
  if (!memory || !demo.streams || !demo.episodeEnds) throw new Error('oracle: a recurrent network and a demonstration with streams and episodeEnds');
  const layout = networkLayout(policy);
  const detachCritic = policy.network.shared && ppo.separateLosses;
  // The rows stream by stream (each in row order): the loss is a mean, so the order of streams does not matter.
  const byStream = new Map<number, number[]>();
  demo.streams.forEach((id, row) => { if (!byStream.has(id)) byStream.set(id, []); byStream.get(id)!.push(row); });
  const streams = [...byStream.values()];
  const L = Math.min(memory.sequenceLength ?? Infinity, Math.max(...streams.map((r) => r.length)));
  const order = streams.flat();
  const sub = pickRows(policy, demo, order);
  const m = demo.rows;
  const stored = storedActions(policy, sub.actions);
  const terms = { bc: 0, critic: 0, logLikelihood: 0 };
  let actorOutputs: Float32Array = new Float32Array(0);
  const grads = tf.tidy(() => {
    const R = tf.tensor1d(sub.returns ?? new Float32Array(m));
    const loss = (flat: tf.Tensor): tf.Scalar => {
      const logps: tf.Tensor1D[] = [];
      const values: tf.Tensor1D[] = [];
      const actors: tf.Tensor2D[] = [];
      let at = 0;
      for (const rows of streams) {
        const n = rows.length;
        const part = (a: Float32Array | Int32Array | Uint8Array, w: number) => a.subarray(at * w, (at + n) * w);
        const batch = {
          numSteps: n, numEnvs: 1, observations: part(sub.observations, policy.observationSize) as Float32Array,
          actions: part(stored, actionSize(policy.actionSpace)) as Int32Array | Float32Array,
          masks: sub.masks && (part(sub.masks, logitCount(policy.actionSpace as never)) as Uint8Array),
          logProbs: new Float32Array(n), values: new Float32Array(n), advantages: new Float32Array(n), returns: new Float32Array(n),
        };
        const r = toRows({ ...policy, network: { ...policy.network, memory: undefined } }, batch, 1);
        const resets = Uint8Array.from(rows, (row) => demo.episodeEnds![row]);
        const net = forward(policy, layout, flat as tf.Tensor1D, r.observations, detachCritic, { steps: n, columns: 1, length: L, resets, stateSize: layout.stateSize });
        logps.push(distribution(policy, net.actor, net.logStd, { ...r, noise: undefined }, 1).logp);
        values.push(net.value);
        actors.push(net.actor);
        at += n;
      }
      const logp = tf.concat(logps);
      const bc = tf.neg(tf.mean(logp)) as tf.Scalar;
      const critic = tf.mul(criticCoef, tf.mean(tf.square(tf.sub(tf.concat(values), R)))) as tf.Scalar;
      terms.bc = bc.dataSync()[0];
      terms.critic = critic.dataSync()[0];
      terms.logLikelihood = tf.mean(logp).dataSync()[0];
      actorOutputs = tf.concat(actors).dataSync().slice() as Float32Array;
      return tf.add(bc, critic) as tf.Scalar;
    };
    return tf.grad(loss)(tf.tensor1d(params)).dataSync().slice() as Float32Array;
  });
  return { grads, stats: imitationStats(policy, grads, terms, actorOutputs, sub, m) };
}

/** The stats of an imitation step: the loss terms, the gradient norm and (discrete heads) the mode's hit rate over the m rows. */
function imitationStats(
  policy: PolicySpec, grads: Float32Array, terms: { bc: number; critic: number; logLikelihood: number }, actorOutputs: Float32Array, demo: DemoBatch, m: number,
): ImitationStats {
  let sq = 0;
  for (const g of grads) sq += g * g;
  const stats: ImitationStats = { loss_bc: terms.bc, loss_critic: terms.critic, log_likelihood: terms.logLikelihood, grad_norm: Math.sqrt(sq) };
  if (policy.actionSpace.kind !== 'box') {
    const hits = modeHits(policy, actorOutputs, demo);
    const branches = hits[0].length;
    stats.accuracy = hits.reduce((s, row) => s + row.reduce((a, b) => a + b, 0) / branches, 0) / m;
    stats.branchAccuracy = Array.from({ length: branches }, (_, b) => hits.reduce((s, row) => s + row[b], 0) / m);
  }
  return stats;
}

/** The given rows of a demonstration, in the given order. */
function pickRows(policy: PolicySpec, demo: DemoBatch, rows: readonly number[]): DemoBatch {
  const pick = <A extends Float32Array | Int32Array | Uint8Array>(source: A, width: number): A => {
    const out = new (source.constructor as { new (n: number): A })(rows.length * width);
    rows.forEach((row, i) => out.set(source.subarray(row * width, (row + 1) * width), i * width));
    return out;
  };
  const space = policy.actionSpace;
  const sub: DemoBatch = { rows: rows.length, observations: pick(demo.observations, policy.observationSize), actions: pick(demo.actions, actionSize(space)) };
  if (demo.masks) sub.masks = pick(demo.masks, logitCount(space as never));
  if (demo.returns) sub.returns = pick(demo.returns, 1);
  return sub;
}

/** The rows a plan's minibatch uses, as a demonstration batch of their own (plan order), and their weights. */
export function demoMinibatch(policy: PolicySpec, demo: DemoBatch, plan: MinibatchPlan, epoch: number, minibatch: number): { demo: DemoBatch; weights?: Float32Array } {
  const k = plan.unitsPerMinibatch;
  const start = (epoch * plan.numMinibatches + minibatch) * k;
  const rows = Array.from(plan.indices.subarray(start, start + k));
  const pick = <A extends Float32Array | Int32Array | Uint8Array>(source: A, width: number): A => {
    const out = new (source.constructor as { new (n: number): A })(rows.length * width);
    rows.forEach((row, i) => out.set(source.subarray(row * width, (row + 1) * width), i * width));
    return out;
  };
  const space = policy.actionSpace;
  const sub: DemoBatch = { rows: k, observations: pick(demo.observations, policy.observationSize), actions: pick(demo.actions, actionSize(space)) };
  if (demo.masks) sub.masks = pick(demo.masks, logitCount(space));
  if (demo.returns) sub.returns = pick(demo.returns, 1);
  return { demo: sub, weights: plan.weights?.slice(start, start + k) };
}

/** Trainer.imitate: one Adam step (trainer.ts's optimizer, at `learningRate`) per minibatch of the plan. */
export function oracleImitate(
  policy: PolicySpec, ppo: PPOConfig, params: Float32Array, demo: DemoBatch, plan: MinibatchPlan, criticCoef: number, learningRate: number,
  optimizer?: OptimizerState,
): { params: Float32Array; optimizer: OptimizerState; stats: ImitationUpdateStats } {
  const hp = { learningRate, adamEps: ppo.adamEps, weightDecay: ppo.weightDecay, maxGradNorm: ppo.maxGradNorm };
  let state = optimizer ?? { m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
  let current = params;
  const sums = { loss_bc: 0, loss_critic: 0, log_likelihood: 0, accuracy: 0, grad_norm: 0 };
  let branchSums: number[] = [];
  let count = 0;
  for (let epoch = 0; epoch < plan.numEpochs; epoch++) {
    for (let mb = 0; mb < plan.numMinibatches; mb++) {
      const sub = demoMinibatch(policy, demo, plan, epoch, mb);
      const { grads, stats } = oracleImitationLoss(policy, ppo, current, sub.demo, criticCoef, sub.weights);
      for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] += stats[key] ?? 0;
      if (stats.branchAccuracy) branchSums = stats.branchAccuracy.map((a, b) => a + (branchSums[b] ?? 0));
      const next = oracleAdamStep(current, grads, state, hp);
      current = next.params;
      state = { m: next.m, v: next.v, step: next.step };
      count++;
    }
  }
  const { accuracy, ...rest } = sums;
  const stats: ImitationUpdateStats = { ...rest, epochs: plan.numEpochs, minibatches: count };
  for (const key of ['loss_bc', 'loss_critic', 'log_likelihood', 'grad_norm'] as const) stats[key] /= count;
  if (policy.actionSpace.kind !== 'box') {
    stats.accuracy = accuracy / count;
    stats.branchAccuracy = branchSums.map((a) => a / count);
  }
  return { params: current, optimizer: state, stats };
}
