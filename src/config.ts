// PPOConfig: the names (DESIGN.md contract), CleanRL's defaults, and validation that names the field.
import { checkBoolean, checkInteger, checkKeys, checkNumber, checkOneOf, fail } from './errors.js';

export type LossCriticType = 'l1' | 'l2' | 'smooth_l1';
export type Reduction = 'mean' | 'sum';

/**
 * Every PPO hyperparameter, with CleanRL's ppo.py defaults ({@link DEFAULT_PPO_CONFIG}). `docs/ppo-options.md`
 * explains each one with its torchrl, CleanRL and Metta names.
 */
export interface PPOConfig {
  /**
   * Steps collected per agent before each update (CleanRL `num_steps`): a batch is numSteps x numAgents rows.
   * @default 128
   */
  numSteps: number;
  /**
   * Passes over each batch per update (CleanRL `update_epochs`).
   * @default 4
   */
  numEpochs: number;
  /**
   * Minibatches per epoch; each is one optimizer step (at most numSteps x numAgents).
   * @default 4
   */
  numMinibatches: number;
  /**
   * Adam step size (annealed linearly to 0 over `totalSteps` when `annealLearningRate` is on).
   * @default 2.5e-4
   */
  learningRate: number;
  /**
   * Discount factor, in [0, 1].
   * @default 0.99
   */
  gamma: number;
  /**
   * GAE lambda, in [0, 1]: 1 is Monte Carlo returns, 0 is one-step TD.
   * @default 0.95
   */
  gaeLambda: number;
  /**
   * The PPO clip: symmetric, or [low, high] for `clip(r, 1 - low, 1 + high)`.
   * @default 0.2
   */
  clipEpsilon: number | readonly [number, number];
  /**
   * Value clipping around the old value: off, on with the clip epsilon (the high side), or this range.
   * @default true
   */
  clipValue: boolean | number;
  /**
   * Whether the entropy term is in the loss at all (the `entropy` stat is reported either way).
   * @default true
   */
  entropyBonus: boolean;
  /**
   * Weight of the entropy bonus: `loss_entropy = -entropyCoef * mean(H)`.
   * @default 0.01
   */
  entropyCoef: number;
  /**
   * Monte Carlo samples for the entropy of distributions without a closed form (tanh-normal).
   * @default 1
   */
  samplesMcEntropy: number;
  /**
   * Weight of the critic loss, torchrl's critic_coef: loss_critic = criticCoef * mean(L(V, R)) with l2 = d^2.
   * CleanRL's and Metta's `vf_coef * 0.5 * mean(d^2)` is criticCoef = vf_coef / 2 (default 0.25 = CleanRL's 0.5).
   */
  criticCoef: number;
  /**
   * Value loss on `d = V - R`: `'l1'` |d|, `'l2'` d^2, `'smooth_l1'` (Huber with delta 1).
   * @default 'l2'
   */
  lossCriticType: LossCriticType;
  /**
   * true or 'minibatch': normalize per minibatch; 'batch': once over the whole batch, except that a minibatch
   * whose advantages V-trace recomputes (segment minibatches) normalizes the recomputed ones over its rows, as
   * Metta does; false: never.
   */
  normalizeAdvantage: boolean | 'minibatch' | 'batch';
  /**
   * A shared trunk gets gradients from the policy loss only.
   * @default false
   */
  separateLosses: boolean;
  /**
   * How losses combine over a minibatch's rows: `'mean'` or `'sum'` (stats are means either way).
   * @default 'mean'
   */
  reduction: Reduction;
  /**
   * Global gradient-norm clip; 0 or Infinity turns it off.
   * @default 0.5
   */
  maxGradNorm: number;
  /**
   * Stop the epochs of an update once the epoch's mean approx_kl exceeds this; null: never.
   * @default null
   */
  targetKl: number | null;
  /**
   * Adam's epsilon.
   * @default 1e-5
   */
  adamEps: number;
  /**
   * Decoupled (AdamW) weight decay; 0 is plain Adam.
   * @default 0
   */
  weightDecay: number;
  /**
   * V-trace clipping of the importance ratios, used when advantages are recomputed for a batch collected under
   * an older policy (minibatches of whole env segments). 1 and 1 are Metta's and IMPALA's values.
   * @property rhoClip Clip of the ratio that weights each TD error (rho-bar). Default 1.
   * @property cClip Clip of the ratio that carries the trace back in time (c-bar). Default 1.
   * @default `{ rhoClip: 1, cClip: 1 }`
   */
  vtrace: { rhoClip: number; cClip: number };
  /**
   * Prioritized minibatches (Metta): units are drawn with probability proportional to
   * `(sum_t |A|)^alpha`, weighted by `(n P)^-beta` with beta annealed from beta0 to 1 over `totalSteps`.
   * @property alpha Priority exponent; 0 turns prioritized sampling off (plain shuffled minibatches). Default 0.
   * @property beta0 Importance-weight exponent at the start of training, in [0, 1]. Default 0.6.
   * @property over Whether rows or whole env segments are drawn. Default 'rows'.
   * @default `{ alpha: 0, beta0: 0.6, over: 'rows' }`
   */
  prioritized: { alpha: number; beta0: number; over: 'rows' | 'segments' };
  /**
   * Running mean / variance normalization of observations, clipped to [-10, 10]; saved in checkpoints.
   * @default false
   */
  normalizeObservations: boolean;
  /**
   * Divide rewards by the running std of the discounted return, clipped to [-10, 10] (needs gamma < 1).
   * @default false
   */
  normalizeRewards: boolean;
  /**
   * Anneal the learning rate linearly to 0 over `totalSteps` (ignored without a horizon or with a
   * learningRate schedule).
   * @default true
   */
  annealLearningRate: boolean;
}

/**
 * A partial {@link PPOConfig}, as `Agent.create({ ppo })` takes it: missing fields (and missing fields of
 * `vtrace` and `prioritized`) come from {@link DEFAULT_PPO_CONFIG}.
 */
export type PPOConfigInput = Partial<Omit<PPOConfig, 'vtrace' | 'prioritized'>> & {
  /** Any of `rhoClip`, `cClip`; the rest from the defaults. */
  vtrace?: Partial<PPOConfig['vtrace']>;
  /** Any of `alpha`, `beta0`, `over`; the rest from the defaults. */
  prioritized?: Partial<PPOConfig['prioritized']>;
};

/**
 * The defaults of every {@link PPOConfig} field: CleanRL's ppo.py (128 steps, 4 epochs x 4 minibatches,
 * learning rate 2.5e-4 annealed, gamma 0.99, lambda 0.95, clip 0.2, entropy 0.01, max grad norm 0.5, Adam
 * eps 1e-5), frozen.
 */
export const DEFAULT_PPO_CONFIG: Readonly<PPOConfig> = Object.freeze({
  numSteps: 128,
  numEpochs: 4,
  numMinibatches: 4,
  learningRate: 2.5e-4,
  gamma: 0.99,
  gaeLambda: 0.95,
  clipEpsilon: 0.2,
  clipValue: true,
  entropyBonus: true,
  entropyCoef: 0.01,
  samplesMcEntropy: 1,
  // torchrl's l2 is mean(d^2); CleanRL's value loss is vf_coef * 0.5 * mean(d^2) with vf_coef 0.5.
  criticCoef: 0.25,
  lossCriticType: 'l2',
  normalizeAdvantage: true,
  separateLosses: false,
  reduction: 'mean',
  maxGradNorm: 0.5,
  targetKl: null,
  adamEps: 1e-5,
  weightDecay: 0,
  vtrace: Object.freeze({ rhoClip: 1, cClip: 1 }),
  prioritized: Object.freeze({ alpha: 0, beta0: 0.6, over: 'rows' as const }),
  normalizeObservations: false,
  normalizeRewards: false,
  annealLearningRate: true,
});

const KNOWN = new Set(Object.keys(DEFAULT_PPO_CONFIG));

/** Fills defaults and validates every field; throws a ValidationError naming `ppo.<field>`. */
export function resolvePPOConfig(input: PPOConfigInput = {}, prefix = 'ppo'): PPOConfig {
  checkKeys(prefix, input, [...KNOWN]);
  if (input.vtrace !== undefined) checkKeys(`${prefix}.vtrace`, input.vtrace, Object.keys(DEFAULT_PPO_CONFIG.vtrace));
  if (input.prioritized !== undefined) checkKeys(`${prefix}.prioritized`, input.prioritized, Object.keys(DEFAULT_PPO_CONFIG.prioritized));
  const c = { ...DEFAULT_PPO_CONFIG, ...input } as PPOConfig;
  const f = (name: string) => `${prefix}.${name}`;
  checkInteger(f('numSteps'), c.numSteps, 1);
  checkInteger(f('numEpochs'), c.numEpochs, 1);
  checkInteger(f('numMinibatches'), c.numMinibatches, 1);
  checkNumber(f('learningRate'), c.learningRate, 0);
  checkNumber(f('gamma'), c.gamma, 0, 1);
  checkNumber(f('gaeLambda'), c.gaeLambda, 0, 1);
  if (Array.isArray(c.clipEpsilon)) {
    if (c.clipEpsilon.length !== 2) fail(f('clipEpsilon'), 'a number or [low, high]', c.clipEpsilon);
    checkNumber(`${f('clipEpsilon')}[0]`, c.clipEpsilon[0], 0, 1);
    checkNumber(`${f('clipEpsilon')}[1]`, c.clipEpsilon[1], 0);
  } else {
    checkNumber(f('clipEpsilon'), c.clipEpsilon, 0, 1);
  }
  if (typeof c.clipValue !== 'boolean') checkNumber(f('clipValue'), c.clipValue, 0);
  checkBoolean(f('entropyBonus'), c.entropyBonus);
  checkNumber(f('entropyCoef'), c.entropyCoef, 0);
  checkInteger(f('samplesMcEntropy'), c.samplesMcEntropy, 1, 1024);
  checkNumber(f('criticCoef'), c.criticCoef, 0);
  checkOneOf(f('lossCriticType'), c.lossCriticType, ['l1', 'l2', 'smooth_l1'] as const);
  if (typeof c.normalizeAdvantage !== 'boolean') checkOneOf(f('normalizeAdvantage'), c.normalizeAdvantage, ['minibatch', 'batch'] as const);
  checkBoolean(f('separateLosses'), c.separateLosses);
  checkOneOf(f('reduction'), c.reduction, ['mean', 'sum'] as const);
  if (c.maxGradNorm !== Infinity) checkNumber(f('maxGradNorm'), c.maxGradNorm, 0);
  if (c.targetKl !== null) checkNumber(f('targetKl'), c.targetKl, 0);
  checkNumber(f('adamEps'), c.adamEps, 0);
  checkNumber(f('weightDecay'), c.weightDecay, 0);
  const vtrace = { ...DEFAULT_PPO_CONFIG.vtrace, ...(input.vtrace ?? {}) };
  checkNumber(`${f('vtrace')}.rhoClip`, vtrace.rhoClip, 0);
  checkNumber(`${f('vtrace')}.cClip`, vtrace.cClip, 0);
  const prioritized = { ...DEFAULT_PPO_CONFIG.prioritized, ...(input.prioritized ?? {}) };
  checkNumber(`${f('prioritized')}.alpha`, prioritized.alpha, 0);
  checkNumber(`${f('prioritized')}.beta0`, prioritized.beta0, 0, 1);
  checkOneOf(`${f('prioritized')}.over`, prioritized.over, ['rows', 'segments'] as const);
  checkBoolean(f('normalizeObservations'), c.normalizeObservations);
  checkBoolean(f('normalizeRewards'), c.normalizeRewards);
  checkBoolean(f('annealLearningRate'), c.annealLearningRate);
  return { ...c, vtrace, prioritized };
}

/** [low, high] of the PPO clip. */
export function clipRange(c: Pick<PPOConfig, 'clipEpsilon'>): [number, number] {
  return typeof c.clipEpsilon === 'number' ? [c.clipEpsilon, c.clipEpsilon] : [c.clipEpsilon[0], c.clipEpsilon[1]];
}

/** The value-clip range, or 0 when value clipping is off. `true` uses the clip epsilon's high side. */
export function valueClipRange(c: Pick<PPOConfig, 'clipEpsilon' | 'clipValue'>): number {
  if (c.clipValue === false) return 0;
  if (c.clipValue === true) return clipRange(c)[1];
  return c.clipValue;
}
