// Reductions: column sums (bias and log_std gradients), the minibatch advantage mean/std, the loss stats of
// a minibatch, the global gradient norm, and the target-KL check between epochs. Whole-minibatch reductions
// run in one workgroup (a strided pass then a tree), which keeps each a single dispatch.
// Slots and the workgroup tree sum: reduce_common.wgsl.

struct Params {
  count: u32, cols: u32, srcOffset: u32, srcStride: u32,
  dstOffset: u32, slot: u32, _pad0: u32, _pad1: u32,
  a: f32, b: f32, c: f32, d: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> scalars: array<f32>;
// The update's indirect dispatch arguments (x, y, z per dispatch), zeroed past a target-KL stop.
@group(0) @binding(4) var<storage, read_write> indirect: array<u32>;

// Sum over rows of column j, one invocation per column (adjacent columns read adjacent addresses):
// dst[dstOffset + j] = sum_i src[srcOffset + i srcStride + j].
@compute @workgroup_size(64)
fn column_sum(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  if (j >= p.cols) { return; }
  var sum = 0.0;
  for (var i = 0u; i < p.count; i++) { sum += src[p.srcOffset + i * p.srcStride + j]; }
  dst[p.dstOffset + j] = sum;
}

fn scratch_sum(local: u32, col: u32) -> f32 {
  var sum = 0.0;
  for (var i = local; i < p.count; i += 256u) { sum += src[i * STRIDE + col]; }
  return workgroup_sum(local, sum);
}

// sum of squared deviations from mean
fn scratch_deviation(local: u32, col: u32, mean: f32) -> f32 {
  var sum = 0.0;
  for (var i = local; i < p.count; i += 256u) {
    let d = src[i * STRIDE + col] - mean;
    sum += d * d;
  }
  return workgroup_sum(local, sum);
}

// Advantage mean and unbiased std (0 for one row) of the minibatch scratch.
@compute @workgroup_size(256)
fn advantage_moments(@builtin(local_invocation_id) local: vec3<u32>) {
  let n = f32(p.count);
  let mean = scratch_sum(local.x, ADVANTAGE) / n;
  let deviation = scratch_deviation(local.x, ADVANTAGE, mean);
  if (local.x == 0u) {
    scalars[0] = mean;
    scalars[1] = select(sqrt(deviation / (n - 1.0)), 0.0, p.count < 2u);
  }
}

// Loss stats of one minibatch into stats slot p.slot (skipped once the target KL stopped the update).
// a: reduction scale (1/m or 1), b: criticCoef, c: entropyCoef (0 without the bonus).
@compute @workgroup_size(256)
fn loss_stats(@builtin(local_invocation_id) local: vec3<u32>) {
  let n = f32(p.count);
  let objective = scratch_sum(local.x, OBJECTIVE);
  let critic = scratch_sum(local.x, CRITIC);
  let entropy = scratch_sum(local.x, ENTROPY);
  let clipped = scratch_sum(local.x, CLIPPED);
  let klApprox = scratch_sum(local.x, KL_APPROX);
  let approxKl = scratch_sum(local.x, APPROX_KL);
  let ratio = scratch_sum(local.x, RATIO);
  var squares = 0.0;
  for (var i = local.x; i < p.count; i += 256u) { let r = src[i * STRIDE + RATIO]; squares += r * r; }
  let ratioSquares = workgroup_sum(local.x, squares);
  let residualVar = scratch_deviation(local.x, RESIDUAL, scratch_sum(local.x, RESIDUAL) / n);
  let returnVar = scratch_deviation(local.x, RETURN, scratch_sum(local.x, RETURN) / n);
  if (local.x != 0u || scalars[STOPPED] != 0.0) { return; }
  let at = p.slot * SLOT;
  dst[at + 0u] = p.a * objective;
  dst[at + 1u] = p.b * p.a * critic;
  dst[at + 2u] = -p.c * p.a * entropy;
  dst[at + 3u] = entropy / n;
  dst[at + 4u] = clipped / n;
  dst[at + 5u] = klApprox / n;
  dst[at + 6u] = approxKl / n;
  dst[at + 7u] = ratio * ratio / ratioSquares / n;
  dst[at + 8u] = select(1.0 - residualVar / returnVar, 0.0, returnVar == 0.0);
  dst[at + RAN] = 1.0;
}

// Global gradient norm into slot p.slot, and the clip scale min(1, maxGradNorm / (norm + 1e-6)) (a = maxGradNorm,
// 0 = off) for adam.wgsl.
@compute @workgroup_size(256)
fn grad_norm(@builtin(local_invocation_id) local: vec3<u32>) {
  var sum = 0.0;
  for (var i = local.x; i < p.count; i += 256u) { let g = src[i]; sum += g * g; }
  let norm = sqrt(workgroup_sum(local.x, sum));
  if (local.x != 0u) { return; }
  scalars[CLIP_SCALE] = select(1.0, min(1.0, p.a / (norm + 1e-6)), p.a > 0.0);
  if (scalars[STOPPED] == 0.0) { dst[p.slot * SLOT + 9u] = norm; }
}

// After an epoch: stop the update when the mean approx_kl of slots [slot, slot + count) exceeds a: raise
// the flag the later stats and Adam kernels check, and zero the workgroup counts of every later dispatch
// (from dispatch dstOffset on) so the rest of the update costs nothing.
@compute @workgroup_size(64)
fn kl_check(@builtin(local_invocation_id) local: vec3<u32>) {
  var sum = 0.0;
  for (var k = 0u; k < p.count; k++) { sum += dst[(p.slot + k) * SLOT + 6u]; }
  if (!(sum / f32(p.count) > p.a)) { return; }
  if (local.x == 0u) { scalars[STOPPED] = 1.0; }
  for (var i = p.dstOffset * 3u + local.x; i < arrayLength(&indirect); i += 64u) { indirect[i] = 0u; }
}
