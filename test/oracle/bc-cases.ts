// The behaviour-cloning test table: every head (masked categorical, multi-discrete, normal, tanh_normal), with
// and without the critic term and a shared trunk under separateLosses, on the PPO table's tiny networks. A
// demonstration is a PPO case's batch read as demonstrated steps: its observations, actions (tanh_normal: the
// squashed game action, one row pushed onto the box's edge to exercise the clamp), masks and returns.
import type { DemoBatch, MinibatchPlan } from '../../src/backend/trainer.js';
import { ORACLE_CASES, type OracleCase } from './cases.js';
import { randomPlan } from './batches.js';

export interface ImitationCase {
  name: string;
  base: OracleCase;
  criticCoef: number;
  makeDemo(seed: number): DemoBatch;
  /** Two epochs of two weighted minibatches over the rows. */
  makePlan(seed: number): MinibatchPlan;
}

function imitationCase(baseName: string, criticCoef: number): ImitationCase {
  const base = ORACLE_CASES.find((c) => c.name === baseName);
  if (!base) throw new Error(`no oracle case ${baseName}`);
  const space = base.policy.actionSpace;
  const makeDemo = (seed: number): DemoBatch => {
    const batch = base.makeBatch(seed);
    const rows = batch.numSteps * batch.numEnvs;
    let actions = batch.actions;
    if (space.kind === 'box' && base.policy.network.distribution === 'tanh_normal') {
      const D = space.size;
      actions = Float32Array.from(batch.actions, (u, i) => {
        const d = i % D;
        return (space.high[d] + space.low[d]) / 2 + ((space.high[d] - space.low[d]) / 2) * Math.tanh(u);
      });
      actions[0] = space.high[0]; // on the edge: atanh(1) is infinite, the clamp makes it finite
    }
    return { rows, observations: batch.observations, actions, ...(batch.masks ? { masks: batch.masks } : {}), returns: batch.returns };
  };
  return {
    name: `${baseName}${criticCoef > 0 ? ` critic ${criticCoef}` : ''}`,
    base,
    criticCoef,
    makeDemo,
    makePlan: (seed) => randomPlan({ numSteps: makeDemo(seed).rows, numEnvs: 1 }, { unit: 'rows', numEpochs: 2, numMinibatches: 2, seed, weights: true }),
  };
}

export const IMITATION_CASES: readonly ImitationCase[] = [
  imitationCase('discrete3', 0),
  imitationCase('discrete3 masked relu', 0.5),
  imitationCase('multidiscrete[3,2]', 0),
  imitationCase('multidiscrete[3,2] masked shared', 0.5),
  imitationCase('box2 normal', 0),
  imitationCase('box2 normal shared relu [16]', 0.5),
  imitationCase('box2 tanh_normal K4', 0),
  imitationCase('box2 tanh_normal K4 shared separateLosses', 0.5),
  imitationCase('linear policy (no hidden layers)', 0.5),
];
