// Batch and plan validation shared by both backends: runs before any dispatch or write, so a rejected call
// leaves parameters and optimizer state as they were.
import { checkArray, checkInteger, fail } from '../errors.js';
import { networkLayout, resolveNetworkSpec, sequenceCount, type PolicySpec } from '../policy/network.js';
import { actionSize, logitCount, validateSpace } from '../spaces.js';
import type { Batch, MinibatchPlan } from './trainer.js';

/** What a backend is built from, checked at construction so a bad spec fails with the field named. */
export function validatePolicy(policy: PolicySpec, field = 'policy'): PolicySpec {
  if (typeof policy !== 'object' || policy === null) fail(field, 'a PolicySpec', policy);
  checkInteger(`${field}.observationSize`, policy.observationSize, 1);
  validateSpace(`${field}.actionSpace`, policy.actionSpace);
  const network = resolveNetworkSpec(policy.network, `${field}.network`);
  const space = policy.actionSpace;
  if (space.kind === 'box' && network.distribution === 'tanh_normal') {
    for (let d = 0; d < space.size; d++) {
      if (!Number.isFinite(space.low[d]) || !Number.isFinite(space.high[d])) {
        fail(`${field}.actionSpace.low/high[${d}]`, "finite bounds for a 'tanh_normal' distribution", `${space.low[d]}, ${space.high[d]}`);
      }
    }
  }
  return { ...policy, network };
}

export function validateBatch(batch: Batch, policy: PolicySpec, samplesMcEntropy = 1): void {
  if (typeof batch !== 'object' || batch === null) fail('batch', 'an object', batch);
  const T = checkInteger('batch.numSteps', batch.numSteps, 1);
  const N = checkInteger('batch.numEnvs', batch.numEnvs, 1);
  const rows = T * N;
  const space = policy.actionSpace;
  checkArray('batch.observations', batch.observations, Float32Array, rows * policy.observationSize, policy.observationSize);
  checkArray('batch.logProbs', batch.logProbs, Float32Array, rows);
  checkArray('batch.values', batch.values, Float32Array, rows);
  checkArray('batch.advantages', batch.advantages, Float32Array, rows);
  checkArray('batch.returns', batch.returns, Float32Array, rows);
  if (batch.weights !== undefined) checkArray('batch.weights', batch.weights, Float32Array, rows);
  const perRow = actionSize(space);
  if (space.kind === 'box') {
    checkArray('batch.actions', batch.actions, Float32Array, rows * perRow, perRow);
    if (batch.masks !== undefined) fail('batch.masks', 'undefined for a Box action space', batch.masks);
  } else {
    const actions = checkArray('batch.actions', batch.actions, Int32Array, rows * perRow);
    const nvec = space.kind === 'discrete' ? [space.n] : space.nvec;
    const logits = logitCount(space);
    const masks = batch.masks === undefined ? undefined : checkArray('batch.masks', batch.masks, Uint8Array, rows * logits);
    for (let row = 0; row < rows; row++) {
      let base = 0;
      for (let b = 0; b < nvec.length; b++) {
        const a = actions[row * perRow + b];
        if (a < 0 || a >= nvec[b]) fail(`batch.actions[row ${row}, branch ${b}]`, `an integer in [0, ${nvec[b] - 1}]`, a);
        if (masks) {
          let allowed = 0;
          for (let k = 0; k < nvec[b]; k++) {
            const m = masks[row * logits + base + k];
            if (m > 1) fail(`batch.masks[row ${row}, ${base + k}]`, '0 or 1', m);
            allowed += m;
          }
          if (allowed === 0) fail(`batch.masks[row ${row}, branch ${b}]`, 'at least one allowed action', 'all masked');
          if (!masks[row * logits + base + a]) fail(`batch.actions[row ${row}, branch ${b}]`, 'an action allowed by the mask', a);
        }
        base += nvec[b];
      }
    }
  }
  if (batch.rewards !== undefined) {
    checkArray('batch.rewards', batch.rewards, Float32Array, rows);
    checkArray('batch.terminated', batch.terminated, Uint8Array, rows);
    checkArray('batch.truncated', batch.truncated, Uint8Array, rows);
    checkArray('batch.bootstrapValues', batch.bootstrapValues, Float32Array, rows);
    checkArray('batch.lastValues', batch.lastValues, Float32Array, N);
  }
  const memory = policy.network?.memory; // callers that check only the data may pass no network
  if (memory !== undefined) {
    // Recurrent: episode ends reset the state inside sequences, and each sequence starts from a stored state.
    checkArray('batch.terminated', batch.terminated, Uint8Array, rows);
    checkArray('batch.truncated', batch.truncated, Uint8Array, rows);
    const stateSize = networkLayout(policy).stateSize;
    checkArray('batch.hiddenStates', batch.hiddenStates, Float32Array, sequenceCount(T, memory) * N * stateSize, stateSize);
  } else if (batch.hiddenStates !== undefined) {
    fail('batch.hiddenStates', 'undefined for a network without memory', batch.hiddenStates);
  }
  if (batch.entropyNoise !== undefined) {
    if (space.kind !== 'box') fail('batch.entropyNoise', 'undefined for a categorical action space', batch.entropyNoise);
    checkArray('batch.entropyNoise', batch.entropyNoise, Float32Array, samplesMcEntropy * rows * space.size);
  }
}

/** A plan over the batch; a recurrent network (`recurrent`) trains on whole segments only. */
export function validatePlan(plan: MinibatchPlan, batch: Batch, recurrent = false): void {
  if (typeof plan !== 'object' || plan === null) fail('plan', 'an object', plan);
  if (plan.unit !== 'rows' && plan.unit !== 'segments') fail('plan.unit', "'rows' or 'segments'", plan.unit);
  if (recurrent && plan.unit !== 'segments') fail('plan.unit', "'segments' for a recurrent network (network.memory)", plan.unit);
  const epochs = checkInteger('plan.numEpochs', plan.numEpochs, 1);
  const minibatches = checkInteger('plan.numMinibatches', plan.numMinibatches, 1);
  const units = checkInteger('plan.unitsPerMinibatch', plan.unitsPerMinibatch, 1);
  const count = plan.unit === 'rows' ? batch.numSteps * batch.numEnvs : batch.numEnvs;
  const indices = checkArray('plan.indices', plan.indices, Int32Array, epochs * minibatches * units);
  for (let i = 0; i < indices.length; i++) {
    if (indices[i] < 0 || indices[i] >= count) fail(`plan.indices[${i}]`, `an index in [0, ${count - 1}]`, indices[i]);
  }
  if (plan.weights !== undefined) checkArray('plan.weights', plan.weights, Float32Array, indices.length);
  if (plan.unit === 'segments' && batch.rewards === undefined && !recurrent) {
    fail('batch.rewards', "rewards, terminated, truncated, bootstrapValues and lastValues for a 'segments' plan", undefined);
  }
}
