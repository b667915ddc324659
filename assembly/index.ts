// The one wasm module of webppo. Each file below owns one job; this file only re-exports.
export { alloc, allocZeroed, free } from './memory';
export { transposeMatrix, denseForward, denseBackward, activationBackward, gemm, tanhApprox } from './nn/dense';
export { recurrentForward, recurrentBackward } from './nn/recurrent';
export { categoricalForward, categoricalBackward, categoricalAct, categoricalModeAccuracy } from './nn/categorical';
export { imitationLoss } from './nn/imitation-loss';
export { gaussianForward, gaussianBackward, gaussianAct } from './nn/gaussian';
export { ppoLoss } from './nn/ppo-loss';
export { adamStep, sumSquares } from './nn/adam';
export { segmentRows, gatherRows, gatherSampledRows, repeatPerStep, multiplyInPlace, clampedRatios } from './nn/minibatch';
export { pcgSeed, fillNormals } from './nn/random';
export { copyRows } from './nn/rows';
export { pcg32Fill } from './rng';
export { gaeVtrace, normalizeAdvantages, explainedVariance, rowPriorities, segmentPriorities } from './advantage';
export { planSequential, planShuffled, planPrioritized } from './sampler';
export { stagingBytes, gatherMinibatch } from './gather';
export { firstNonFinite, firstBelowOrNonFinite, firstNotPositive, firstFlagAbove1, firstBadAction } from './validate';
