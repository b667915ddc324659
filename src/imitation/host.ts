// What behaviour cloning needs of an agent: its trainer, its spaces, how it feeds observations to the network,
// and a way to hear that the parameters changed. An Agent implements it (agent.pretrain() wraps pretrain()).
import type { MinibatchPlan, OptimizerState, Trainer } from '../backend/trainer.js';
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
 * `epochs` shuffles of the rows, each cut into `batches` minibatches of exactly `batchSize` rows (the rows past
 * batches x batchSize sit that epoch out, as ML-Agents' BC module does).
 */
export function shuffledPlan(rows: number, epochs: number, batches: number, batchSize: number, rng: PCG32): MinibatchPlan {
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
  return { unit: 'rows', numEpochs: epochs, numMinibatches: batches, unitsPerMinibatch: batchSize, indices };
}
