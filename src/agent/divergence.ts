// Divergence: after every update the agent checks the loss stats, the parameters and both Adam moments for
// non-finite values. A diverged update is rolled back (see Agent.update); this module finds what diverged and
// guesses why from the batch and the hyperparameters, so the event tells the user what to change.
import type { PPOConfig } from '../config.js';
import { STAT_NAMES, type Batch, type Hyperparameters, type LossStats, type OptimizerState } from '../backend/trainer.js';
import type { ParameterEntry } from '../policy/network.js';

/** Parameters and Adam state of a trainer, held on the CPU: the last good state an update is checked against. */
export interface TrainerState {
  parameters: Float32Array;
  optimizer: OptimizerState;
}

/** What the 'diverged' event reports: the update was rolled back and the agent keeps its last good policy. */
export interface DivergedEvent {
  /** Updates finished so far (the rolled-back one not counted). */
  updates: number;
  /** Agent steps taken when the rolled-back update's rollout was complete. */
  steps: number;
  /** The first non-finite value found, e.g. "loss_critic is Infinity" or "parameter actor.0.weight[3] is NaN". */
  what: string;
  /** The likely cause and what to change, e.g. "rewards reach 3.4e38; scale rewards or set ppo.normalizeRewards". */
  cause: string;
  /** `${what}: ${cause}` */
  message: string;
  /** Updates rolled back so far (this one included). */
  divergences: number;
}

/** The first non-finite value among the stats, the parameters and the Adam moments, or undefined when all are finite. */
export function findNonFinite(stats: LossStats, state: TrainerState, layout: readonly ParameterEntry[]): string | undefined {
  for (const name of STAT_NAMES) if (!Number.isFinite(stats[name])) return `${name} is ${stats[name]}`;
  const arrays: [string, Float32Array][] = [['parameter', state.parameters], ['Adam first moment of', state.optimizer.m], ['Adam second moment of', state.optimizer.v]];
  for (const [label, values] of arrays) {
    const at = firstNonFinite(values);
    if (at >= 0) return `${label} ${parameterName(layout, at)} is ${values[at]}`;
  }
  return undefined;
}

/** The likely cause of a divergence, from the batch that produced it and the settings it ran with. */
export function diagnose(batch: Batch, hyperparameters: Hyperparameters, ppo: PPOConfig): string {
  const reward = maxAbs(batch.rewards ?? new Float32Array(0));
  const returns = maxAbs(batch.returns);
  const observation = maxAbs(batch.observations);
  const causes: string[] = [];
  if (!(reward < 1e6) || !(returns < 1e6)) {
    causes.push(`rewards reach ${format(reward)} (returns ${format(returns)}); scale rewards${ppo.normalizeRewards ? '' : ' or set ppo.normalizeRewards'}`);
  }
  if (ppo.adamEps === 0) {
    causes.push('ppo.adamEps is 0, so Adam divides 0 by 0 for any parameter whose gradient stays 0 (the logit of an always-masked action); use adamEps > 0 (default 1e-5)');
  }
  if (hyperparameters.learningRate >= 1) {
    causes.push(`learningRate is ${format(hyperparameters.learningRate)}, far above the usual 1e-4 to 1e-2; lower it`);
  }
  if (!(observation < 1e6) && !ppo.normalizeObservations) {
    causes.push(`observations reach ${format(observation)}; scale them or set ppo.normalizeObservations`);
  }
  if (causes.length > 0) return causes.join('; ');
  return `no single cause found (rewards up to ${format(reward)}, learningRate ${format(hyperparameters.learningRate)}, adamEps ${format(ppo.adamEps)}); lower learningRate or set ppo.normalizeRewards`;
}

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

function maxAbs(values: Float32Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (!(a <= max)) max = a; // NaN wins, so a NaN shows up in the message
  }
  return max;
}

function parameterName(layout: readonly ParameterEntry[], index: number): string {
  for (const entry of layout) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (index >= entry.offset && index < entry.offset + size) return `${entry.name}[${index - entry.offset}]`;
  }
  return `[${index}]`;
}

function format(x: number): string {
  return Number.isFinite(x) && x !== 0 && (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3) ? x.toPrecision(2).replace(/\.?0+e/, 'e').replace('e+', 'e') : String(x);
}
