// The one wasm module of webppo. Each file below owns one job; this file only re-exports.
export { alloc, allocZeroed, free } from './memory';
export { pcg32Fill } from './rng';
export { gaeVtrace, gaeVtraceReturns, normalizeAdvantages, explainedVariance, rowPriorities, segmentPriorities } from './advantage';
export { planSequential, planShuffled, planPrioritized } from './sampler';
export { stagingBytes, gatherMinibatch } from './gather';
export { firstNonFinite, firstBelowOrNonFinite, firstNotPositive, firstFlagAbove1, firstBadAction } from './validate';
