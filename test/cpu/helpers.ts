// Small random batches and policies for the CPU backend tests.
import { resolvePPOConfig, type PPOConfigInput } from '../../src/config.js';
import { networkLayout, resolveNetworkSpec, type NetworkSpecInput, type PolicySpec } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { actionSize, logitCount, type ActionSpace } from '../../src/spaces.js';
import type { Batch, TrainerOptions } from '../../src/backend/trainer.js';

export function policySpec(observationSize: number, actionSpace: ActionSpace, network: NetworkSpecInput = {}): PolicySpec {
  return { observationSize, actionSpace, network: resolveNetworkSpec({ hidden: [8, 8], ...network }) };
}

export function trainerOptions(policy: PolicySpec, ppo: PPOConfigInput = {}, seed = 1): TrainerOptions {
  return { policy, ppo: resolvePPOConfig(ppo), seed };
}

/** A batch of random data that validates: actions allowed by random masks (when masked). */
export function randomBatch(policy: PolicySpec, numSteps: number, numEnvs: number, seed: number, extra: { masks?: boolean; vtrace?: boolean; weights?: boolean; noiseSamples?: number } = {}): Batch {
  const rng = new PCG32(seed, 7);
  const rows = numSteps * numEnvs;
  const normal = (n: number, scale = 1) => Float32Array.from({ length: n }, () => rng.nextNormal() * scale);
  const space = policy.actionSpace;
  const per = actionSize(space);
  const batch: Batch = {
    numSteps, numEnvs,
    observations: normal(rows * policy.observationSize),
    actions: new Int32Array(0),
    logProbs: new Float32Array(rows),
    values: normal(rows, 0.5),
    advantages: normal(rows),
    returns: normal(rows),
  };
  if (space.kind === 'box') {
    batch.actions = normal(rows * per, 0.7);
    batch.logProbs = normal(rows, 0.3).map((x) => x - 1.5 * per);
  } else {
    const nvec = space.kind === 'discrete' ? [space.n] : space.nvec;
    const L = logitCount(space);
    const actions = new Int32Array(rows * per);
    const masks = new Uint8Array(rows * L);
    for (let r = 0; r < rows; r++) {
      let base = 0;
      nvec.forEach((n, b) => {
        for (let k = 0; k < n; k++) masks[r * L + base + k] = extra.masks ? (rng.nextFloat() < 0.6 ? 1 : 0) : 1;
        const a = Math.floor(rng.nextFloat() * n);
        masks[r * L + base + a] = 1;
        actions[r * per + b] = a;
        base += n;
      });
    }
    batch.actions = actions;
    if (extra.masks) batch.masks = masks;
    batch.logProbs = normal(rows, 0.3).map((x) => x - nvec.reduce((s, n) => s + Math.log(n), 0));
  }
  if (extra.weights) batch.weights = Float32Array.from({ length: rows }, () => 0.5 + rng.nextFloat());
  if (extra.vtrace) {
    batch.rewards = normal(rows);
    batch.terminated = Uint8Array.from({ length: rows }, () => (rng.nextFloat() < 0.1 ? 1 : 0));
    batch.truncated = Uint8Array.from({ length: rows }, () => (rng.nextFloat() < 0.05 ? 1 : 0));
    batch.bootstrapValues = normal(rows, 0.5);
    batch.lastValues = normal(numEnvs, 0.5);
  }
  if (extra.noiseSamples && space.kind === 'box') batch.entropyNoise = normal(extra.noiseSamples * rows * space.size);
  return batch;
}

/** Float64 forward of the actor-critic from the flat parameters: actor outputs and values per row. */
export function referenceForward(policy: PolicySpec, flat: Float32Array, observations: Float32Array): { actor: number[][]; values: number[] } {
  const layers = networkLayout(policy).layers;
  const rows = observations.length / policy.observationSize;
  const dense = (role: string, inputs: number[]) => {
    let x = inputs;
    for (const l of layers.filter((e) => e.role === role)) {
      const y: number[] = [];
      for (let o = 0; o < l.outputs; o++) {
        let s = flat[l.biasOffset + o];
        for (let k = 0; k < l.inputs; k++) s += flat[l.weightOffset + o * l.inputs + k] * x[k];
        y.push(!l.activated ? s : policy.network.activation === 'tanh' ? Math.tanh(s) : Math.max(0, s));
      }
      x = y;
    }
    return x;
  };
  const actor: number[][] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    const trunk = dense('trunk', Array.from(observations.subarray(r * policy.observationSize, (r + 1) * policy.observationSize)));
    actor.push(dense('actor', trunk));
    values.push(dense('critic', trunk)[0]);
  }
  return { actor, values };
}
