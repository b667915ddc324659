// The play-only wasm module (build/inference.wasm, used by the `webppo/inference` entry): the exports the CPU
// forward and action selection need, nothing of training. Same sources as index.ts, so both run the same code.
export { alloc, allocZeroed, free } from './memory';
export { transposeMatrix, denseForward, activationBackward, gemm, tanhApprox } from './nn/dense';
export { categoricalForward, categoricalAct } from './nn/categorical';
export { gaussianForward, gaussianAct } from './nn/gaussian';
export { pcgSeed, fillNormals } from './nn/random';
export { copyRows } from './nn/rows';
export { recurrentForward } from './nn/recurrent';
