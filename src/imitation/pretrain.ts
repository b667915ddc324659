// pretrain(): behaviour cloning before (or between) PPO updates: epochs of shuffled minibatches over every
// demonstrated step, maximizing the log-likelihood of the demonstrated actions (and, with `critic`, fitting the
// value to the demonstrations' discounted returns). Cloning keeps its own Adam state; the PPO optimizer state
// is put back afterwards, so PPO resumes with its own moments.
import type { DemoBatch, ImitationUpdateStats } from '../backend/trainer.js';
import { checkBoolean, checkInteger, checkNumber, checkOptions, fail } from '../errors.js';
import { log } from '../log.js';
import { sameSpace } from '../policy/checkpoint.js';
import { PCG32 } from '../rng.js';
import { demonstrationBatch } from './demo-batch.js';
import type { Demonstration } from './demonstration.js';
import { cloningUnits, freshOptimizer, parameterCount, shuffledPlan, type ImitationHost } from './host.js';
import { refuseRecurrentImitation } from '../backend/imitation.js';

/** How pretrain() trains. */
export interface PretrainOptions {
  /** Passes over every demonstrated step. */
  epochs: number;
  /**
   * Steps per minibatch (one Adam step each; at most all steps); an epoch runs floor(steps / batchSize) of them.
   * A recurrent network's minibatches are whole sequences of `network.memory.sequenceLength` steps: as many as
   * fit in batchSize (at least one).
   */
  batchSize: number;
  /**
   * Adam step size.
   * @default the trainer's current learning rate
   */
  learningRate?: number;
  /**
   * Also fit the critic to the demonstrations' discounted returns (`criticCoef * mean((V - R)^2)`).
   * @default false
   */
  critic?: boolean;
  /**
   * The critic term's weight, with `critic`.
   * @default 0.5
   */
  criticCoef?: number;
  /**
   * Discount of the returns the critic fits.
   * @default 0.99
   */
  gamma?: number;
  /**
   * Seeds the shuffles.
   * @default 0
   */
  seed?: number;
  /** Called after each epoch with its stats (a listener's error is logged, never stops the training). */
  onProgress?: (stats: PretrainEpoch) => void;
}

/** One pretraining epoch's means. */
export interface PretrainEpoch extends ImitationUpdateStats {
  /** 1-based. */
  epoch: number;
  /** Of `epochs`. */
  epochs: number;
}

const KNOWN = ['epochs', 'batchSize', 'learningRate', 'critic', 'criticCoef', 'gamma', 'seed', 'onProgress'];

/** Checks demonstrations against the host's spaces and turns them into the rows the trainer clones. */
export function hostBatch(host: ImitationHost, demonstrations: Demonstration | readonly Demonstration[], gamma: number): DemoBatch {
  refuseRecurrentImitation(host.memory, host.trainer.backend); // before the demonstrations join any statistics
  const list = Array.isArray(demonstrations) ? demonstrations : [demonstrations as Demonstration];
  list.forEach((d, i) => {
    if (!sameSpace(d.observationSpace, host.observationSpace)) fail(`demonstrations[${i}].observationSpace`, "the agent's observation space", d.observationSpace);
    if (!sameSpace(d.actionSpace, host.actionSpace)) fail(`demonstrations[${i}].actionSpace`, "the agent's action space", d.actionSpace);
  });
  const batch = demonstrationBatch(list, gamma);
  if (host.prepareObservations) batch.observations = host.prepareObservations(batch.observations, batch.rows);
  return batch;
}

/**
 * Behaviour cloning of `demonstrations` on the host's trainer: `epochs` passes of shuffled minibatches, one
 * Adam step each (an optimizer state of its own; the PPO one is restored after). Returns each epoch's stats
 * (loss_bc, accuracy for categorical actions, log_likelihood, ...). The host hears of the new parameters once,
 * at the end. A recurrent host (`memory`) trains on whole sequences of each recorded agent, each episode from a
 * zero state; a sequence cut inside an episode starts from the state the network reaches there, replayed
 * without gradient with the parameters at the start of each epoch (src/backend/trainer.ts).
 */
export async function pretrain(host: ImitationHost, demonstrations: Demonstration | readonly Demonstration[], options: PretrainOptions): Promise<PretrainEpoch[]> {
  const o = checkOptions('options', options, KNOWN);
  const epochs = checkInteger('options.epochs', o.epochs, 1);
  const batchSize = checkInteger('options.batchSize', o.batchSize, 1);
  const learningRate = o.learningRate === undefined ? undefined : checkNumber('options.learningRate', o.learningRate, 0);
  const critic = o.critic === undefined ? false : checkBoolean('options.critic', o.critic);
  const criticCoef = o.criticCoef === undefined ? 0.5 : checkNumber('options.criticCoef', o.criticCoef, 0);
  const gamma = o.gamma === undefined ? 0.99 : checkNumber('options.gamma', o.gamma, 0, 1);
  const seed = o.seed === undefined ? 0 : checkInteger('options.seed', o.seed, 0, 0xffffffff);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') fail('options.onProgress', 'a function', o.onProgress);
  const batch = hostBatch(host, demonstrations, gamma);
  const units = cloningUnits(host, batch, batchSize);
  const rng = new PCG32(seed, 0xbc);
  const trainer = host.trainer;
  const ppoOptimizer = await trainer.getOptimizerState();
  trainer.setOptimizerState(freshOptimizer(parameterCount(trainer)));
  const history: PretrainEpoch[] = [];
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const plan = shuffledPlan(units.count, 1, Math.floor(units.count / units.perMinibatch), units.perMinibatch, rng, units.unit);
      const stats = await trainer.imitate(batch, plan, { criticCoef: critic ? criticCoef : 0, ...(learningRate === undefined ? {} : { learningRate }) });
      const entry = { ...stats, epoch, epochs };
      history.push(entry);
      try {
        o.onProgress?.(entry);
      } catch (error) {
        log.warn(`webppo: pretrain onProgress listener threw (training continues): ${(error as Error).message}`);
      }
    }
  } finally {
    trainer.setOptimizerState(ppoOptimizer);
  }
  await host.parametersChanged(await trainer.getParameters(), ppoOptimizer);
  return history;
}
