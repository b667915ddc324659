// The shared trainer test table: every head type and loss option on tiny networks and batches. Both
// backends run each case and compare computeGradients and update to the oracle; the oracle's own tests run
// each case against a float64 reference and finite differences.
import type { Batch, MinibatchPlan } from '../../src/backend/trainer.js';
import { resolvePPOConfig, type PPOConfig, type PPOConfigInput } from '../../src/config.js';
import { initialParameters } from '../../src/policy/init.js';
import { networkLayout, resolveNetworkSpec, type NetworkSpecInput, type PolicySpec } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete, MultiDiscrete, type ActionSpace } from '../../src/spaces.js';
import { randomBatch, randomPlan, type RandomBatchOptions } from './batches.js';

export interface OracleCase {
  name: string;
  policy: PolicySpec;
  ppo: PPOConfig;
  /** Parameters to evaluate at: the seeded init, perturbed so heads, biases and log_std are not trivial. */
  params(seed: number): Float32Array;
  /** A batch acted by params(seed) (same seed). */
  makeBatch(seed: number): Batch;
  /** An update plan for makeBatch(seed): whole segments when the batch carries rewards, else rows. */
  makePlan(seed: number): MinibatchPlan;
}

interface CaseInput {
  name: string;
  action: ActionSpace;
  observationSize?: number;
  network?: NetworkSpecInput;
  ppo?: PPOConfigInput;
  batch?: Partial<Omit<RandomBatchOptions, 'seed' | 'params'>>;
  planWeights?: boolean;
}

/** The seeded init plus noise: larger on the actor head (so logits are not uniform), log_std in [-0.6, 0.4]. */
export function perturbedParameters(policy: PolicySpec, seed: number): Float32Array {
  const layout = networkLayout(policy);
  const params = initialParameters(layout, seed);
  const rng = new PCG32(seed, 0x9e3);
  for (const layer of layout.layers) {
    const spread = layer.role === 'actor' && !layer.activated ? 0.3 : 0.1;
    for (let i = 0; i < layer.outputs * layer.inputs; i++) params[layer.weightOffset + i] += spread * rng.nextNormal();
    for (let i = 0; i < layer.outputs; i++) params[layer.biasOffset + i] = spread * rng.nextNormal();
  }
  if (layout.logStdOffset >= 0) {
    for (let i = layout.logStdOffset; i < layout.size; i++) params[i] = rng.nextFloat() - 0.6;
  }
  return params;
}

/** One table entry: a policy, a PPO config and the seeded batch, plan and parameters to test them at. */
export function makeCase(input: CaseInput): OracleCase {
  const policy: PolicySpec = {
    observationSize: input.observationSize ?? 5,
    actionSpace: input.action,
    network: resolveNetworkSpec({ hidden: [8, 8], ...input.network }),
  };
  const ppo = resolvePPOConfig({ numSteps: 6, numEpochs: 2, numMinibatches: 2, ...input.ppo });
  const batchOptions = { numSteps: ppo.numSteps, numEnvs: 4, ...input.batch };
  const params = (seed: number) => perturbedParameters(policy, seed);
  return {
    name: input.name,
    policy,
    ppo,
    params,
    makeBatch: (seed) => randomBatch(policy, {
      ...batchOptions, seed, params: params(seed), gamma: ppo.gamma, gaeLambda: ppo.gaeLambda, samplesMcEntropy: ppo.samplesMcEntropy,
    }),
    makePlan: (seed) => randomPlan(batchOptions, {
      unit: batchOptions.vtrace ? 'segments' : 'rows', numEpochs: ppo.numEpochs, numMinibatches: ppo.numMinibatches, seed, weights: input.planWeights,
    }),
  };
}

const BOUNDED = Box(2, [-2, 0], [2, 1]);

export const ORACLE_CASES: readonly OracleCase[] = [
  // Heads
  makeCase({ name: 'discrete3', action: Discrete(3) }),
  makeCase({ name: 'discrete3 masked relu', action: Discrete(3), network: { activation: 'relu' }, batch: { masks: true } }),
  makeCase({ name: 'multidiscrete[3,2]', action: MultiDiscrete([3, 2]), observationSize: 6 }),
  makeCase({ name: 'multidiscrete[3,2] masked shared', action: MultiDiscrete([3, 2]), network: { shared: true }, batch: { masks: true } }),
  makeCase({ name: 'box2 normal', action: Box(2), observationSize: 4 }),
  makeCase({ name: 'box2 normal shared relu [16]', action: Box(2), network: { shared: true, activation: 'relu', hidden: [16] } }),
  makeCase({ name: 'box2 tanh_normal K4', action: BOUNDED, network: { distribution: 'tanh_normal' }, ppo: { samplesMcEntropy: 4 } }),
  makeCase({ name: 'box2 tanh_normal K4 shared separateLosses', action: BOUNDED, network: { distribution: 'tanh_normal', shared: true }, ppo: { samplesMcEntropy: 4, separateLosses: true } }),
  // Critic losses and value clipping
  makeCase({ name: 'critic l1', action: Discrete(3), ppo: { lossCriticType: 'l1' } }),
  makeCase({ name: 'critic smooth_l1 clipValue 0.3', action: Discrete(3), ppo: { lossCriticType: 'smooth_l1', clipValue: 0.3 } }),
  makeCase({ name: 'critic l2 no value clip', action: Box(2), ppo: { clipValue: false } }),
  // Policy loss options
  makeCase({ name: 'separateLosses shared relu', action: Discrete(3), network: { shared: true, activation: 'relu' }, ppo: { separateLosses: true } }),
  makeCase({ name: 'asymmetric clip [0.1, 0.3]', action: Discrete(3), ppo: { clipEpsilon: [0.1, 0.3] } }),
  makeCase({ name: 'reduction sum', action: MultiDiscrete([3, 2]), ppo: { reduction: 'sum' } }),
  makeCase({ name: 'importance weights', action: Discrete(3), batch: { weights: true }, planWeights: true }),
  makeCase({ name: 'entropy off', action: Box(2), ppo: { entropyBonus: false } }),
  makeCase({ name: 'advantage normalization off', action: Discrete(3), ppo: { normalizeAdvantage: false } }),
  makeCase({ name: 'advantage normalization batch', action: Box(2), ppo: { normalizeAdvantage: 'batch' } }),
  makeCase({ name: 'linear policy (no hidden layers)', action: MultiDiscrete([3, 2]), network: { hidden: [] } }),
  // Optimizer settings (for update): AdamW without a gradient clip, a larger step, targetKl that stops early.
  makeCase({ name: 'adamw no grad clip targetKl', action: Box(2), ppo: { weightDecay: 0.05, maxGradNorm: Infinity, learningRate: 3e-3, targetKl: 0.002, numEpochs: 3 } }),
  // V-trace recompute from the current ratios
  makeCase({ name: 'vtrace', action: Discrete(3), batch: { vtrace: true } }),
  makeCase({ name: 'vtrace clipped 0.9/0.8 weights masked', action: MultiDiscrete([3, 2]), ppo: { vtrace: { rhoClip: 0.9, cClip: 0.8 } }, batch: { vtrace: true, weights: true, masks: true }, planWeights: true }),
  makeCase({ name: 'vtrace 8x2 linear', action: Discrete(3), network: { hidden: [] }, ppo: { numSteps: 8 }, batch: { numEnvs: 2, vtrace: true } }),
  makeCase({ name: 'vtrace advantage normalization batch', action: Discrete(3), ppo: { normalizeAdvantage: 'batch' }, batch: { vtrace: true } }),
  makeCase({ name: 'vtrace tanh_normal no normalization', action: BOUNDED, network: { distribution: 'tanh_normal', activation: 'relu' }, ppo: { samplesMcEntropy: 4, normalizeAdvantage: false }, batch: { vtrace: true } }),
];
