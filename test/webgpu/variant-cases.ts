// Cases sized to reach every path of the WebGPU 'tiled' kernels (tiled.wgsl, reduce_split.wgsl) yet stay quick on
// a software adapter: layers wider than one 64-wide tile and not a multiple of it (ragged edges), minibatches of
// a few hundred rows (several reduction workgroups and weight-gradient splits, the last partly filled), every
// head kind, a shared trunk with separate losses, and V-trace segments. Used by test/webgpu/variants.test.ts and
// bench/device-check.ts.
import { Box, Discrete, MultiDiscrete } from '../../src/spaces.js';
import { makeCase } from '../oracle/cases.js';

export const VARIANT_CASES = [
  makeCase({ name: 'discrete5 masked tanh [66,20], 272 rows', action: Discrete(5), observationSize: 11, network: { hidden: [66, 20] },
    ppo: { numSteps: 17, numMinibatches: 1 }, batch: { numEnvs: 16, masks: true } }),
  makeCase({ name: 'box3 normal shared relu [70], 300 rows', action: Box(3), observationSize: 7, network: { hidden: [70], shared: true, activation: 'relu' },
    ppo: { numSteps: 30, numMinibatches: 1 }, batch: { numEnvs: 10 } }),
  makeCase({ name: 'multidiscrete[4,3] shared separateLosses [65], 264 rows', action: MultiDiscrete([4, 3]), network: { hidden: [65], shared: true },
    ppo: { numSteps: 12, numMinibatches: 1, separateLosses: true, reduction: 'sum' }, batch: { numEnvs: 22 } }),
  makeCase({ name: 'vtrace tanh_normal [20], segments of 10 x 30', action: Box(2, [-2, 0], [2, 1]), network: { distribution: 'tanh_normal', hidden: [20] },
    ppo: { numSteps: 10, numMinibatches: 1, samplesMcEntropy: 2 }, batch: { numEnvs: 30, vtrace: true } }),
];
