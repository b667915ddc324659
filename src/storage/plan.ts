// Minibatch plans for one update: every epoch's minibatches as indices of rows (t * numEnvs + e) or env
// segments (e), drawn in one wasm call. Backends use createMinibatchPlan for their default plan.
import type { MinibatchPlan } from '../backend/trainer.js';
import { checkInteger, checkKeys, checkNumber, checkOneOf } from '../errors.js';
import { wasm } from '../init.js';
import { checkPrioritiesType, drawPrioritized, PLAN_STREAM } from './sampler.js';
import { checkBlocks } from '../wasm-memory.js';
import { copyOutInt32, seedU64, withBlocks } from './wasm-blocks.js';

/** Input of {@link createMinibatchPlan}. */
export interface MinibatchPlanInput {
  /** Time steps in the batch (T). */
  numSteps: number;
  /** Envs per time step (N). */
  numEnvs: number;
  /** Epochs to plan. */
  numEpochs: number;
  /**
   * Minibatches per epoch, at most the number of units; each gets floor(units / numMinibatches) of them (the rest sit out that epoch).
   */
  numMinibatches: number;
  /** Draw rows (`t * numEnvs + e`) or whole env segments (`e`). */
  unit: 'rows' | 'segments';
  /**
   * sequential: units 0 .. in order every epoch; shuffled: a fresh permutation per epoch (no repeats within
   * an epoch); prioritized: draws with replacement by priority, with importance weights (alpha 0 = shuffled).
   */
  mode: 'sequential' | 'shuffled' | 'prioritized';
  /** Seed of the PCG32 generator the draws use (a 64-bit bigint or a number). */
  seed: number | bigint;
  /** prioritized: one priority per unit (numSteps x numEnvs rows, or numEnvs segments). */
  priorities?: Float32Array;
  /** prioritized: priority exponent; 0 means plain shuffled minibatches without weights (DESIGN.md). */
  alpha?: number;
  /** prioritized: importance-weight exponent for this update (the caller anneals it from beta0 towards 1). */
  beta?: number;
}

const PLAN_INPUT = ['numSteps', 'numEnvs', 'numEpochs', 'numMinibatches', 'unit', 'mode', 'seed', 'priorities', 'alpha', 'beta'];

/**
 * Every epoch's minibatches of one update as indices of rows or env segments, drawn in one wasm call:
 * sequential, shuffled (a fresh permutation per epoch) or prioritized (with importance weights). Needs
 * `await init()` first.
 * @example
 * ```ts
 * import { init, createMinibatchPlan } from 'webppo';
 * await init();
 * const plan = createMinibatchPlan({ numSteps: 8, numEnvs: 4, numEpochs: 2, numMinibatches: 4, unit: 'rows', mode: 'shuffled', seed: 1 });
 * console.log(plan.unitsPerMinibatch === 8 && plan.indices.length === 64); // true
 * ```
 */
export function createMinibatchPlan(input: MinibatchPlanInput): MinibatchPlan {
  checkKeys('createMinibatchPlan(input)', input, PLAN_INPUT);
  const T = checkInteger('numSteps', input.numSteps, 1);
  const N = checkInteger('numEnvs', input.numEnvs, 1);
  const numEpochs = checkInteger('numEpochs', input.numEpochs, 1);
  const unit = checkOneOf('unit', input.unit, ['rows', 'segments'] as const);
  const units = unit === 'rows' ? T * N : N;
  const numMinibatches = checkInteger('numMinibatches', input.numMinibatches, 1, units);
  const mode = checkOneOf('mode', input.mode, ['sequential', 'shuffled', 'prioritized'] as const);
  const seed = seedU64('seed', input.seed);
  const unitsPerMinibatch = Math.floor(units / numMinibatches);
  const perEpoch = numMinibatches * unitsPerMinibatch;
  const total = numEpochs * perEpoch;
  const plan = { unit, numEpochs, numMinibatches, unitsPerMinibatch };
  // Indices and weights of every epoch, and the permutation scratch, sized before anything is allocated.
  checkBlocks('numEpochs', [total * 4, total * 4, units * 8], numEpochs);
  if (mode === 'prioritized') {
    const priorities = checkPrioritiesType('priorities', input.priorities, units);
    const alpha = checkNumber('alpha', input.alpha, 0);
    const beta = checkNumber('beta', input.beta, 0, 1);
    if (alpha > 0) return { ...plan, ...drawPrioritized(priorities, total, alpha, beta, seed) };
  }
  const indices = withBlocks(({ alloc }) => {
    const out = alloc(total * 4);
    if (mode === 'sequential') wasm().planSequential(numEpochs, perEpoch, out);
    else wasm().planShuffled(units, numEpochs, perEpoch, seed, PLAN_STREAM, alloc(units * 4), out);
    return copyOutInt32(out, total);
  });
  return { ...plan, indices };
}
