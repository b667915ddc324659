// Named PPO configurations that reproduce other systems' defaults, so a config ported from one of them trains
// the same. webppo keeps torchrl's loss semantics (loss_critic = criticCoef * mean(L(V, R)), l2 = d^2), so a
// system whose value loss is `vf_coef * 0.5 * mean(d^2)` maps to criticCoef = vf_coef / 2. Each entry names
// where its numbers come from; fields a system does not have (or that belong to its training loop rather than
// its loss) keep webppo's defaults, which follow CleanRL.
import type { PPOConfigInput } from './config.js';
import { checkOneOf } from './errors.js';

/** The systems whose defaults a preset reproduces. */
export type PPOPresetName = 'cleanrl' | 'metta' | 'torchrl' | 'lerax' | 'prt_rl';

const PRESETS: Readonly<Record<PPOPresetName, Readonly<PPOConfigInput>>> = Object.freeze({
  // vwxyzjn/cleanrl cleanrl/ppo.py: lr 2.5e-4 annealed, 4 envs x 128 steps, 4 epochs x 4 minibatches,
  // gamma 0.99, lambda 0.95, clip 0.2 (also the value clip), ent_coef 0.01, vf_coef 0.5 on
  // v_loss = 0.5 * mean(max(unclipped, clipped)), max_grad_norm 0.5, Adam eps 1e-5, per-minibatch
  // normalization with the unbiased std + 1e-8, target_kl None. These are webppo's defaults.
  cleanrl: {
    numSteps: 128, numEpochs: 4, numMinibatches: 4, learningRate: 2.5e-4, annealLearningRate: true, gamma: 0.99, gaeLambda: 0.95,
    clipEpsilon: 0.2, clipValue: true, entropyCoef: 0.01, criticCoef: 0.25, lossCriticType: 'l2', normalizeAdvantage: true,
    maxGradNorm: 0.5, adamEps: 1e-5, targetKl: null,
  },
  // Metta-AI/metta PPOConfig and OptimizerConfig (the loss with V-trace and prioritized replay,
  // metta/rl/loss/ppo.py): clip_coef 0.1, ent_coef 0.0021, gae_lambda 0.916, gamma 0.977, max_grad_norm 0.5,
  // vf_clip_coef 0.1, vf_coef 0.44 on 0.5 * mean(max(...)), norm_adv (after the V-trace recompute), vtrace
  // rho/c clip 1, prio_alpha 0, prio_beta0 0.6; Adam lr 0.000457, eps 1e-12; update_epochs 1, batch 524288 /
  // minibatch 16384 = 32 minibatches of segments, bptt_horizon 64 (the segment length); no learning-rate anneal.
  // Metta retunes these by sweep: later versions of the repository carry other numbers.
  metta: {
    numSteps: 64, numEpochs: 1, numMinibatches: 32, learningRate: 0.000457, annealLearningRate: false, gamma: 0.977, gaeLambda: 0.916,
    clipEpsilon: 0.1, clipValue: 0.1, entropyCoef: 0.0021, criticCoef: 0.22, lossCriticType: 'l2', normalizeAdvantage: true,
    maxGradNorm: 0.5, adamEps: 1e-12, targetKl: null, vtrace: { rhoClip: 1, cClip: 1 },
    prioritized: { alpha: 0, beta0: 0.6, over: 'segments' },
  },
  // pytorch/rl torchrl/objectives/ppo.py ClipPPOLoss: clip_epsilon 0.2, entropy_bonus True, samples_mc_entropy 1,
  // entropy_coef 0.01, critic_coef 1.0, loss_critic_type 'smooth_l1', normalize_advantage False,
  // separate_losses False, reduction 'mean', clip_value None. ClipPPOLoss has no optimizer or rollout settings;
  // those stay webppo's.
  torchrl: {
    clipEpsilon: 0.2, entropyBonus: true, samplesMcEntropy: 1, entropyCoef: 0.01, criticCoef: 1, lossCriticType: 'smooth_l1',
    normalizeAdvantage: false, separateLosses: false, reduction: 'mean', clipValue: false,
  },
  // RunnersNum40/lerax lerax/algorithm/ppo.py PPO: 4 envs x 512 steps, 16 epochs x 32 batches, gamma 0.99,
  // lambda 0.95, clip 0.2, clip_value_loss False, entropy 0, value_loss_coefficient 0.5 on mean(d^2) / 2,
  // max_grad_norm 0.5, per-minibatch normalization, optax.adam(3e-4) (eps 1e-8), no anneal. Lerax normalizes
  // with the population std + float32 eps where webppo uses the unbiased std + 1e-8, a factor sqrt(m/(m-1))
  // on the normalized advantages of an m-row minibatch.
  lerax: {
    numSteps: 512, numEpochs: 16, numMinibatches: 32, learningRate: 3e-4, annealLearningRate: false, gamma: 0.99, gaeLambda: 0.95,
    clipEpsilon: 0.2, clipValue: false, entropyCoef: 0, criticCoef: 0.25, lossCriticType: 'l2', normalizeAdvantage: true,
    maxGradNorm: 0.5, adamEps: 1e-8, targetKl: null,
  },
  // prt-rl 0.5.8 (PyPI) prt_rl/ppo.py PPOConfig: steps_per_batch 2048 (one env: numSteps 2048), mini_batch_size
  // 32 (64 minibatches), num_optim_steps 10 (epochs), lr 3e-4 (torch Adam, eps 1e-8), gamma 0.99, lambda 0.95,
  // epsilon 0.1, entropy_coef 0.01, value_coef 0.5 on F.mse_loss (mean d^2: criticCoef 0.5), no value clip,
  // normalize_advantages False, no gradient clipping (the clip is commented out), no anneal.
  prt_rl: {
    numSteps: 2048, numEpochs: 10, numMinibatches: 64, learningRate: 3e-4, annealLearningRate: false, gamma: 0.99, gaeLambda: 0.95,
    clipEpsilon: 0.1, clipValue: false, entropyCoef: 0.01, criticCoef: 0.5, lossCriticType: 'l2', normalizeAdvantage: false,
    maxGradNorm: Infinity, adamEps: 1e-8, targetKl: null,
  },
});

/** The names of the PPO presets. */
export const PPO_PRESET_NAMES: readonly PPOPresetName[] = Object.freeze(Object.keys(PRESETS) as PPOPresetName[]);

/**
 * The PPOConfig fields that reproduce a system's defaults; spread it into `ppo` and override what differs:
 * `ppo: { ...ppoPreset('metta'), numSteps: 32 }`. Throws a ValidationError for an unknown name.
 */
export function ppoPreset(name: PPOPresetName): PPOConfigInput {
  const preset = PRESETS[checkOneOf('preset', name, PPO_PRESET_NAMES)];
  return {
    ...preset,
    ...(preset.vtrace ? { vtrace: { ...preset.vtrace } } : {}),
    ...(preset.prioritized ? { prioritized: { ...preset.prioritized } } : {}),
  };
}
