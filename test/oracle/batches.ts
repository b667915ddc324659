// Realistic random batches and plans for trainer tests: actions sampled from the policy (honoring masks),
// old log-probs and values the policy's own slightly perturbed (so ratios straddle the clip range), rewards
// with terminations and truncations, first-pass GAE advantages and returns. Seeded, deterministic.
import type { Batch, MinibatchPlan } from '../../src/backend/trainer.js';
import { initialParameters } from '../../src/policy/init.js';
import { networkLayout, type PolicySpec } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { actionSize, logitCount } from '../../src/spaces.js';
import { oracleEvaluate } from './ppo-oracle.js';

export interface RandomBatchOptions {
  numSteps: number;
  numEnvs: number;
  seed: number;
  /** The policy's current parameters; default: the seeded initial ones. */
  params?: Float32Array;
  /** Random action masks (categorical spaces), at least one allowed action per branch and row. */
  masks?: boolean;
  /** Logits masked in every row (implies masks), e.g. to check their weights get no gradient. */
  alwaysMasked?: readonly number[];
  /** Carry rewards, terminated, truncated, bootstrapValues and lastValues, so whole segments recompute V-trace. */
  vtrace?: boolean;
  /** Random importance weights in [0.5, 1.5] (batch.weights). */
  weights?: boolean;
  /** Entropy noise samples for tanh_normal (batch.entropyNoise); default 1. */
  samplesMcEntropy?: number;
  gamma?: number;
  gaeLambda?: number;
  /** Std of the log-prob perturbation: ratios are exp(-noise). Default 0.15. */
  logProbNoise?: number;
  /** Std of the value perturbation. Default 0.25. */
  valueNoise?: number;
}

export function randomBatch(policy: PolicySpec, options: RandomBatchOptions): Batch {
  const { numSteps: T, numEnvs: N } = options;
  const rows = T * N;
  const rng = new PCG32(options.seed, 0xba7c);
  const normal = () => rng.nextNormal();
  const space = policy.actionSpace;
  const layout = networkLayout(policy);
  const params = options.params ?? initialParameters(layout, options.seed);
  const observations = Float32Array.from({ length: rows * policy.observationSize }, normal);

  let masks: Uint8Array | undefined;
  const logits = logitCount(space);
  if (space.kind !== 'box' && (options.masks || options.alwaysMasked)) {
    const nvec = space.kind === 'discrete' ? [space.n] : space.nvec;
    const never = new Set(options.alwaysMasked ?? []);
    masks = new Uint8Array(rows * logits);
    for (let row = 0; row < rows; row++) {
      let base = 0;
      for (const n of nvec) {
        const open: number[] = [];
        for (let k = 0; k < n; k++) {
          if (never.has(base + k)) continue;
          open.push(base + k);
          if (!options.masks || rng.nextFloat() < 0.65) masks[row * logits + base + k] = 1;
        }
        if (open.length === 0) throw new Error(`randomBatch: alwaysMasked leaves no action in the branch at logit ${base}`);
        if (!open.some((i) => masks![row * logits + i])) masks[row * logits + open[Math.floor(rng.nextFloat() * open.length)]] = 1;
        base += n;
      }
    }
  }

  const K = options.samplesMcEntropy ?? 1;
  const entropyNoise = space.kind === 'box' && policy.network.distribution === 'tanh_normal'
    ? Float32Array.from({ length: K * rows * space.size }, normal)
    : undefined;

  // Act with the current policy.
  const { actorOutputs } = oracleEvaluate(policy, params, {
    numSteps: T, numEnvs: N, observations, actions: space.kind === 'box' ? new Float32Array(rows * space.size) : new Int32Array(rows * actionSize(space)), masks,
  });
  let actions: Float32Array | Int32Array;
  if (space.kind === 'box') {
    actions = new Float32Array(rows * space.size);
    for (let row = 0; row < rows; row++) {
      for (let d = 0; d < space.size; d++) {
        const sigma = Math.exp(params[layout.logStdOffset + d]);
        actions[row * space.size + d] = actorOutputs[row * space.size + d] + sigma * normal();
      }
    }
  } else {
    const nvec = space.kind === 'discrete' ? [space.n] : space.nvec;
    actions = new Int32Array(rows * nvec.length);
    for (let row = 0; row < rows; row++) {
      let base = 0;
      nvec.forEach((n, b) => {
        const weights = Array.from({ length: n }, (_, k) => (masks && !masks[row * logits + base + k] ? 0 : Math.exp(actorOutputs[row * logits + base + k])));
        let u = rng.nextFloat() * weights.reduce((a, w) => a + w, 0);
        let k = weights.findIndex((w) => w > 0);
        for (let j = 0; j < n; j++) {
          if (weights[j] === 0) continue;
          k = j;
          u -= weights[j];
          if (u < 0) break;
        }
        actions[row * nvec.length + b] = k;
        base += n;
      });
    }
  }
  const now = oracleEvaluate(policy, params, { numSteps: T, numEnvs: N, observations, actions, masks });
  const logProbNoise = options.logProbNoise ?? 0.15;
  const valueNoise = options.valueNoise ?? 0.25;
  const logProbs = Float32Array.from(now.logProbs, (lp) => lp + logProbNoise * normal());
  const values = Float32Array.from(now.values, (v) => v + valueNoise * normal());

  // Environment outcomes and first-pass (ratio = 1) GAE.
  const rewards = Float32Array.from({ length: rows }, normal);
  const terminated = new Uint8Array(rows);
  const truncated = new Uint8Array(rows);
  const bootstrapValues = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    const u = rng.nextFloat();
    if (u < 0.1) terminated[row] = 1;
    else if (u < 0.2) {
      truncated[row] = 1;
      bootstrapValues[row] = normal();
    }
  }
  const lastValues = Float32Array.from({ length: N }, normal);
  const gamma = options.gamma ?? 0.99;
  const lambda = options.gaeLambda ?? 0.95;
  const advantages = new Float32Array(rows);
  const returns = new Float32Array(rows);
  for (let e = 0; e < N; e++) {
    let following = 0;
    for (let t = T - 1; t >= 0; t--) {
      const row = t * N + e;
      const next = terminated[row] ? 0 : truncated[row] ? bootstrapValues[row] : t < T - 1 ? values[row + N] : lastValues[e];
      const done = terminated[row] || truncated[row] ? 1 : 0;
      following = rewards[row] + gamma * next - values[row] + gamma * lambda * (1 - done) * following;
      advantages[row] = following;
      returns[row] = following + values[row];
    }
  }

  const batch: Batch = { numSteps: T, numEnvs: N, observations, actions, logProbs, values, advantages, returns };
  if (masks) batch.masks = masks;
  if (entropyNoise) batch.entropyNoise = entropyNoise;
  if (options.weights) batch.weights = Float32Array.from({ length: rows }, () => 0.5 + rng.nextFloat());
  if (options.vtrace) Object.assign(batch, { rewards, terminated, truncated, bootstrapValues, lastValues });
  return batch;
}

export interface RandomPlanOptions {
  unit: 'rows' | 'segments';
  numEpochs: number;
  numMinibatches: number;
  seed: number;
  /** Random importance weights in [0.5, 1.5] (plan.weights). */
  weights?: boolean;
}

/** Each epoch a fresh permutation of the rows (or segments), cut into equal minibatches. */
export function randomPlan(batch: Pick<Batch, 'numSteps' | 'numEnvs'>, options: RandomPlanOptions): MinibatchPlan {
  const count = options.unit === 'rows' ? batch.numSteps * batch.numEnvs : batch.numEnvs;
  if (count % options.numMinibatches !== 0) throw new Error(`randomPlan: ${count} ${options.unit} do not split into ${options.numMinibatches} minibatches`);
  const rng = new PCG32(options.seed, 0x91a7);
  const indices = new Int32Array(options.numEpochs * count);
  for (let epoch = 0; epoch < options.numEpochs; epoch++) {
    const order = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(rng.nextFloat() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    indices.set(order, epoch * count);
  }
  const plan: MinibatchPlan = {
    unit: options.unit,
    numEpochs: options.numEpochs,
    numMinibatches: options.numMinibatches,
    unitsPerMinibatch: count / options.numMinibatches,
    indices,
  };
  if (options.weights) plan.weights = Float32Array.from(indices, () => 0.5 + rng.nextFloat());
  return plan;
}
