// Matrix products and column sums shaped for hardware GPUs: the same strided product and epilogue as
// linear.wgsl's matmul (C[i, j] = epilogue(sum_k A(i, k) B(k, j))), but each workgroup stages 64 x 16 panels
// of A and B through workgroup memory and its 16 x 16 invocations each own a 4 x 4 register block of a 64 x 64
// output tile, so every loaded value is reused 64 times. The z workgroup id splits the k range (split-K): with
// more than one split, split z writes its partial sums, without epilogue, at cOffset + z splitStride, and
// sum_splits adds them up. A long minibatch (the k of dW = dY^T X) thereby spreads over many workgroups.

const TILE: u32 = 64u;
const KT: u32 = 16u;
const BLOCK: u32 = 4u;

// [k][i] and [k][j], rows padded to 65 so that loads walking k hit different banks.
var<workgroup> tileA: array<array<f32, 65>, 16>;
var<workgroup> tileB: array<array<f32, 65>, 16>;

@compute @workgroup_size(16, 16)
fn matmul_tiled(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let row0 = group.y * TILE;
  let col0 = group.x * TILE;
  let kBegin = group.z * p.kChunk;
  let kEnd = min(p.k, kBegin + p.kChunk);
  let flat = local.y * 16u + local.x;
  var sum: array<vec4<f32>, 4>;
  var rowSums = vec4<f32>(0.0); // ROW_SUMS
  for (var k0 = kBegin; k0 < kEnd; k0 += KT) {
    // 256 invocations load 64 x 16 values of each panel, 4 each, neighbours reading neighbouring addresses
    // (along k when k is the contiguous index, else along the rows / columns); out-of-range values load as 0.
    for (var e = 0u; e < 4u; e++) {
      let index = flat + e * 256u;
      let ta = select(index / TILE, index % KT, p.aCol == 1u);
      let ra = select(index % TILE, index / KT, p.aCol == 1u);
      let tb = select(index / TILE, index % KT, p.bRow == 1u);
      let rb = select(index % TILE, index / KT, p.bRow == 1u);
      let i = row0 + ra;
      let j = col0 + rb;
      var va = 0.0;
      var vb = 0.0;
      if (k0 + ta < kEnd && i < p.m) { va = a[p.aOffset + i * p.aRow + (k0 + ta) * p.aCol]; }
      if (k0 + tb < kEnd && j < p.n) { vb = b[p.bOffset + (k0 + tb) * p.bRow + j * p.bCol]; }
      tileA[ta][ra] = va;
      tileB[tb][rb] = vb;
    }
    workgroupBarrier();
    for (var t = 0u; t < KT; t++) {
      let bk = vec4<f32>(tileB[t][local.x], tileB[t][local.x + 16u], tileB[t][local.x + 32u], tileB[t][local.x + 48u]);
      let ak = vec4<f32>(tileA[t][local.y], tileA[t][local.y + 16u], tileA[t][local.y + 32u], tileA[t][local.y + 48u]);
      sum[0] += ak.x * bk;
      sum[1] += ak.y * bk;
      sum[2] += ak.z * bk;
      sum[3] += ak.w * bk;
      rowSums += ak;
    }
    workgroupBarrier();
  }
  // ROW_SUMS: the first column of invocations of the first column of tiles holds every row's sum over this split.
  if ((p.flags & ROW_SUMS) != 0u && group.x == 0u && local.x == 0u) {
    for (var r = 0u; r < BLOCK; r++) {
      let i = row0 + local.y + 16u * r;
      if (i < p.m) { c[p.biasOffset + group.z * p.splitStride + i] = rowSums[r]; }
    }
  }
  // Invocation (x, y) owns rows y + 16 r and columns x + 16 q: neighbouring invocations store neighbouring columns.
  for (var r = 0u; r < BLOCK; r++) {
    let i = row0 + local.y + 16u * r;
    if (i >= p.m) { break; }
    for (var q = 0u; q < BLOCK; q++) {
      let j = col0 + local.x + 16u * q;
      if (j >= p.n) { continue; }
      if ((p.flags & PARTIAL) != 0u) {
        c[p.cOffset + group.z * p.splitStride + i * p.cRow + j] = sum[r][q];
      } else {
        store(i, j, sum[r][q]);
      }
    }
  }
}

// Column sums split over rows: workgroup (x, y) sums columns [64 x, 64 x + 64) over rows [y chunk, (y + 1) chunk)
// into dst[y cols + j]; sum_splits then adds the y partials (bias and log_std gradients of a long minibatch).
struct ColumnParams {
  count: u32, cols: u32, srcOffset: u32, srcStride: u32,
  chunk: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}
@group(0) @binding(0) var<uniform> cp: ColumnParams;
@group(0) @binding(1) var<storage, read> csrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> cdst: array<f32>;

@compute @workgroup_size(64)
fn column_sum_split(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  if (j >= cp.cols) { return; }
  let begin = id.y * cp.chunk;
  let end = min(cp.count, begin + cp.chunk);
  var sum = 0.0;
  for (var i = begin; i < end; i++) { sum += csrc[cp.srcOffset + i * cp.srcStride + j]; }
  cdst[id.y * cp.cols + j] = sum;
}

// dst[dstOffset + i] = sum over z < splits of src[z stride + i], for i < count.
struct SplitParams { count: u32, splits: u32, stride: u32, dstOffset: u32 }
@group(0) @binding(0) var<uniform> sp: SplitParams;
@group(0) @binding(1) var<storage, read> ssrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> sdst: array<f32>;

@compute @workgroup_size(256)
fn sum_splits(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * 256u;
  if (i >= sp.count) { return; }
  var sum = 0.0;
  for (var z = 0u; z < sp.splits; z++) { sum += ssrc[z * sp.stride + i]; }
  sdst[sp.dstOffset + i] = sum;
}
