// PPOConfig: the names (DESIGN.md contract), CleanRL's defaults, and validation that names the field.
import { checkBoolean, checkInteger, checkKeys, checkNumber, checkOneOf, fail } from './errors.js';

export type LossCriticType = 'l1' | 'l2' | 'smooth_l1';
export type Reduction = 'mean' | 'sum';

export interface PPOConfig {
  /** Steps collected per agent before each update. */
  numSteps: number;
  numEpochs: number;
  numMinibatches: number;
  learningRate: number;
  gamma: number;
  gaeLambda: number;
  /** The PPO clip: symmetric, or [low, high] for `clip(r, 1 - low, 1 + high)`. */
  clipEpsilon: number | readonly [number, number];
  /** Value clipping around the old value: off, on with the clip epsilon (the high side), or this range. */
  clipValue: boolean | number;
  entropyBonus: boolean;
  entropyCoef: number;
  /** Monte Carlo samples for the entropy of distributions without a closed form (tanh-normal). */
  samplesMcEntropy: number;
  /**
   * Weight of the critic loss, torchrl's critic_coef: loss_critic = criticCoef * mean(L(V, R)) with l2 = d^2.
   * CleanRL's and Metta's `vf_coef * 0.5 * mean(d^2)` is criticCoef = vf_coef / 2 (default 0.25 = CleanRL's 0.5).
   */
  criticCoef: number;
  lossCriticType: LossCriticType;
  /**
   * true or 'minibatch': normalize per minibatch; 'batch': once over the whole batch, except that a minibatch
   * whose advantages V-trace recomputes (segment minibatches) normalizes the recomputed ones over its rows, as
   * Metta does; false: never.
   */
  normalizeAdvantage: boolean | 'minibatch' | 'batch';
  /** A shared trunk gets gradients from the policy loss only. */
  separateLosses: boolean;
  reduction: Reduction;
  /** Global gradient-norm clip; 0 or Infinity turns it off. */
  maxGradNorm: number;
  /** Stop the epochs of an update once the epoch's mean approx_kl exceeds this; null: never. */
  targetKl: number | null;
  adamEps: number;
  /** Decoupled (AdamW) weight decay; 0 is plain Adam. */
  weightDecay: number;
  vtrace: { rhoClip: number; cClip: number };
  prioritized: { alpha: number; beta0: number; over: 'rows' | 'segments' };
  normalizeObservations: boolean;
  normalizeRewards: boolean;
  annealLearningRate: boolean;
}

export type PPOConfigInput = Partial<Omit<PPOConfig, 'vtrace' | 'prioritized'>> & {
  vtrace?: Partial<PPOConfig['vtrace']>;
  prioritized?: Partial<PPOConfig['prioritized']>;
};

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
