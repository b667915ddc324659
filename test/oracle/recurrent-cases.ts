// The recurrent cases every backend is checked on against the oracle: LSTM and GRU, every head type, shared and
// separate networks, masks, V-trace recomputation, sequences cut inside a segment (a ragged last one too), and
// batches with episode ends inside sequences and random stored states.
import type { Batch, MinibatchPlan } from '../../src/backend/trainer.js';
import type { PPOConfigInput } from '../../src/config.js';
import { networkLayout, sequenceCount, type MemorySpec, type NetworkSpecInput, type PolicySpec } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete, MultiDiscrete, type ActionSpace } from '../../src/spaces.js';
import { randomBatch } from '../cpu/helpers.js';

export interface RecurrentCase {
  name: string;
  space: ActionSpace;
  network: NetworkSpecInput & { memory: MemorySpec };
  ppo?: PPOConfigInput;
  extra?: { masks?: boolean; vtrace?: boolean; noiseSamples?: number };
}

export const RECURRENT_CASES: RecurrentCase[] = [
  { name: 'LSTM, masked discrete, separate, sequences of 3 in 7 steps', space: Discrete(4), network: { hidden: [5], memory: { cell: 'lstm', size: 6, sequenceLength: 3 } }, extra: { masks: true } },
  { name: 'GRU, multi-discrete, shared trunk, separate losses', space: MultiDiscrete([3, 2]), network: { hidden: [4], shared: true, memory: { cell: 'gru', size: 5 } }, ppo: { separateLosses: true } },
  { name: 'LSTM, normal box, shared trunk, V-trace', space: Box(2), network: { hidden: [6], shared: true, memory: { cell: 'lstm', size: 4, sequenceLength: 4 } }, extra: { vtrace: true } },
  { name: 'GRU, tanh_normal box, separate, cell on the observations', space: Box(2, -2, 1), network: { hidden: [], distribution: 'tanh_normal', memory: { cell: 'gru', size: 3, sequenceLength: 2 } }, ppo: { samplesMcEntropy: 2 }, extra: { noiseSamples: 2 } },
  { name: 'GRU, masked discrete, separate, two hidden layers, V-trace', space: Discrete(3), network: { hidden: [3, 4], activation: 'relu', memory: { cell: 'gru', size: 9, sequenceLength: 4 } }, extra: { masks: true, vtrace: true } },
  { name: 'LSTM, discrete, shared trunk, value clip, smooth_l1', space: Discrete(5), network: { hidden: [4], shared: true, memory: { cell: 'lstm', size: 5, sequenceLength: 2 } }, ppo: { clipValue: 0.1, lossCriticType: 'smooth_l1' } },
];

/** Steps and envs of the recurrent batches. */
export const RECURRENT_T = 7;
export const RECURRENT_N = 4;

/** Two epochs of two minibatches of two shuffled segments. */
export const SEGMENT_PLAN: Readonly<MinibatchPlan> = Object.freeze({
  unit: 'segments', numEpochs: 2, numMinibatches: 2, unitsPerMinibatch: 2, indices: Int32Array.from([2, 0, 3, 1, 1, 3, 0, 2]),
});

/** A random batch with episode ends of both kinds inside sequences and random stored states. */
export function recurrentBatch(policy: PolicySpec, seed: number, extra: RecurrentCase['extra'] = {}, T = RECURRENT_T, N = RECURRENT_N): Batch {
  const batch = randomBatch(policy, T, N, seed, extra);
  const rng = new PCG32(seed, 21);
  // Episode ends inside sequences (both kinds), whatever randomBatch drew.
  batch.terminated ??= Uint8Array.from({ length: T * N }, () => (rng.nextFloat() < 0.15 ? 1 : 0));
  batch.truncated ??= Uint8Array.from({ length: T * N }, () => (rng.nextFloat() < 0.1 ? 1 : 0));
  batch.terminated[1 * N + 0] = 1;
  batch.truncated[2 * N + 2] = 1;
  const S = networkLayout(policy).stateSize;
  batch.hiddenStates = Float32Array.from({ length: sequenceCount(T, policy.network.memory!) * N * S }, () => rng.nextNormal() * 0.5);
  return batch;
}

/** Parameters away from the init (so every gate and head is in play). */
export function perturbed(policy: PolicySpec, seed: number): Float32Array {
  const rng = new PCG32(seed, 4);
  return Float32Array.from({ length: networkLayout(policy).size }, () => rng.nextNormal() * 0.4);
}
