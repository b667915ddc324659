// What the matrix products of linear.wgsl (barrier-free) and tiled.wgsl (workgroup tiles, split-K) share, prepended
// to both: the strided product's parameters, the epilogue flags, the bindings and the epilogue itself,
//   C[i, j] = epilogue(sum_k A(i, k) B(k, j)),  A(i, k) = a[aOffset + i aRow + k aCol], B likewise.

struct Params {
  m: u32, n: u32, k: u32, flags: u32,
  aOffset: u32, aRow: u32, aCol: u32, kChunk: u32,       // kChunk, splitStride: tiled.wgsl's split-K only
  bOffset: u32, bRow: u32, bCol: u32, splitStride: u32,
  cOffset: u32, cRow: u32, biasOffset: u32, auxOffset: u32,  // biasOffset: read by BIAS, written by ROW_SUMS
}

// flags
const BIAS: u32 = 1u;        // add bias[biasOffset + j]
const TANH: u32 = 2u;        // apply tanh
const RELU: u32 = 4u;        // apply relu
const ACCUMULATE: u32 = 8u;  // add the current C before the derivative
const DTANH: u32 = 16u;      // multiply by 1 - h^2, h = aux[auxOffset + i cRow + j]
const DRELU: u32 = 32u;      // multiply by (h > 0)
const PARTIAL: u32 = 64u;    // tiled.wgsl: a split-K partial, plain sums at cOffset + z splitStride, no epilogue
// Also c[biasOffset + z splitStride + i] = sum_k A(i, k): with dW = dY^T X the bias gradient (column sums of
// dY) comes out of the weight gradient's own pass over dY, instead of a dispatch of its own.
const ROW_SUMS: u32 = 128u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> aux: array<f32>;

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
