// Linear layers as one strided, register-blocked matrix product with a fused epilogue:
//   C[i, j] = epilogue(sum_k A(i, k) B(k, j)),  A(i, k) = a[aOffset + i aRow + k aCol], B likewise.
// Strides let one kernel serve the forward pass (Y = X W^T + b, then the activation), the input gradient
// (dX = dY W, times act'(H) of the layer below) and the weight gradient (dW = dY^T X), reading weights and
// gradients in place in the flat parameter buffers.

struct Params {
  m: u32, n: u32, k: u32, flags: u32,
  aOffset: u32, aRow: u32, aCol: u32, _pad0: u32,
  bOffset: u32, bRow: u32, bCol: u32, _pad1: u32,
  cOffset: u32, cRow: u32, biasOffset: u32, auxOffset: u32,
}

// flags
const BIAS: u32 = 1u;        // add bias[biasOffset + j]
const TANH: u32 = 2u;        // apply tanh
const RELU: u32 = 4u;        // apply relu
const ACCUMULATE: u32 = 8u;  // add the current C before the derivative
const DTANH: u32 = 16u;      // multiply by 1 - h^2, h = aux[auxOffset + i cRow + j]
const DRELU: u32 = 32u;      // multiply by (h > 0)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> aux: array<f32>;

// Each invocation computes a 4 x 4 block of C from global memory (no workgroup memory, no barriers: small
// layers stay cache-resident, and software adapters run barrier-free kernels far faster); a workgroup of
// 8 x 8 invocations covers 32 x 32 outputs.
const BLOCK: u32 = 4u;
const GROUP_SPAN: u32 = 32u;

@compute @workgroup_size(8, 8)
fn matmul(@builtin(global_invocation_id) id: vec3<u32>) {
  let i0 = id.y * BLOCK;
  let j0 = id.x * BLOCK;
  if (i0 >= p.m || j0 >= p.n) { return; }
  // Edge blocks read clamped (valid) rows and columns and discard them at the store: no branches in the loop.
  let lastRow = p.m - 1u;
  let lastCol = p.n - 1u;
  let a0 = p.aOffset + min(i0, lastRow) * p.aRow;
  let a1 = p.aOffset + min(i0 + 1u, lastRow) * p.aRow;
  let a2 = p.aOffset + min(i0 + 2u, lastRow) * p.aRow;
  let a3 = p.aOffset + min(i0 + 3u, lastRow) * p.aRow;
  let b0 = p.bOffset + min(j0, lastCol) * p.bCol;
  let b1 = p.bOffset + min(j0 + 1u, lastCol) * p.bCol;
  let b2 = p.bOffset + min(j0 + 2u, lastCol) * p.bCol;
  let b3 = p.bOffset + min(j0 + 3u, lastCol) * p.bCol;
  var sum: array<vec4<f32>, 4>;
  for (var k = 0u; k < p.k; k++) {
    let kb = k * p.bRow;
    let ka = k * p.aCol;
    let bk = vec4<f32>(b[b0 + kb], b[b1 + kb], b[b2 + kb], b[b3 + kb]);
    sum[0] += a[a0 + ka] * bk;
    sum[1] += a[a1 + ka] * bk;
    sum[2] += a[a2 + ka] * bk;
    sum[3] += a[a3 + ka] * bk;
  }
  for (var r = 0u; r < BLOCK; r++) {
    let i = i0 + r;
    if (i >= p.m) { break; }
    for (var q = 0u; q < BLOCK; q++) {
      let j = j0 + q;
      if (j < p.n) { store(i, j, sum[r][q]); }
    }
  }
}

fn store(i: u32, j: u32, total: f32) {
  let at = p.cOffset + i * p.cRow + j;
  var v = total;
  if ((p.flags & BIAS) != 0u) { v += bias[p.biasOffset + j]; }
  if ((p.flags & TANH) != 0u) { v = tanh(v); }
  if ((p.flags & RELU) != 0u) { v = max(v, 0.0); }
  if ((p.flags & ACCUMULATE) != 0u) { v += c[at]; }
  if ((p.flags & DTANH) != 0u) {
    let h = aux[p.auxOffset + i * p.cRow + j];
    v *= 1.0 - h * h;
  }
  if ((p.flags & DRELU) != 0u) {
    v *= select(0.0, 1.0, aux[p.auxOffset + i * p.cRow + j] > 0.0);
  }
  c[at] = v;
}

// Gathers the observation rows of a minibatch: x[i, :] = obs[rows[base + i], :].
struct GatherParams { m: u32, width: u32, base: u32, _pad: u32 }
@group(0) @binding(0) var<uniform> g: GatherParams;
@group(0) @binding(1) var<storage, read> obs: array<f32>;
@group(0) @binding(2) var<storage, read> plan: array<u32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(64)
fn gather_rows(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= g.m) { return; }
  let row = plan[2u * (g.base + i)];
  for (var k = 0u; k < g.width; k++) { x[i * g.width + k] = obs[row * g.width + k]; }
}
