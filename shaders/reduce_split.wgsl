// Whole-minibatch reductions over many workgroups, for hardware GPUs (reduce.wgsl's single-workgroup versions
// stay for small minibatches and software adapters): a first pass where workgroup g reduces rows
// [g chunk, (g + 1) chunk) into a partial record, then one workgroup that combines the records. Means and
// variances combine as (count, mean, M2) records (Chan et al.), so the result stays a two-pass deviation sum
// as accurate as reduce.wgsl's. Same outputs, slots and flags as reduce.wgsl
// (reduce_common.wgsl).

struct Params {
  count: u32, chunk: u32, groups: u32, slot: u32,
  a: f32, b: f32, c: f32, d: f32,
}

const LOSS_RECORD: u32 = 13u; // 8 sums, residual (mean, M2), return (mean, M2), count
const MOMENT_RECORD: u32 = 3u; // count, mean, M2

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> scalars: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;

fn rows_sum(local: u32, begin: u32, end: u32, col: u32) -> f32 {
  var sum = 0.0;
  for (var i = begin + local; i < end; i += 256u) { sum += src[i * STRIDE + col]; }
  return workgroup_sum(local, sum);
}

fn rows_deviation(local: u32, begin: u32, end: u32, col: u32, mean: f32) -> f32 {
  var sum = 0.0;
  for (var i = begin + local; i < end; i += 256u) { let d = src[i * STRIDE + col] - mean; sum += d * d; }
  return workgroup_sum(local, sum);
}

// Merges (nb, mb, m2b) into (n, mean, m2).
fn merge(acc: vec3<f32>, nb: f32, mb: f32, m2b: f32) -> vec3<f32> {
  let n = acc.x + nb;
  if (nb == 0.0) { return acc; }
  let delta = mb - acc.y;
  return vec3<f32>(n, acc.y + delta * nb / n, acc.z + m2b + delta * delta * acc.x * nb / n);
}

// Pass 1 of the gradient norm: partials[g] = sum of g^2 over block g.
@compute @workgroup_size(256)
fn sum_squares(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let begin = group.x * p.chunk;
  let end = min(p.count, begin + p.chunk);
  var sum = 0.0;
  for (var i = begin + local.x; i < end; i += 256u) { let g = src[i]; sum += g * g; }
  let total = workgroup_sum(local.x, sum);
  if (local.x == 0u) { partials[group.x] = total; }
}

// Pass 2: the norm into slot p.slot and the clip scale (a = maxGradNorm, 0 = off), as reduce.wgsl's grad_norm.
@compute @workgroup_size(256)
fn grad_norm_partials(@builtin(local_invocation_id) local: vec3<u32>) {
  var sum = 0.0;
  for (var g = local.x; g < p.groups; g += 256u) { sum += partials[g]; }
  let norm = sqrt(workgroup_sum(local.x, sum));
  if (local.x != 0u) { return; }
  scalars[CLIP_SCALE] = select(1.0, min(1.0, p.a / (norm + 1e-6)), p.a > 0.0);
  if (scalars[STOPPED] == 0.0) { dst[p.slot * SLOT + 9u] = norm; }
}

// Pass 1 of the advantage moments: (count, mean, M2) of the block's advantages.
@compute @workgroup_size(256)
fn advantage_moments_partial(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let begin = group.x * p.chunk;
  let end = min(p.count, begin + p.chunk);
  let n = f32(end - begin);
  let mean = rows_sum(local.x, begin, end, ADVANTAGE) / n;
  let m2 = rows_deviation(local.x, begin, end, ADVANTAGE, mean);
  if (local.x == 0u) {
    let at = group.x * MOMENT_RECORD;
    partials[at] = n;
    partials[at + 1u] = mean;
    partials[at + 2u] = m2;
  }
}

// Pass 2: scalars 0, 1 = mean and unbiased std (0 for one row), as reduce.wgsl's advantage_moments.
@compute @workgroup_size(1)
fn advantage_moments_combine() {
  var acc = vec3<f32>(0.0);
  for (var g = 0u; g < p.groups; g++) {
    let at = g * MOMENT_RECORD;
    acc = merge(acc, partials[at], partials[at + 1u], partials[at + 2u]);
  }
  scalars[0] = acc.y;
  scalars[1] = select(sqrt(acc.z / (acc.x - 1.0)), 0.0, p.count < 2u);
}

// Pass 1 of the loss stats: the block's sums and its residual / return moments.
@compute @workgroup_size(256)
fn loss_stats_partial(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let begin = group.x * p.chunk;
  let end = min(p.count, begin + p.chunk);
  let n = f32(end - begin);
  var sums: array<f32, 8>;
  sums[0] = rows_sum(local.x, begin, end, OBJECTIVE);
  sums[1] = rows_sum(local.x, begin, end, CRITIC);
  sums[2] = rows_sum(local.x, begin, end, ENTROPY);
  sums[3] = rows_sum(local.x, begin, end, CLIPPED);
  sums[4] = rows_sum(local.x, begin, end, KL_APPROX);
  sums[5] = rows_sum(local.x, begin, end, APPROX_KL);
  sums[6] = rows_sum(local.x, begin, end, RATIO);
  var squares = 0.0;
  for (var i = begin + local.x; i < end; i += 256u) { let r = src[i * STRIDE + RATIO]; squares += r * r; }
  sums[7] = workgroup_sum(local.x, squares);
  let residualMean = rows_sum(local.x, begin, end, RESIDUAL) / n;
  let residualM2 = rows_deviation(local.x, begin, end, RESIDUAL, residualMean);
  let returnMean = rows_sum(local.x, begin, end, RETURN) / n;
  let returnM2 = rows_deviation(local.x, begin, end, RETURN, returnMean);
  if (local.x != 0u) { return; }
  let at = group.x * LOSS_RECORD;
  for (var k = 0u; k < 8u; k++) { partials[at + k] = sums[k]; }
  partials[at + 8u] = residualMean;
  partials[at + 9u] = residualM2;
  partials[at + 10u] = returnMean;
  partials[at + 11u] = returnM2;
  partials[at + 12u] = n;
}

// Pass 2: the stats of slot p.slot, as reduce.wgsl's loss_stats (a: reduction scale, b: criticCoef, c: entropyCoef).
@compute @workgroup_size(1)
fn loss_stats_combine() {
  if (scalars[STOPPED] != 0.0) { return; }
  var sums: array<f32, 8>;
  var residual = vec3<f32>(0.0);
  var ret = vec3<f32>(0.0);
  for (var g = 0u; g < p.groups; g++) {
    let at = g * LOSS_RECORD;
    for (var k = 0u; k < 8u; k++) { sums[k] += partials[at + k]; }
    let n = partials[at + 12u];
    residual = merge(residual, n, partials[at + 8u], partials[at + 9u]);
    ret = merge(ret, n, partials[at + 10u], partials[at + 11u]);
  }
  let n = f32(p.count);
  let at = p.slot * SLOT;
  dst[at + 0u] = p.a * sums[0];
  dst[at + 1u] = p.b * p.a * sums[1];
  dst[at + 2u] = -p.c * p.a * sums[2];
  dst[at + 3u] = sums[2] / n;
  dst[at + 4u] = sums[3] / n;
  dst[at + 5u] = sums[4] / n;
  dst[at + 6u] = sums[5] / n;
  dst[at + 7u] = sums[6] * sums[6] / sums[7] / n;
  // reduce.wgsl divides sums of squared deviations (residualVar / returnVar): the same ratio of M2s.
  dst[at + 8u] = select(1.0 - residual.z / ret.z, 0.0, ret.z == 0.0);
  dst[at + RAN] = 1.0;
}
