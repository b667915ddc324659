// Behaviour cloning, shared by every backend: a DemoBatch is checked once (fields named as the caller wrote
// them) and turned into the Batch the PPO machinery already consumes (one segment of `rows` steps, the PPO
// columns zero); each backend then runs its own forward and backward passes with the loss in imitation mode.
// The math is in src/backend/trainer.ts.
import { checkArray, checkInteger, checkNumber, checkOptions, fail, ValidationError } from '../errors.js';
import type { PolicySpec } from '../policy/network.js';
import { createMinibatchPlan } from '../storage/plan.js';
import { actionSize } from '../spaces.js';
import type { Batch, DemoBatch, ImitationOptions, ImitationStats, LossStats, MinibatchPlan } from './trainer.js';
import { validateBatch, validatePlan } from './validate.js';

/** How far inside (-1, 1) a demonstrated tanh_normal action is clamped before atanh (|u| <= 7.25). */
export const SQUASH_EDGE = 1e-6;

/** What a backend's loss needs to run in imitation mode. */
export interface ImitationMode {
  criticCoef: number;
  learningRate: number;
}

/**
 * Checks a demonstration batch and its options and returns the Batch the backends run (numSteps = rows,
 * numEnvs = 1; tanh_normal actions mapped back to u) and the resolved mode. Throws naming `demo.*` fields.
 */
export function imitationInputs(
  demo: DemoBatch, policy: PolicySpec, options: ImitationOptions | undefined, learningRate: number,
): { batch: Batch; mode: ImitationMode } {
  const opts = checkOptions('options', options, ['criticCoef', 'learningRate']);
  const criticCoef = opts.criticCoef === undefined ? 0 : checkNumber('options.criticCoef', opts.criticCoef, 0);
  const lr = opts.learningRate === undefined ? learningRate : checkNumber('options.learningRate', opts.learningRate, 0);
  if (typeof demo !== 'object' || demo === null) fail('demo', 'a DemoBatch', demo);
  const rows = checkInteger('demo.rows', demo.rows, 1);
  const space = policy.actionSpace;
  const perRow = actionSize(space);
  checkArray('demo.observations', demo.observations, Float32Array, rows * policy.observationSize, policy.observationSize);
  let actions: Int32Array | Float32Array;
  if (space.kind === 'box') {
    const given = checkArray('demo.actions', demo.actions, Float32Array, rows * perRow, perRow);
    actions = policy.network.distribution === 'tanh_normal' ? unsquash(given, space.low, space.high) : given;
  } else {
    actions = checkArray('demo.actions', demo.actions, Int32Array, rows * perRow, perRow);
  }
  if (criticCoef > 0 && demo.returns === undefined) fail('demo.returns', 'returns per row when options.criticCoef > 0', undefined);
  const returns = demo.returns === undefined ? new Float32Array(rows) : checkArray('demo.returns', demo.returns, Float32Array, rows);
  const zeros = new Float32Array(rows);
  const batch: Batch = {
    numSteps: rows, numEnvs: 1, observations: demo.observations, actions, logProbs: zeros, values: zeros,
    advantages: zeros, returns, ...(demo.masks === undefined ? {} : { masks: demo.masks }),
  };
  try {
    validateBatch(batch, policy);
  } catch (error) {
    // The same checks (actions in range, masks), reported against the caller's names.
    if (error instanceof ValidationError) throw new ValidationError(error.field.replace(/^batch\./, 'demo.'), error.expected, error.actual);
    throw error;
  }
  return { batch, mode: { criticCoef, learningRate: lr } };
}

/** Game actions in [low, high] -> pre-squash u = atanh((a - loc) / scale), clamped inside the open interval. */
export function unsquash(actions: Float32Array, low: ArrayLike<number>, high: ArrayLike<number>): Float32Array {
  const dims = low.length;
  const out = new Float32Array(actions.length);
  for (let i = 0; i < actions.length; i++) {
    const d = i % dims;
    const a = actions[i];
    if (!Number.isFinite(a)) fail(`demo.actions[${i}]`, 'a finite number', a);
    const loc = (high[d] + low[d]) / 2;
    const scale = (high[d] - low[d]) / 2;
    const y = Math.min(1 - SQUASH_EDGE, Math.max(-(1 - SQUASH_EDGE), (a - loc) / scale));
    out[i] = Math.atanh(y);
  }
  return out;
}

/** The plan imitate runs without one: `numEpochs` of shuffled rows in `numMinibatches` (at most rows). */
export function imitationPlan(batch: Batch, numEpochs: number, numMinibatches: number, seed: number): MinibatchPlan {
  return createMinibatchPlan({
    numSteps: batch.numSteps, numEnvs: 1, numEpochs, numMinibatches: Math.min(numMinibatches, batch.numSteps),
    unit: 'rows', mode: 'shuffled', seed,
  });
}

/** A caller's plan for a demonstration batch: rows only. */
export function validateImitationPlan(plan: MinibatchPlan, batch: Batch): void {
  validatePlan(plan, batch);
  if (plan.unit !== 'rows') fail('plan.unit', "'rows' (demonstration rows are independent)", plan.unit);
}

/**
 * The backends run the cloning loss through the PPO stat slots: loss_objective holds loss_bc, loss_critic the
 * critic term, clip_fraction the accuracy. This names them.
 */
export function imitationStats(stats: LossStats, categorical: boolean, branchAccuracy: readonly number[]): ImitationStats {
  return {
    loss_bc: stats.loss_objective,
    loss_critic: stats.loss_critic,
    log_likelihood: stats.kl_approx,
    ...(categorical ? { accuracy: stats.clip_fraction, branchAccuracy: [...branchAccuracy] } : {}),
    grad_norm: stats.grad_norm,
  };
}
