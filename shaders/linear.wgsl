// Linear layers as one strided, register-blocked matrix product with a fused epilogue:
//   C[i, j] = epilogue(sum_k A(i, k) B(k, j)),  A(i, k) = a[aOffset + i aRow + k aCol], B likewise.
// Strides let one kernel serve the forward pass (Y = X W^T + b, then the activation), the input gradient
// (dX = dY W, times act'(H) of the layer below) and the weight gradient (dW = dY^T X), reading weights and
// gradients in place in the flat parameter buffers. Parameters, bindings and the epilogue: matmul_common.wgsl.

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
  if ((p.flags & ROW_SUMS) == 0u) {
    for (var k = 0u; k < p.k; k++) {
      let kb = k * p.bRow;
      let ka = k * p.aCol;
      let bk = vec4<f32>(b[b0 + kb], b[b1 + kb], b[b2 + kb], b[b3 + kb]);
      sum[0] += a[a0 + ka] * bk;
      sum[1] += a[a1 + ka] * bk;
      sum[2] += a[a2 + ka] * bk;
      sum[3] += a[a3 + ka] * bk;
    }
  } else {
    // The same loop, also summing the A values it loads (a loop of its own, so that the products without
    // ROW_SUMS, most of them, pay nothing for it on adapters that do not unswitch loops).
    var rowSums = vec4<f32>(0.0);
    for (var k = 0u; k < p.k; k++) {
      let kb = k * p.bRow;
      let ka = k * p.aCol;
      let bk = vec4<f32>(b[b0 + kb], b[b1 + kb], b[b2 + kb], b[b3 + kb]);
      let ak = vec4<f32>(a[a0 + ka], a[a1 + ka], a[a2 + ka], a[a3 + ka]);
      sum[0] += ak.x * bk;
      sum[1] += ak.y * bk;
      sum[2] += ak.z * bk;
      sum[3] += ak.w * bk;
      rowSums += ak;
    }
    if (j0 == 0u) {
      for (var r = 0u; r < BLOCK && i0 + r < p.m; r++) { c[p.biasOffset + i0 + r] = rowSums[r]; }
    }
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
