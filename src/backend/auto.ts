// backend 'auto', measured: each candidate trainer runs one warm-up update and one timed update of the
// agent's own configuration (network, numSteps x numEnvs rows, epochs and minibatches) on a synthetic batch,
// and the faster wins. The updates use an explicit plan and explicit entropy noise (no generator of the
// trainer moves), and every candidate is put back to its initial parameters and a fresh optimizer afterwards,
// so the winner starts exactly as a trainer created directly would.
import { PCG32 } from '../rng.js';
import { actionSize, type ActionSpace } from '../spaces.js';
import { createMinibatchPlan } from '../storage/plan.js';
import type { Batch, BackendName, Trainer } from './trainer.js';
import { networkLayout, sequenceCount, type PolicySpec } from '../policy/network.js';
import type { PPOConfig } from '../config.js';

/** What 'auto' measured and chose. */
export interface BackendMeasurement {
  backend: BackendName;
  /** Milliseconds of one update (warm-up excluded) per candidate backend. */
  ms: Partial<Record<BackendName, number>>;
}

/** The shape of the update to time: the agent's configuration. */
export interface UpdateShape {
  policy: PolicySpec;
  ppo: PPOConfig;
  numEnvs: number;
}

/** A seeded batch of the given shape: random observations, valid actions, plausible log-probs and values. */
export function syntheticBatch({ policy, ppo, numEnvs }: UpdateShape, seed = 1): Batch {
  const rng = new PCG32(seed, 0xa070);
  const rows = ppo.numSteps * numEnvs;
  const normals = (n: number) => Float32Array.from({ length: n }, () => rng.nextNormal());
  const space: ActionSpace = policy.actionSpace;
  const dims = actionSize(space);
  const actions = space.kind === 'box' ? normals(rows * dims)
    : Int32Array.from({ length: rows * dims }, (_, i) => rng.nextU32() % (space.kind === 'discrete' ? space.n : space.nvec[i % dims]));
  const batch: Batch = {
    numSteps: ppo.numSteps, numEnvs, observations: normals(rows * policy.observationSize), actions,
    logProbs: Float32Array.from({ length: rows }, () => -1 - rng.nextFloat()), values: normals(rows), advantages: normals(rows), returns: normals(rows),
    entropyNoise: policy.network.distribution === 'tanh_normal' ? normals(ppo.samplesMcEntropy * rows * dims) : undefined,
  };
  const memory = policy.network.memory;
  if (memory !== undefined) {
    // A recurrent update: episodes of the whole segment, every sequence from a zero state.
    batch.terminated = new Uint8Array(rows);
    batch.truncated = new Uint8Array(rows);
    batch.hiddenStates = new Float32Array(sequenceCount(ppo.numSteps, memory) * numEnvs * networkLayout(policy).stateSize);
  }
  return batch;
}

/** One update's wall time on `trainer` (the warm-up is the caller's). */
async function timeUpdate(trainer: Trainer, batch: Batch, plan: ReturnType<typeof createMinibatchPlan>): Promise<number> {
  const started = performance.now();
  await trainer.update(batch, plan);
  return performance.now() - started;
}

/**
 * Times one real update (after one warm-up update) on each candidate and returns the faster's index and the
 * timings. Candidates are restored to their initial parameters and a zeroed optimizer state.
 * @property index The index in `candidates` of the fastest.
 * @property ms Milliseconds of the timed update per candidate, in `candidates` order.
 */
export async function measureBackends(candidates: readonly Trainer[], shape: UpdateShape): Promise<{ index: number; ms: number[] }> {
  const batch = syntheticBatch(shape);
  const plan = createMinibatchPlan({
    numSteps: shape.ppo.numSteps, numEnvs: shape.numEnvs, numEpochs: shape.ppo.numEpochs, numMinibatches: shape.ppo.numMinibatches,
    // A recurrent network trains on whole segments.
    unit: shape.policy.network.memory === undefined ? 'rows' : 'segments', mode: 'shuffled', seed: 1,
  });
  const ms: number[] = [];
  for (const trainer of candidates) {
    const initial = await trainer.getParameters();
    await trainer.update(batch, plan);
    ms.push(await timeUpdate(trainer, batch, plan));
    trainer.setParameters(initial);
    const zeros = new Float32Array(initial.length);
    trainer.setOptimizerState({ m: zeros, v: zeros, step: 0 });
  }
  let index = 0;
  for (let i = 1; i < ms.length; i++) if (ms[i] < ms[index]) index = i;
  return { index, ms };
}
