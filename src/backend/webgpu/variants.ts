// The two shapes of the update's heavy dispatches. 'direct' (linear.wgsl, reduce.wgsl): barrier-free 4 x 4
// register blocks read from global memory, one invocation per column sum, single-workgroup reductions; fast on
// software adapters. 'tiled' (tiled.wgsl, reduce_split.wgsl): 64 x 64 workgroup-memory tiles, split-K weight
// gradients and column sums, two-pass multi-workgroup reductions; built to fill a hardware GPU. Both compute
// the same sums; which one runs is measured per device and update shape (see WebGPUTrainer.variantFor).
import type { Kernel, KernelName } from './kernels.js';
import type { Binding, Recorder } from './recorder.js';

export type { KernelVariant } from './gpu-types.js';
import type { KernelVariant } from './gpu-types.js';

/** Rows per workgroup of a split reduction or column sum, and the k span per split of a weight gradient. */
const ROWS_PER_GROUP = 256;
const MAX_GROUPS = 256;
const K_PER_SPLIT = 128;
/** Workgroups a weight gradient aims for (enough to fill a large GPU twice over). */
const TARGET_GROUPS = 264;

const ceil = (a: number, b: number) => Math.ceil(a / b);

/** Workgroups (and rows each) of a two-pass reduction over `count` rows. */
export function reductionGroups(count: number): { groups: number; chunk: number } {
  const groups = Math.max(1, Math.min(MAX_GROUPS, ceil(count, ROWS_PER_GROUP)));
  return { groups, chunk: ceil(count, groups) };
}

/** Splits of a weight gradient [outputs x inputs] summed over `m` rows. */
export function weightSplits(m: number, outputs: number, inputs: number): number {
  const tiles = ceil(outputs, 64) * ceil(inputs, 64);
  return Math.max(1, Math.min(ceil(m, K_PER_SPLIT), ceil(TARGET_GROUPS, tiles), 64));
}

/** Floats of the partials buffer the tiled variant needs for minibatches of m rows over these layers. */
export function partialFloats(m: number, layers: readonly { inputs: number; outputs: number }[], width: number): number {
  let most = 16 * reductionGroups(m).groups;
  for (const { inputs, outputs } of layers) {
    most = Math.max(most, weightSplits(m, outputs, inputs) * outputs * (inputs + 1), ceil(m, ROWS_PER_GROUP) * outputs);
  }
  return Math.max(most, ceil(m, ROWS_PER_GROUP) * width);
}

/** A strided matrix product (linear.wgsl's 16 uniform values), both variants. */
export function recordMatmul(rec: Recorder, k: Record<KernelName, Kernel>, variant: KernelVariant, values: number[], buffers: Record<number, Binding>): void {
  const [m, n] = values;
  if (variant === 'direct') rec.dispatch(k.matmul, values, buffers, ceil(n, 32), ceil(m, 32));
  else rec.dispatch(k.matmul_tiled, withSplit(values, m === 0 ? 0 : values[2], 1, 0), buffers, ceil(n, 64), ceil(m, 64));
}

function withSplit(values: number[], kChunk: number, splits: number, stride: number): number[] {
  const v = values.slice();
  v[7] = kChunk;
  v[11] = stride;
  if (splits > 1) v[3] |= 64; // PARTIAL
  return v;
}

const ROW_SUMS = 128; // matmul_common.wgsl

/**
 * The weight gradient dW[outputs x inputs] = dY^T X over m rows into grads at `values[12]` (row length inputs),
 * and in the same pass the bias gradient db = column sums of dY into grads at `biasOffset` (the layout puts a
 * layer's bias right after its weight). Tiled: split over the rows into partials (weight then bias per
 * split), then summed.
 */
export function recordWeightGradient(
  rec: Recorder, k: Record<KernelName, Kernel>, variant: KernelVariant, values: number[], biasOffset: number,
  buffers: Record<number, Binding>, partials: Binding, grads: Binding,
): void {
  const [outputs, inputs, m] = values;
  const size = outputs * inputs;
  if (biasOffset !== values[12] + size) throw new Error(`webppo: internal: bias at ${biasOffset} does not follow its ${outputs}x${inputs} weight at ${values[12]}`);
  const fused = values.slice();
  fused[3] |= ROW_SUMS;
  fused[14] = biasOffset;
  if (variant === 'direct') {
    rec.dispatch(k.matmul, fused, buffers, ceil(inputs, 32), ceil(outputs, 32));
    return;
  }
  const splits = weightSplits(m, outputs, inputs);
  if (splits === 1) {
    rec.dispatch(k.matmul_tiled, withSplit(fused, m, 1, 0), buffers, ceil(inputs, 64), ceil(outputs, 64));
    return;
  }
  const partial = withSplit(fused, ceil(m, splits), splits, size + outputs);
  partial[12] = 0; // cOffset: the partials start at 0, each split's bias right after its weight
  partial[14] = size;
  rec.dispatch(k.matmul_tiled, partial, { ...buffers, 3: partials }, ceil(inputs, 64), ceil(outputs, 64), splits);
  rec.dispatch(k.sum_splits, [size + outputs, splits, size + outputs, values[12]], { 1: partials, 2: grads }, ceil(size + outputs, 256));
}

/** dst[dstOffset + j] = sum over m rows of src[srcOffset + i stride + j], j < cols. */
export function recordColumnSum(
  rec: Recorder, k: Record<KernelName, Kernel>, variant: KernelVariant, m: number, cols: number,
  src: { buffer: Binding; offset: number; stride: number }, dst: Binding, dstOffset: number, scalars: Binding, partials: Binding,
): void {
  if (variant === 'direct') {
    rec.dispatch(k.column_sum, [m, cols, src.offset, src.stride, dstOffset], { 1: src.buffer, 2: dst, 3: scalars }, ceil(cols, 64));
    return;
  }
  const splits = ceil(m, ROWS_PER_GROUP);
  rec.dispatch(k.column_sum_split, [m, cols, src.offset, src.stride, ROWS_PER_GROUP], { 1: src.buffer, 2: partials }, ceil(cols, 64), splits);
  rec.dispatch(k.sum_splits, [cols, splits, cols, dstOffset], { 1: partials, 2: dst }, ceil(cols, 256));
}

interface ReduceBuffers { src: Binding; stats: Binding; scalars: Binding; partials: Binding }

/** Global gradient norm into stats slot `slot` and the clip scale. */
export function recordGradNorm(rec: Recorder, k: Record<KernelName, Kernel>, variant: KernelVariant, count: number, slot: number, maxGradNorm: number, b: ReduceBuffers): void {
  if (variant === 'direct') {
    rec.dispatch(k.grad_norm, [count, 0, 0, 0, 0, slot, 0, 0, maxGradNorm], { 1: b.src, 2: b.stats, 3: b.scalars }, 1);
    return;
  }
  const { groups, chunk } = reductionGroups(count);
  rec.dispatch(k.sum_squares, [count, chunk, groups, slot], { 1: b.src, 4: b.partials }, groups);
  rec.dispatch(k.grad_norm_partials, [count, chunk, groups, slot, maxGradNorm], { 2: b.stats, 3: b.scalars, 4: b.partials }, 1);
}

/** Minibatch advantage mean and std into scalars 0 and 1. */
export function recordAdvantageMoments(rec: Recorder, k: Record<KernelName, Kernel>, variant: KernelVariant, m: number, b: ReduceBuffers): void {
  if (variant === 'direct') {
    rec.dispatch(k.advantage_moments, [m], { 1: b.src, 2: b.stats, 3: b.scalars }, 1);
    return;
  }
  const { groups, chunk } = reductionGroups(m);
  rec.dispatch(k.advantage_moments_partial, [m, chunk, groups], { 1: b.src, 4: b.partials }, groups);
  rec.dispatch(k.advantage_moments_combine, [m, chunk, groups], { 3: b.scalars, 4: b.partials }, 1);
}

/** Loss stats of one minibatch into stats slot `slot`; scale, criticCoef, entropyCoef as reduce.wgsl's. */
export function recordLossStats(
  rec: Recorder, k: Record<KernelName, Kernel>, variant: KernelVariant, m: number, slot: number, coefs: [number, number, number], b: ReduceBuffers,
): void {
  if (variant === 'direct') {
    rec.dispatch(k.loss_stats, [m, 0, 0, 0, 0, slot, 0, 0, ...coefs], { 1: b.src, 2: b.stats, 3: b.scalars }, 1);
    return;
  }
  const { groups, chunk } = reductionGroups(m);
  rec.dispatch(k.loss_stats_partial, [m, chunk, groups, slot], { 1: b.src, 4: b.partials }, groups);
  rec.dispatch(k.loss_stats_combine, [m, chunk, groups, slot, ...coefs], { 2: b.stats, 3: b.scalars, 4: b.partials }, 1);
}
