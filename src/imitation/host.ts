// What behaviour cloning needs of an agent: its trainer, its spaces, how it feeds observations to the network,
// and a way to hear that the parameters changed. An Agent implements it (agent.pretrain() wraps pretrain()).
import { demoSequences } from '../backend/imitation.js';
import type { DemoBatch, MinibatchPlan, OptimizerState, Trainer } from '../backend/trainer.js';
import type { MemorySpec } from '../policy/network.js';
import type { PCG32 } from '../rng.js';
import type { ActionSpace, Space } from '../spaces.js';

/** The parts of an agent that pretrain() and BehavioralCloning use. */
export interface ImitationHost {
  /** The agent's trainer: cloning runs on it (imitate), between its PPO updates. */
  readonly trainer: Trainer;
  /** The agent's observation space; demonstrations must have the same. */
  readonly observationSpace: Space;
  /** The agent's action space; demonstrations must have the same. */
  readonly actionSpace: ActionSpace;
  /** The network's recurrent cell (network.memory): cloning then replays each recorded agent as sequences. */
  readonly memory?: MemorySpec;
  /**
   * Demonstrated observations (rows x observation size, as recorded) as the network sees them: the agent's
   * observation normalization, when it has one. Absent: as recorded.
   */
  prepareObservations?(raw: Float32Array, rows: number): Float32Array;
  /**
   * Cloning changed the parameters: the agent refreshes the copy it acts with (and anything it keeps to recover
   * from a lost device). `optimizer` is the PPO optimizer state the trainer holds again.
   */
  parametersChanged(parameters: Float32Array, optimizer: OptimizerState): void | Promise<void>;
}

/** A fresh Adam state (cloning keeps its own, as ML-Agents' BC module has its own optimizer). */
export function freshOptimizer(size: number): OptimizerState {
  return { m: new Float32Array(size), v: new Float32Array(size), step: 0 };
}

/** The parameter count of a trainer's layout. */
export function parameterCount(trainer: Trainer): number {
  const last = trainer.parameterLayout[trainer.parameterLayout.length - 1];
  return last.offset + last.shape.reduce((a, b) => a * b, 1);
}

/**
 * What a cloning minibatch is made of: demonstrated rows, or for a recurrent network whole sequences (the
 * trainer's order, demoSequences), as many as fit in `batchSize` steps (at least one, at most all).
 * @returns the unit, how many there are, how many make a minibatch, and the steps in one.
 */
export function cloningUnits(host: ImitationHost, batch: DemoBatch, batchSize: number): { unit: MinibatchPlan['unit']; count: number; perMinibatch: number; steps: number } {
  if (host.memory === undefined) {
    const per = Math.min(batchSize, batch.rows);
    return { unit: 'rows', count: batch.rows, perMinibatch: per, steps: 1 };
  }
  const seq = demoSequences(batch.streams!, host.memory);
  return { unit: 'segments', count: seq.count, perMinibatch: Math.min(seq.count, Math.max(1, Math.floor(batchSize / seq.length))), steps: seq.length };
}

/**
 * `epochs` shuffles of the units (rows, or sequences), each cut into `batches` minibatches of exactly
 * `batchSize` units (those past batches x batchSize sit that epoch out, as ML-Agents' BC module does).
 */
export function shuffledPlan(rows: number, epochs: number, batches: number, batchSize: number, rng: PCG32, unit: MinibatchPlan['unit'] = 'rows'): MinibatchPlan {
  const per = batches * batchSize;
  const indices = new Int32Array(epochs * per);
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  for (let e = 0; e < epochs; e++) {
    for (let i = rows - 1; i > 0; i--) {
      const j = rng.nextU32() % (i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    indices.set(order.subarray(0, per), e * per);
  }
  return { unit, numEpochs: epochs, numMinibatches: batches, unitsPerMinibatch: batchSize, indices };
}
