// Behaviour cloning during PPO, ML-Agents' way (trainers/torch_entities/components/bc/module.py): after each
// PPO update, `numEpoch` passes of shuffled minibatches of demonstrated steps, with a learning rate of
// strength x the policy's learning rate, annealed linearly to 0 over `steps` environment steps (constant when
// steps = 0). Like ML-Agents, cloning keeps an Adam state of its own and stops once its rate reaches 0.
//
// Differences from ML-Agents: continuous actions maximize the log-likelihood of the demonstrated action (ML-Agents
// takes the mean squared error of a sampled action), a MultiDiscrete row's loss is the sum over its branches
// (ML-Agents: the mean), masks recorded with the demonstration apply (ML-Agents: all allowed), PPO's gradient
// clip and weight decay apply to the cloning steps, and the rate of an update is the one of the current step
// (ML-Agents applies the decayed rate from the next update on).
//
// A recurrent network clones whole sequences of each recorded agent (the rule is in src/backend/trainer.ts);
// the states entering sequences that start inside an episode are replayed once per round, with the parameters
// the round starts from.
import type { ImitationUpdateStats, OptimizerState } from '../backend/trainer.js';
import { checkInteger, checkNumber, checkObject, checkOptions, fail } from '../errors.js';
import { PCG32 } from '../rng.js';
import type { Demonstration } from './demonstration.js';
import { cloningUnits, freshOptimizer, parameterCount, shuffledPlan, type ImitationHost } from './host.js';
import { hostBatch } from './pretrain.js';

/** ML-Agents' `behavioral_cloning` settings, camelCase. */
export interface BehavioralCloningOptions {
  /** The demonstrations to keep close to. */
  demonstrations: Demonstration | readonly Demonstration[];
  /**
   * The cloning learning rate as a fraction of the policy's.
   * @default 1
   */
  strength?: number;
  /**
   * Environment steps over which the strength anneals linearly to 0; 0 keeps it constant.
   * @default 0
   */
  steps?: number;
  /**
   * Demonstrated steps per minibatch (a recurrent network's: whole sequences, as many as fit, at least one).
   * @default the PPO minibatch size given to the constructor
   */
  batchSize?: number;
  /**
   * Passes over the demonstrations after each PPO update.
   * @default the PPO numEpochs given to the constructor
   */
  numEpoch?: number;
  /**
   * The most demonstrated steps per pass (0: all of them).
   * @default 0
   */
  samplesPerUpdate?: number;
  /**
   * Seeds the shuffles.
   * @default 0
   */
  seed?: number;
}

/** What one cloning round after a PPO update did. */
export interface BehavioralCloningStats extends ImitationUpdateStats {
  /** The learning rate it ran at (strength x policy rate, annealed). */
  learningRate: number;
}

/** The PPO side's defaults for the settings left out (ML-Agents takes them from the trainer's hyperparameters). */
export interface BehavioralCloningDefaults {
  /** The policy's (initial) learning rate; cloning's is strength x this. */
  learningRate: number;
  /** PPO's minibatch size. */
  batchSize: number;
  /** PPO's epochs per update. */
  numEpoch: number;
}

const KNOWN = ['demonstrations', 'strength', 'steps', 'batchSize', 'numEpoch', 'samplesPerUpdate', 'seed'];

/**
 * Keeps an agent close to demonstrations while PPO improves it: call `afterUpdate(step)` after each PPO update.
 * Build it once per training run (it holds the demonstrations as trainer rows and its own Adam state).
 */
export class BehavioralCloning {
  /** The cloning learning rate as a fraction of the policy's, before annealing. */
  readonly strength: number;
  /** Environment steps over which the strength anneals to 0 (0: constant). */
  readonly steps: number;
  /** Demonstrated steps per minibatch. */
  readonly batchSize: number;
  /** Passes over the demonstrations per round. */
  readonly numEpoch: number;
  /** The most demonstrated steps per pass (0: all). */
  readonly samplesPerUpdate: number;
  private readonly baseRate: number;
  private readonly batch;
  /** Rows, or a recurrent network's sequences, and how many make a minibatch. */
  private readonly units;
  private readonly rng: PCG32;
  private optimizer: OptimizerState | undefined;

  /**
   * @param host The agent's trainer, spaces and parameter hook.
   * @param options ML-Agents' behavioral_cloning settings.
   * @param defaults The PPO side's learning rate, minibatch size and epochs, for the settings left out.
   */
  constructor(private readonly host: ImitationHost, options: BehavioralCloningOptions, defaults: BehavioralCloningDefaults) {
    checkObject('behavioralCloning', options);
    const o = checkOptions('behavioralCloning', options, KNOWN);
    if (o.demonstrations === undefined) fail('behavioralCloning.demonstrations', 'a demonstration or a list of them', undefined);
    this.strength = o.strength === undefined ? 1 : checkNumber('behavioralCloning.strength', o.strength, 0);
    this.steps = o.steps === undefined ? 0 : checkInteger('behavioralCloning.steps', o.steps, 0);
    this.batchSize = checkInteger('behavioralCloning.batchSize', o.batchSize ?? defaults.batchSize, 1);
    this.numEpoch = checkInteger('behavioralCloning.numEpoch', o.numEpoch ?? defaults.numEpoch, 1);
    this.samplesPerUpdate = o.samplesPerUpdate === undefined ? 0 : checkInteger('behavioralCloning.samplesPerUpdate', o.samplesPerUpdate, 0);
    this.baseRate = checkNumber('learningRate', defaults.learningRate, 0);
    this.batch = hostBatch(host, o.demonstrations, 0.99);
    this.units = cloningUnits(host, this.batch, this.batchSize);
    this.rng = new PCG32(o.seed === undefined ? 0 : checkInteger('behavioralCloning.seed', o.seed, 0, 0xffffffff), 0xbc2);
  }

  /** Cloning's learning rate at environment step `step`: strength x policy rate, annealed linearly to 0 over `steps`. */
  learningRateAt(step: number): number {
    const left = this.steps > 0 ? Math.max(0, 1 - step / this.steps) : 1;
    return this.baseRate * this.strength * left;
  }

  /**
   * One cloning round, to run right after a PPO update at environment step `step`: numEpoch shuffled passes
   * of minibatches of batchSize demonstrated steps (samplesPerUpdate caps a pass), then the PPO optimizer
   * state is put back and the host hears of the new parameters. Undefined once the rate has annealed to 0.
   */
  async afterUpdate(step: number): Promise<BehavioralCloningStats | undefined> {
    checkNumber('step', step, 0);
    const learningRate = this.learningRateAt(step);
    if (learningRate <= 1e-10) return undefined;
    const { unit, count, perMinibatch, steps } = this.units;
    const cap = this.samplesPerUpdate > 0 ? Math.max(1, Math.floor(this.samplesPerUpdate / (perMinibatch * steps))) : Infinity;
    const plan = shuffledPlan(count, this.numEpoch, Math.min(Math.floor(count / perMinibatch), cap), perMinibatch, this.rng, unit);
    const trainer = this.host.trainer;
    const ppo = await trainer.getOptimizerState();
    trainer.setOptimizerState(this.optimizer ?? freshOptimizer(parameterCount(trainer)));
    let stats: ImitationUpdateStats;
    try {
      stats = await trainer.imitate(this.batch, plan, { learningRate });
      this.optimizer = await trainer.getOptimizerState();
    } finally {
      trainer.setOptimizerState(ppo);
    }
    await this.host.parametersChanged(await trainer.getParameters(), ppo);
    return { ...stats, learningRate };
  }
}
