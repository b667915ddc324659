// Each PPO preset trains with the loss of the system it names: the CPU trainer's loss terms under the preset
// equal that system's published loss formula, written here in float64 with the system's own names and
// numbers (not webppo's), on a small batch whose ratios straddle the clip range.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import { DEFAULT_PPO_CONFIG, resolvePPOConfig } from '../../src/config.js';
import { ValidationError } from '../../src/errors.js';
import { resolveNetworkSpec, type PolicySpec } from '../../src/policy/network.js';
import { ppoPreset, PPO_PRESET_NAMES, type PPOPresetName } from '../../src/ppo-presets.js';
import { Discrete } from '../../src/spaces.js';
import type { Batch, LossStats } from '../../src/backend/trainer.js';
import { randomBatch } from '../oracle/batches.js';
import { perturbedParameters } from '../oracle/cases.js';
import { evaluate64 } from '../oracle/reference64.js';

beforeAll(() => init());

const policy: PolicySpec = { observationSize: 5, actionSpace: Discrete(3), network: resolveNetworkSpec({ hidden: [8, 8] }) };

interface Terms { policy: number; value: number; entropy: number }

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x, 0) / xs.length;
const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
function standardize(a: ArrayLike<number>, unbiased: boolean, eps: number): Float64Array {
  const m = mean(a);
  const ss = Array.from(a).reduce((s, x) => s + (x - m) ** 2, 0);
  const std = Math.sqrt(ss / (unbiased ? a.length - 1 : a.length));
  return Float64Array.from(a, (x) => (x - m) / (std + eps));
}

/** Per-row new log-prob ratio, value and entropy under params, in float64. */
function evaluate(params: Float32Array, batch: Batch) {
  const { logp, value, entropy } = evaluate64(policy, 1, Float64Array.from(params), batch);
  const ratio = Float64Array.from(logp, (l, i) => Math.exp(l - batch.logProbs[i]));
  return { ratio, value, entropy };
}

// The published formulas. Each returns the policy, value and entropy parts of its total loss, weights included.
const REFERENCE: Record<PPOPresetName, (params: Float32Array, b: Batch) => Terms> = {
  // cleanrl/ppo.py: pg_loss = mean(max(-A r, -A clamp(r, 1 -+ clip))), v_loss = 0.5 mean(max(unclipped, clipped)),
  // loss = pg_loss - ent_coef * entropy.mean() + v_loss * vf_coef; A normalized per minibatch (std + 1e-8).
  cleanrl: (params, b) => cleanrlStyle(params, b, { clip_coef: 0.2, vf_clip: 0.2, ent_coef: 0.01, vf_coef: 0.5 }),
  // metta/rl/loss/ppo.py with PPOConfig defaults: the same shape, clip_coef 0.1, vf_clip_coef 0.1, ent 0.0021, vf 0.44.
  metta: (params, b) => cleanrlStyle(params, b, { clip_coef: 0.1, vf_clip: 0.1, ent_coef: 0.0021, vf_coef: 0.44 }),
  // torchrl ClipPPOLoss defaults: loss_objective = -mean(min(r A, clamp(r) A)) (no normalization),
  // loss_critic = critic_coef 1.0 * smooth_l1(V, R) (mean), loss_entropy = -entropy_coef 0.01 * mean(H).
  torchrl: (params, b) => {
    const { ratio, value, entropy } = evaluate(params, b);
    const smoothL1 = (d: number) => (Math.abs(d) < 1 ? 0.5 * d * d : Math.abs(d) - 0.5);
    return {
      policy: -mean(Array.from(ratio, (r, i) => Math.min(r * b.advantages[i], clamp(r, 0.8, 1.2) * b.advantages[i]))),
      value: 1.0 * mean(Array.from(value, (v, i) => smoothL1(v - b.returns[i]))),
      entropy: -0.01 * mean(entropy),
    };
  },
  // lerax PPO.ppo_loss: A normalized with jnp.std (population) + float32 eps, policy_loss = -mean(min(A r, A clip(r))),
  // value_loss = mean(d^2) / 2 times value_loss_coefficient 0.5, entropy_loss = -mean(H) times 0.
  lerax: (params, b) => {
    const { ratio, value, entropy } = evaluate(params, b);
    const A = standardize(b.advantages, false, 1.1920929e-7);
    return {
      policy: -mean(Array.from(ratio, (r, i) => Math.min(A[i] * r, A[i] * clamp(r, 0.8, 1.2)))),
      value: 0.5 * (mean(Array.from(value, (v, i) => (v - b.returns[i]) ** 2)) / 2),
      entropy: 0 * -mean(entropy),
    };
  },
  // prt_rl/ppo.py: clip_loss = -mean(min(A r, A clamp(r, 0.9, 1.1))) (no normalization), value_loss = F.mse_loss,
  // loss = clip_loss + entropy_coef 0.01 * (-mean(H)) + value_coef 0.5 * value_loss.
  prt_rl: (params, b) => {
    const { ratio, value, entropy } = evaluate(params, b);
    return {
      policy: -mean(Array.from(ratio, (r, i) => Math.min(b.advantages[i] * r, b.advantages[i] * clamp(r, 0.9, 1.1)))),
      value: 0.5 * mean(Array.from(value, (v, i) => (v - b.returns[i]) ** 2)),
      entropy: 0.01 * -mean(entropy),
    };
  },
};

function cleanrlStyle(params: Float32Array, b: Batch, c: { clip_coef: number; vf_clip: number; ent_coef: number; vf_coef: number }): Terms {
  const { ratio, value, entropy } = evaluate(params, b);
  const A = standardize(b.advantages, true, 1e-8);
  const pg = mean(Array.from(ratio, (r, i) => Math.max(-A[i] * r, -A[i] * clamp(r, 1 - c.clip_coef, 1 + c.clip_coef))));
  const vLoss = 0.5 * mean(Array.from(value, (v, i) => {
    const unclipped = (v - b.returns[i]) ** 2;
    const clipped = (b.values[i] + clamp(v - b.values[i], -c.vf_clip, c.vf_clip) - b.returns[i]) ** 2;
    return Math.max(unclipped, clipped);
  }));
  return { policy: pg, value: vLoss * c.vf_coef, entropy: -c.ent_coef * mean(entropy) };
}

async function webppoTerms(ppo: ReturnType<typeof resolvePPOConfig>, params: Float32Array, batch: Batch): Promise<LossStats> {
  const trainer = createCpuTrainer({ policy, ppo, seed: 1, parameters: params });
  try {
    return (await trainer.computeGradients(batch)).stats;
  } finally {
    trainer.dispose();
  }
}

function batchFor(seed: number) {
  const params = perturbedParameters(policy, seed);
  const batch = randomBatch(policy, { numSteps: 6, numEnvs: 4, seed, params });
  return { params, batch };
}

describe('PPO presets reproduce each system\'s loss', () => {
  for (const name of PPO_PRESET_NAMES) {
    it(`${name}: loss terms equal the published formula`, async () => {
      for (const seed of [1, 2, 3]) {
        const { params, batch } = batchFor(seed);
        const ppo = resolvePPOConfig({ ...ppoPreset(name), numSteps: 6, numMinibatches: 1 });
        const ours = await webppoTerms(ppo, params, batch);
        const ref = REFERENCE[name](params, batch);
        const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(2e-5 * Math.max(1, Math.abs(b)));
        close(ours.loss_critic, ref.value);
        close(ours.loss_entropy, ref.entropy);
        if (name === 'lerax') {
          // Lerax divides by the population std + f32 eps, webppo by the unbiased std + 1e-8: the surrogate is
          // positively homogeneous in A, so the objectives differ by exactly the ratio of the two scales.
          const a = Array.from(batch.advantages);
          const m = mean(a);
          const ss = a.reduce((s, x) => s + (x - m) ** 2, 0);
          const scale = (Math.sqrt(ss / a.length) + 1.1920929e-7) / (Math.sqrt(ss / (a.length - 1)) + 1e-8);
          close(ours.loss_objective, ref.policy * scale);
          expect(scale).not.toBeCloseTo(1, 3);
        } else {
          close(ours.loss_objective, ref.policy);
        }
        expect(ours.loss_objective + ours.loss_critic + ours.loss_entropy).not.toBe(0);
      }
    });
  }

  it('the defaults are the cleanrl preset and give CleanRL\'s effective loss (criticCoef 0.25 with l2)', async () => {
    expect(DEFAULT_PPO_CONFIG.criticCoef).toBe(0.25);
    expect(DEFAULT_PPO_CONFIG.lossCriticType).toBe('l2');
    const preset = resolvePPOConfig(ppoPreset('cleanrl'));
    expect(preset).toEqual(resolvePPOConfig({}));
    const { params, batch } = batchFor(4);
    const ours = await webppoTerms(resolvePPOConfig({ numSteps: 6, numMinibatches: 1 }), params, batch);
    const ref = REFERENCE.cleanrl(params, batch);
    const total = ref.policy + ref.value + ref.entropy;
    expect(Math.abs(ours.loss_objective + ours.loss_critic + ours.loss_entropy - total)).toBeLessThan(2e-5 * Math.max(1, Math.abs(total)));
  });

  it('an unknown preset is a ValidationError naming the choices, and presets are fresh copies', () => {
    expect(() => ppoPreset('ppo2' as PPOPresetName)).toThrow(ValidationError);
    expect(() => ppoPreset('ppo2' as PPOPresetName)).toThrow(/'cleanrl' \| 'metta' \| 'torchrl' \| 'lerax' \| 'prt_rl'/);
    const a = ppoPreset('metta');
    a.prioritized!.alpha = 0.5;
    expect(ppoPreset('metta').prioritized!.alpha).toBe(0);
    for (const name of PPO_PRESET_NAMES) expect(() => resolvePPOConfig(ppoPreset(name))).not.toThrow();
  });
});
