// The oracle's own checks, so the backends can trust it: its values against a float64 reference, its
// gradients against central finite differences of that reference, mask handling, the optimizer step against
// TF.js's Adam, and the composition of whole updates.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Batch, LossStats } from '../../src/backend/trainer.js';
import { resolvePPOConfig, valueClipRange } from '../../src/config.js';
import { validateBatch, validatePlan } from '../../src/backend/validate.js';
import { networkLayout, resolveNetworkSpec, type PolicySpec } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { Discrete, MultiDiscrete } from '../../src/spaces.js';
import { randomBatch, randomPlan } from './batches.js';
import { ORACLE_CASES, perturbedParameters } from './cases.js';
import { gatherMinibatch, normalizeAdvantages, oracleAdamStep, oracleLoss, oracleUpdate } from './ppo-oracle.js';
import { advantages64, loss64 } from './reference64.js';
import { mismatch, ORACLE_TOLERANCE, statsMismatch } from './compare.js';

const SEED = 7;

/** max over i of |a - b| / (atol + rtol |b|): <= 1 means close. */
function worst(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): { ratio: number; index: number } {
  let ratio = 0, index = -1;
  for (let i = 0; i < expected.length; i++) {
    const r = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
    if (!(r <= ratio)) { ratio = r; index = i; }
  }
  return { ratio, index };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const { ratio, index } = worst(actual, expected, rtol, atol);
  expect(ratio, `${what}[${index}]: ${actual[index]} vs ${expected[index]}`).toBeLessThanOrEqual(1);
}

describe('oracle against the float64 reference', () => {
  it('the case table holds valid batches and plans', () => {
    expect(new Set(ORACLE_CASES.map((c) => c.name)).size).toBe(ORACLE_CASES.length);
    for (const c of ORACLE_CASES) {
      const batch = c.makeBatch(SEED);
      validateBatch(batch, c.policy, c.ppo.samplesMcEntropy);
      validatePlan(c.makePlan(SEED), batch);
      expect(c.params(SEED).length).toBe(networkLayout(c.policy).size);
      const rows = batch.numSteps * batch.numEnvs;
      const ends = Array.from({ length: rows }, (_, i) => [batch.terminated, batch.truncated].map((f) => f?.[i] ?? 0));
      if (batch.rewards) expect(ends.some(([t]) => t) && ends.some(([, u]) => u)).toBe(true);
    }
  });

  for (const c of ORACLE_CASES) {
    it(`${c.name}: loss terms and stats`, () => {
      const params = c.params(SEED);
      const batch = c.makeBatch(SEED);
      const p64 = Float64Array.from(params);
      const ref = loss64(c.policy, c.ppo, p64, batch, advantages64(c.policy, c.ppo, p64, batch));
      const { stats } = oracleLoss(c.policy, c.ppo, params, batch);
      const m = ref.logp.length;
      const mean = (f: (i: number) => number) => Array.from({ length: m }, (_, i) => f(i)).reduce((a, b) => a + b, 0) / m;
      const r = (i: number) => Math.exp(ref.logp[i] - batch.logProbs[i]);
      const [low, high] = typeof c.ppo.clipEpsilon === 'number' ? [c.ppo.clipEpsilon, c.ppo.clipEpsilon] : c.ppo.clipEpsilon;
      const variance = (f: (i: number) => number) => { const mu = mean(f); return mean((i) => (f(i) - mu) ** 2); };
      const expected: Omit<LossStats, 'grad_norm'> = {
        loss_objective: ref.loss_objective,
        loss_critic: ref.loss_critic,
        loss_entropy: ref.loss_entropy,
        entropy: mean((i) => ref.entropy[i]),
        clip_fraction: mean((i) => (r(i) < 1 - low || r(i) > 1 + high ? 1 : 0)),
        kl_approx: mean((i) => batch.logProbs[i] - ref.logp[i]),
        approx_kl: mean((i) => r(i) - 1 - Math.log(r(i))),
        ess: mean(r) ** 2 / mean((i) => r(i) ** 2), // (sum r)^2 / sum r^2 / m
        explained_variance: 1 - variance((i) => batch.returns[i] - ref.value[i]) / variance((i) => batch.returns[i]),
      };
      for (const [name, value] of Object.entries(expected)) {
        expect(Math.abs(stats[name as keyof LossStats] - value), name).toBeLessThanOrEqual(2e-5 + 2e-5 * Math.abs(value));
      }
      // The table is only useful if ratios and values leave their clip ranges in some rows, not all.
      expect(expected.clip_fraction).toBeGreaterThan(0);
      expect(expected.clip_fraction).toBeLessThan(1);
      const c0 = valueClipRange(c.ppo);
      if (c0 > 0) {
        const outside = mean((i) => (Math.abs(ref.value[i] - batch.values[i]) > c0 ? 1 : 0));
        expect(outside).toBeGreaterThan(0);
        expect(outside).toBeLessThan(1);
      }
    });

    it(`${c.name}: gradients match central differences of the float64 loss`, () => {
      const params = c.params(SEED);
      const batch = c.makeBatch(SEED);
      const p64 = Float64Array.from(params);
      const advantages = advantages64(c.policy, c.ppo, p64, batch); // no gradient flows through advantages
      const layout = networkLayout(c.policy);
      const trunk = new Set<number>();
      if (c.policy.network.shared && c.ppo.separateLosses) {
        for (const layer of layout.layers) {
          if (layer.role !== 'trunk') continue;
          for (let i = 0; i < layer.outputs * (layer.inputs + 1); i++) trunk.add(layer.weightOffset + i);
        }
      }
      const h = 1e-6;
      const fd = new Float64Array(layout.size);
      for (let i = 0; i < layout.size; i++) {
        const at = (delta: number) => {
          const p = Float64Array.from(p64);
          p[i] += delta;
          const l = loss64(c.policy, c.ppo, p, batch, advantages);
          // separateLosses: the trunk's gradient is that of the policy terms only.
          return l.loss_objective + l.loss_entropy + (trunk.has(i) ? 0 : l.loss_critic);
        };
        fd[i] = (at(h) - at(-h)) / (2 * h);
      }
      const { grads, stats } = oracleLoss(c.policy, c.ppo, params, batch);
      const scale = fd.reduce((a, g) => Math.max(a, Math.abs(g)), 0);
      expectClose(grads, fd, 1e-3, 1e-5 * scale, 'grad');
      const norm = Math.sqrt(fd.reduce((a, g) => a + g * g, 0));
      expect(Math.abs(stats.grad_norm - norm)).toBeLessThanOrEqual(1e-4 * norm);
      if (trunk.size > 0) {
        // The critic really is cut off from the trunk: the full loss's trunk gradient differs.
        const i = [...trunk][0];
        const p = Float64Array.from(p64);
        p[i] += h;
        const full = (q: Float64Array) => { const l = loss64(c.policy, c.ppo, q, batch, advantages); return l.loss_objective + l.loss_entropy + l.loss_critic; };
        const withCritic = (full(p) - full(p64)) / h;
        expect(Math.abs(withCritic - grads[i])).toBeGreaterThan(1e-4);
      }
    });
  }
});

describe('masks', () => {
  const cases: [string, PolicySpec, number[]][] = [
    ['Discrete(3), logit 1', { observationSize: 4, actionSpace: Discrete(3), network: resolveNetworkSpec({ hidden: [8] }) }, [1]],
    ['MultiDiscrete([3, 2]), logits 0 and 4', { observationSize: 4, actionSpace: MultiDiscrete([3, 2]), network: resolveNetworkSpec({ hidden: [8], shared: true }) }, [0, 4]],
  ];
  for (const [name, policy, masked] of cases) {
    it(`${name}: a logit masked in every row gets no gradient and does not move the loss`, () => {
      const ppo = resolvePPOConfig({ numSteps: 4 });
      const params = perturbedParameters(policy, SEED);
      const batch = randomBatch(policy, { numSteps: 4, numEnvs: 3, seed: SEED, params, masks: true, alwaysMasked: masked });
      const layout = networkLayout(policy);
      const head = layout.layers.find((l) => l.role === 'actor' && !l.activated)!;
      const { grads, stats } = oracleLoss(policy, ppo, params, batch);
      const moved = Float32Array.from(params);
      for (const k of masked) {
        expect(grads[head.biasOffset + k]).toBe(0);
        for (let i = 0; i < head.inputs; i++) {
          expect(grads[head.weightOffset + k * head.inputs + i]).toBe(0);
          moved[head.weightOffset + k * head.inputs + i] += 3;
        }
        moved[head.biasOffset + k] += 50;
      }
      // The other rows of the head do get gradient.
      const open = Array.from({ length: head.outputs }, (_, k) => k).filter((k) => !masked.includes(k));
      expect(open.some((k) => grads[head.biasOffset + k] !== 0)).toBe(true);
      // A masked logit has probability 0 whatever its value.
      expect(oracleLoss(policy, ppo, moved, batch).stats).toEqual(stats);
      // Without the mask the same batch gives other log-probs.
      const unmasked = oracleLoss(policy, ppo, params, { ...batch, masks: undefined }).stats;
      expect(unmasked.entropy).not.toBeCloseTo(stats.entropy, 3);
    });
  }
});

describe('optimizer step', () => {
  const n = 37;
  const rng = new PCG32(3, 5);
  const randn = (scale: number) => Float32Array.from({ length: n }, () => scale * rng.nextNormal());

  it('matches TF.js Adam (torch-style bias correction, eps outside the root) over several steps', () => {
    const hp = { learningRate: 0.01, adamEps: 1e-5, weightDecay: 0, maxGradNorm: Infinity };
    let state: ReturnType<typeof oracleAdamStep> = { params: randn(1), m: new Float32Array(n), v: new Float32Array(n), step: 0 };
    const variable = tf.variable(tf.tensor1d(state.params));
    const adam = tf.train.adam(hp.learningRate, 0.9, 0.999, hp.adamEps);
    // The first gradients are of the order of eps, where eps inside or outside the root differ.
    for (const [step, scale] of [1e-5, 0.5, 1e-3, 0.5].entries()) {
      const g = randn(scale);
      state = oracleAdamStep(state.params, g, state, hp);
      adam.applyGradients([{ name: variable.name, tensor: tf.tensor1d(g) }]);
      // TF.js steps in float32: agree to a float32 rounding of the update (lr 1e-2).
      expectClose(state.params, variable.dataSync(), 1e-6, 1e-6, `params after step ${step + 1}`);
    }
    expect(state.step).toBe(4);
    adam.dispose();
    variable.dispose();
  });

  it('clips the global norm first and decays weights before the Adam step (AdamW)', () => {
    const params = randn(1);
    const g = randn(2);
    const zero = { m: new Float32Array(n), v: new Float32Array(n), step: 0 };
    const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
    const clipped = oracleAdamStep(params, g, zero, { learningRate: 0.01, adamEps: 1e-5, weightDecay: 0, maxGradNorm: 0.5 });
    const scaled = Float32Array.from(g, (x) => (x * 0.5) / (norm + 1e-6));
    const plain = oracleAdamStep(params, scaled, zero, { learningRate: 0.01, adamEps: 1e-5, weightDecay: 0, maxGradNorm: 0 });
    expectClose(clipped.m, plain.m, 1e-6, 0, 'm');
    expectClose(clipped.v, plain.v, 1e-6, 0, 'v');
    expectClose(clipped.m, Float32Array.from(scaled, (x) => 0.1 * x), 1e-6, 0, 'm = 0.1 g');
    expectClose(clipped.v, Float32Array.from(scaled, (x) => 0.001 * x * x), 1e-6, 0, 'v = 0.001 g^2');
    // A norm under the limit is left alone.
    const loose = oracleAdamStep(params, g, zero, { learningRate: 0.01, adamEps: 1e-5, weightDecay: 0, maxGradNorm: norm * 2 });
    expect(loose.m).toEqual(Float32Array.from(g, (x) => 0.1 * x));

    const decayed = oracleAdamStep(params, g, zero, { learningRate: 0.01, adamEps: 1e-5, weightDecay: 0.1, maxGradNorm: 0 });
    const variable = tf.variable(tf.tensor1d(Float32Array.from(params, (p) => p * (1 - 0.01 * 0.1))));
    const adam = tf.train.adam(0.01, 0.9, 0.999, 1e-5);
    adam.applyGradients([{ name: variable.name, tensor: tf.tensor1d(g) }]);
    expectClose(decayed.params, variable.dataSync(), 1e-6, 1e-7, 'AdamW params');
    adam.dispose();
    variable.dispose();
  });
});

describe('whole updates', () => {
  const byName = (name: string) => ORACLE_CASES.find((c) => c.name === name)!;

  it('one minibatch of all rows in order is one optimizer step on oracleLoss', () => {
    const c = byName('discrete3');
    const params = c.params(SEED);
    const batch = c.makeBatch(SEED);
    const rows = batch.numSteps * batch.numEnvs;
    const plan = { unit: 'rows' as const, numEpochs: 1, numMinibatches: 1, unitsPerMinibatch: rows, indices: Int32Array.from({ length: rows }, (_, i) => i) };
    const update = oracleUpdate(c.policy, c.ppo, params, batch, plan);
    const { grads, stats } = oracleLoss(c.policy, c.ppo, params, batch);
    const zero = { m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
    const step = oracleAdamStep(params, grads, zero, c.ppo);
    expect(update.params).toEqual(step.params);
    expect(update.optimizer.step).toBe(1);
    expect(update.stats).toEqual({ ...stats, epochs: 1, minibatches: 1 });
  });

  it('a minibatch of all segments recomputes V-trace exactly as oracleLoss does', () => {
    const c = byName('vtrace clipped 0.9/0.8 weights masked');
    const params = c.params(SEED);
    const batch = c.makeBatch(SEED);
    const plan = { unit: 'segments' as const, numEpochs: 1, numMinibatches: 1, unitsPerMinibatch: batch.numEnvs, indices: Int32Array.from({ length: batch.numEnvs }, (_, e) => e), weights: Float32Array.from(batch.weights!.subarray(0, batch.numEnvs)) };
    const sub = gatherMinibatch(c.policy, c.ppo, batch, plan, 0, 0);
    // A segment's weight applies to all its rows.
    expect(Array.from(sub.weights!)).toEqual(Array.from({ length: batch.numSteps * batch.numEnvs }, (_, row) => plan.weights[row % batch.numEnvs]));
    expect(oracleLoss(c.policy, c.ppo, params, sub)).toEqual(oracleLoss(c.policy, c.ppo, params, { ...batch, weights: sub.weights }));
  });

  it('gathers segments time-major with their rows, noise and last values', () => {
    const c = byName('vtrace tanh_normal no normalization');
    const batch = c.makeBatch(SEED);
    const plan = c.makePlan(SEED);
    const sub = gatherMinibatch(c.policy, c.ppo, batch, plan, 1, 1);
    const k = plan.unitsPerMinibatch;
    const segments = plan.indices.subarray((1 * plan.numMinibatches + 1) * k, (1 * plan.numMinibatches + 2) * k);
    const N = batch.numEnvs, T = batch.numSteps, D = 2, K = c.ppo.samplesMcEntropy;
    expect([sub.numSteps, sub.numEnvs]).toEqual([T, k]);
    for (let t = 0; t < T; t++) {
      segments.forEach((e, j) => {
        const row = t * N + e, at = t * k + j;
        expect(sub.rewards![at]).toBe(batch.rewards![row]);
        expect(sub.actions[at * D + 1]).toBe(batch.actions[row * D + 1]);
        for (let s = 0; s < K; s++) expect(sub.entropyNoise![(s * T * k + at) * D]).toBe(batch.entropyNoise![(s * T * N + row) * D]);
      });
    }
    expect(Array.from(sub.lastValues!)).toEqual(Array.from(segments, (e) => batch.lastValues![e]));
  });

  it('row order within a minibatch does not matter', () => {
    const c = byName('box2 tanh_normal K4');
    const params = c.params(SEED);
    const batch = c.makeBatch(SEED);
    const plan = randomPlan(batch, { unit: 'rows', numEpochs: 1, numMinibatches: 1, seed: 3 });
    const shuffled = gatherMinibatch(c.policy, c.ppo, batch, plan, 0, 0);
    expect(Array.from(plan.indices.subarray(0, 4))).not.toEqual([0, 1, 2, 3]);
    const a = oracleLoss(c.policy, c.ppo, params, shuffled);
    const b = oracleLoss(c.policy, c.ppo, params, batch);
    const scale = b.grads.reduce((s, g) => Math.max(s, Math.abs(g)), 0);
    expectClose(a.grads, b.grads, 1e-4, 1e-6 * scale, 'grads');
  });

  it("'batch' normalization normalizes once over all rows, then leaves minibatches alone", () => {
    const c = byName('advantage normalization batch');
    const params = c.params(SEED);
    const batch = c.makeBatch(SEED);
    const plan = c.makePlan(SEED);
    const update = oracleUpdate(c.policy, c.ppo, params, batch, plan);
    const manual = oracleUpdate(c.policy, { ...c.ppo, normalizeAdvantage: false }, params, { ...batch, advantages: Float32Array.from(normalizeAdvantages(batch.advantages)) }, plan);
    expect(update.params).toEqual(manual.params);
    const perMinibatch = oracleUpdate(c.policy, { ...c.ppo, normalizeAdvantage: 'minibatch' }, params, batch, plan);
    expect(perMinibatch.params).not.toEqual(update.params);
  });

  it("'batch' normalization still normalizes advantages that a minibatch recomputes with V-trace", () => {
    const c = byName('vtrace advantage normalization batch');
    const params = c.params(SEED);
    const batch = c.makeBatch(SEED);
    const plan = c.makePlan(SEED);
    expect(plan.unit).toBe('segments');
    const update = oracleUpdate(c.policy, c.ppo, params, batch, plan);
    // Every minibatch recomputes, so 'batch' is 'minibatch' here; leaving the recomputed ones alone is not.
    const perMinibatch = oracleUpdate(c.policy, { ...c.ppo, normalizeAdvantage: 'minibatch' }, params, batch, plan);
    expect(update.params).toEqual(perMinibatch.params);
    const unnormalized = oracleUpdate(c.policy, { ...c.ppo, normalizeAdvantage: false }, params, batch, plan);
    expect(unnormalized.params).not.toEqual(update.params);
    // The float64 reference agrees: the advantages its loss uses have mean 0 and standard deviation 1.
    const A = advantages64(c.policy, c.ppo, Float64Array.from(params), batch);
    const mean = A.reduce((s, a) => s + a, 0) / A.length;
    const std = Math.sqrt(A.reduce((s, a) => s + (a - mean) ** 2, 0) / (A.length - 1));
    expect(Math.abs(mean)).toBeLessThan(1e-9);
    expect(std).toBeCloseTo(1, 6);
  });

  it('runs every epoch and minibatch, and stops after the first epoch whose mean approx_kl exceeds targetKl', () => {
    const c = byName('multidiscrete[3,2]');
    const params = c.params(SEED);
    const batch: Batch = c.makeBatch(SEED);
    const plan = c.makePlan(SEED);
    const all = oracleUpdate(c.policy, c.ppo, params, batch, plan);
    expect([all.stats.epochs, all.stats.minibatches, all.optimizer.step]).toEqual([2, 4, 4]);
    const stopped = oracleUpdate(c.policy, { ...c.ppo, targetKl: 0 }, params, batch, plan);
    expect([stopped.stats.epochs, stopped.stats.minibatches, stopped.optimizer.step]).toEqual([1, 2, 2]);
    const loose = oracleUpdate(c.policy, { ...c.ppo, targetKl: 1e6 }, params, batch, plan);
    expect(loose.params).toEqual(all.params);
    // Continuing from a saved optimizer state is the same as running on.
    const firstEpoch = { ...plan, numEpochs: 1, indices: plan.indices.subarray(0, plan.indices.length / 2) };
    const secondEpoch = { ...plan, numEpochs: 1, indices: plan.indices.subarray(plan.indices.length / 2) };
    const one = oracleUpdate(c.policy, c.ppo, params, batch, firstEpoch);
    const two = oracleUpdate(c.policy, c.ppo, one.params, batch, secondEpoch, one.optimizer);
    expect(two.params).toEqual(all.params);
    expect(all.params).not.toEqual(params);
  });
});

describe('oracle plumbing', () => {
  it('the targetKl case of the table stops early and the others run every epoch', () => {
    for (const c of ORACLE_CASES.filter((c) => c.name.startsWith('adamw') || c.name === 'discrete3')) {
      const { stats } = oracleUpdate(c.policy, c.ppo, c.params(SEED), c.makeBatch(SEED), c.makePlan(SEED));
      if (c.ppo.targetKl === null) expect(stats.epochs).toBe(c.ppo.numEpochs);
      else expect(stats.epochs).toBeLessThan(c.ppo.numEpochs);
    }
  });

  it('leaves no tensors behind and refuses to run on another TF.js backend', async () => {
    const c = ORACLE_CASES[0];
    const params = c.params(SEED);
    const batch = c.makeBatch(SEED);
    oracleLoss(c.policy, c.ppo, params, batch);
    const before = tf.memory().numTensors;
    oracleUpdate(c.policy, c.ppo, params, batch, c.makePlan(SEED));
    expect(tf.memory().numTensors).toBe(before);
    tf.registerBackend('oracle-test-other', () => tf.findBackend('cpu')!, -1);
    await tf.setBackend('oracle-test-other');
    try {
      expect(() => oracleLoss(c.policy, c.ppo, params, batch)).toThrow(/runs on 'cpu'/);
    } finally {
      await tf.setBackend('cpu');
      tf.removeBackend('oracle-test-other');
    }
  });

  it('compare helpers name the worst parameter and the stats out of tolerance', () => {
    const c = ORACLE_CASES[0];
    const layout = networkLayout(c.policy).parameters;
    const { grads, stats } = oracleLoss(c.policy, c.ppo, c.params(SEED), c.makeBatch(SEED));
    expect(mismatch(grads, grads, ORACLE_TOLERANCE, layout)).toBeNull();
    const off = Float32Array.from(grads);
    const critic = layout.find((p) => p.name.startsWith('critic') && p.name.endsWith('.bias'))!;
    off[critic.offset] += 1e-3;
    expect(mismatch(off, grads, ORACLE_TOLERANCE, layout)).toMatch(new RegExp(`^1 of ${grads.length} .*worst ${critic.name.replace('.', '\\.')}\\[0\\]`));
    expect(statsMismatch(stats, stats)).toBeNull();
    expect(statsMismatch({ ...stats, ess: stats.ess * 1.01 }, stats)).toMatch(/^ess: /);
  });
});
