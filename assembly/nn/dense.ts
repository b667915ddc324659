// Dense layers y = act(x W^T + b), W [out, in] row-major (the parameter layout), x and y [m, features].
// All three products are one register-blocked kernel, c = a b: the forward pass multiplies by W transposed
// (WT [in, out], refreshed when parameters change), dx = dy W, and dW = dy^T x reads dy with swapped strides.
// Every loop has a scalar tail for sizes not divisible by 4.

export const ACT_NONE = 0;
export const ACT_TANH = 1;
export const ACT_RELU = 2;

/** dst [cols, rows] = src [rows, cols] transposed. */
export function transposeMatrix(src: usize, dst: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const srcRow = src + ((<usize>r * <usize>cols) << 2);
    for (let c = 0; c < cols; c++) {
      store<f32>(dst + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(srcRow + (<usize>c << 2)));
    }
  }
}

/** y[i, :] = act(b + sum_k x[i, k] WT[k, :]) for the m rows of x. */
export function denseForward(x: usize, wt: usize, b: usize, y: usize, m: i32, inSize: i32, outSize: i32, activation: i32): void {
  gemm(x, wt, b, y, m, inSize, outSize, false);
  if (activation == ACT_TANH) tanhInPlace(y, m * outSize);
  else if (activation == ACT_RELU) reluInPlace(y, m * outSize);
}

/**
 * Gradients of a dense layer from dy = dL/d(x W^T + b): dW = dy^T x and db = column sums of dy (both
 * overwritten), and dx = dy W when dx is not 0 (added to dx when accumulate, else overwritten).
 */
export function denseBackward(
  x: usize, w: usize, dy: usize, dw: usize, db: usize, dx: usize,
  m: i32, inSize: i32, outSize: i32, accumulate: bool,
): void {
  const outBytes = <usize>outSize << 2;
  // dW: dy read as its transpose (rows step 4 bytes, columns step a row of dy), so no copy is made.
  gemmStrided(dy, 4, outBytes, x, 0, dw, outSize, m, inSize, false);
  columnSums(dy, db, m, outSize);
  if (dx != 0) gemm(dy, w, 0, dx, m, outSize, inSize, accumulate);
}

/** out[j] = sum_i a[i, j] for a [m, n]. */
function columnSums(a: usize, out: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let sum = f32x4.splat(0);
    let p = a + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      sum = f32x4.add(sum, v128.load(p));
      p += rowBytes;
    }
    v128.store(out + (<usize>j << 2), sum);
  }
  for (; j < n; j++) {
    let sum: f32 = 0;
    let p = a + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      sum += load<f32>(p);
      p += rowBytes;
    }
    store<f32>(out + (<usize>j << 2), sum);
  }
}

/**
 * c [m, n] = a [m, k] b [k, n], plus bias [n] (when not 0) or plus c itself (accumulate). Blocks of four
 * rows by eight columns keep eight accumulators in registers: each load of b feeds four rows, each
 * broadcast of a two column groups.
 */
export function gemm(a: usize, b: usize, bias: usize, c: usize, m: i32, k: i32, n: i32, accumulate: bool): void {
  gemmStrided(a, <usize>k << 2, 4, b, bias, c, m, k, n, accumulate);
}

/** gemm with a's element (i, j) at a + i * aRow + j * aCol (bytes): a transposed is (4, rowBytes). */
function gemmStrided(a: usize, aRow: usize, aCol: usize, b: usize, bias: usize, c: usize, m: i32, k: i32, n: i32, accumulate: bool): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) gemmFourRows(a + <usize>i * aRow, aRow, aCol, b, bias, c, i, k, n, accumulate);
  for (; i < m; i++) gemmOneRow(a + <usize>i * aRow, aCol, b, bias, c, i, k, n, accumulate);
}

@inline function start4(bias: usize, c: usize, ob: usize, accumulate: bool): v128 {
  return accumulate ? v128.load(c + ob) : bias != 0 ? v128.load(bias + ob) : f32x4.splat(0);
}

@inline function start1(bias: usize, c: usize, ob: usize, accumulate: bool): f32 {
  return accumulate ? load<f32>(c + ob) : bias != 0 ? load<f32>(bias + ob) : 0;
}

/** Rows i .. i + 3 of c; a0 points at row i of a. */
@inline function gemmFourRows(a0: usize, aBytes: usize, aCol: usize, b: usize, bias: usize, c: usize, i: i32, k: i32, n: i32, accumulate: bool): void {
  const cBytes = <usize>n << 2;
  const c0 = c + <usize>i * cBytes;
  const c1 = c0 + cBytes, c2 = c1 + cBytes, c3 = c2 + cBytes;
  let o = 0;
  for (; o + 8 <= n; o += 8) {
    const ob = <usize>o << 2;
    let r0l = start4(bias, c0, ob, accumulate), r0h = start4(bias, c0, ob + 16, accumulate);
    let r1l = start4(bias, c1, ob, accumulate), r1h = start4(bias, c1, ob + 16, accumulate);
    let r2l = start4(bias, c2, ob, accumulate), r2h = start4(bias, c2, ob + 16, accumulate);
    let r3l = start4(bias, c3, ob, accumulate), r3h = start4(bias, c3, ob + 16, accumulate);
    let bp = b + ob;
    let ap = a0;
    for (let j = 0; j < k; j++) {
      const bl = v128.load(bp);
      const bh = v128.load(bp, 16);
      const s0 = v128.load32_splat(ap);
      const s1 = v128.load32_splat(ap + aBytes);
      const s2 = v128.load32_splat(ap + 2 * aBytes);
      const s3 = v128.load32_splat(ap + 3 * aBytes);
      r0l = f32x4.add(r0l, f32x4.mul(s0, bl)); r0h = f32x4.add(r0h, f32x4.mul(s0, bh));
      r1l = f32x4.add(r1l, f32x4.mul(s1, bl)); r1h = f32x4.add(r1h, f32x4.mul(s1, bh));
      r2l = f32x4.add(r2l, f32x4.mul(s2, bl)); r2h = f32x4.add(r2h, f32x4.mul(s2, bh));
      r3l = f32x4.add(r3l, f32x4.mul(s3, bl)); r3h = f32x4.add(r3h, f32x4.mul(s3, bh));
      bp += cBytes;
      ap += aCol;
    }
    v128.store(c0 + ob, r0l); v128.store(c0 + ob, r0h, 16);
    v128.store(c1 + ob, r1l); v128.store(c1 + ob, r1h, 16);
    v128.store(c2 + ob, r2l); v128.store(c2 + ob, r2h, 16);
    v128.store(c3 + ob, r3l); v128.store(c3 + ob, r3h, 16);
  }
  for (; o + 4 <= n; o += 4) {
    const ob = <usize>o << 2;
    let r0 = start4(bias, c0, ob, accumulate), r1 = start4(bias, c1, ob, accumulate);
    let r2 = start4(bias, c2, ob, accumulate), r3 = start4(bias, c3, ob, accumulate);
    let bp = b + ob;
    let ap = a0;
    for (let j = 0; j < k; j++) {
      const bv = v128.load(bp);
      r0 = f32x4.add(r0, f32x4.mul(v128.load32_splat(ap), bv));
      r1 = f32x4.add(r1, f32x4.mul(v128.load32_splat(ap + aBytes), bv));
      r2 = f32x4.add(r2, f32x4.mul(v128.load32_splat(ap + 2 * aBytes), bv));
      r3 = f32x4.add(r3, f32x4.mul(v128.load32_splat(ap + 3 * aBytes), bv));
      bp += cBytes;
      ap += aCol;
    }
    v128.store(c0 + ob, r0);
    v128.store(c1 + ob, r1);
    v128.store(c2 + ob, r2);
    v128.store(c3 + ob, r3);
  }
  for (; o < n; o++) {
    const ob = <usize>o << 2;
    let r0 = start1(bias, c0, ob, accumulate), r1 = start1(bias, c1, ob, accumulate);
    let r2 = start1(bias, c2, ob, accumulate), r3 = start1(bias, c3, ob, accumulate);
    let bp = b + ob;
    let ap = a0;
    for (let j = 0; j < k; j++) {
      const bv = load<f32>(bp);
      r0 += load<f32>(ap) * bv;
      r1 += load<f32>(ap + aBytes) * bv;
      r2 += load<f32>(ap + 2 * aBytes) * bv;
      r3 += load<f32>(ap + 3 * aBytes) * bv;
      bp += cBytes;
      ap += aCol;
    }
    store<f32>(c0 + ob, r0);
    store<f32>(c1 + ob, r1);
    store<f32>(c2 + ob, r2);
    store<f32>(c3 + ob, r3);
  }
}

/** Row i of c; aRow points at row i of a. */
@inline function gemmOneRow(aRow: usize, aCol: usize, b: usize, bias: usize, c: usize, i: i32, k: i32, n: i32, accumulate: bool): void {
  const cBytes = <usize>n << 2;
  const cRow = c + <usize>i * cBytes;
  let o = 0;
  // Sixteen columns at a time: four accumulators share each broadcast.
  for (; o + 16 <= n; o += 16) {
    const ob = <usize>o << 2;
    let r0 = start4(bias, cRow, ob, accumulate), r1 = start4(bias, cRow, ob + 16, accumulate);
    let r2 = start4(bias, cRow, ob + 32, accumulate), r3 = start4(bias, cRow, ob + 48, accumulate);
    let bp = b + ob;
    for (let j = 0; j < k; j++) {
      const s = v128.load32_splat(aRow + <usize>j * aCol);
      r0 = f32x4.add(r0, f32x4.mul(s, v128.load(bp)));
      r1 = f32x4.add(r1, f32x4.mul(s, v128.load(bp, 16)));
      r2 = f32x4.add(r2, f32x4.mul(s, v128.load(bp, 32)));
      r3 = f32x4.add(r3, f32x4.mul(s, v128.load(bp, 48)));
      bp += cBytes;
    }
    v128.store(cRow + ob, r0);
    v128.store(cRow + ob, r1, 16);
    v128.store(cRow + ob, r2, 32);
    v128.store(cRow + ob, r3, 48);
  }
  for (; o + 4 <= n; o += 4) {
    const ob = <usize>o << 2;
    let r0 = start4(bias, cRow, ob, accumulate);
    let bp = b + ob;
    for (let j = 0; j < k; j++) {
      r0 = f32x4.add(r0, f32x4.mul(v128.load32_splat(aRow + <usize>j * aCol), v128.load(bp)));
      bp += cBytes;
    }
    v128.store(cRow + ob, r0);
  }
  for (; o < n; o++) {
    const ob = <usize>o << 2;
    let r = start1(bias, cRow, ob, accumulate);
    let bp = b + ob;
    for (let j = 0; j < k; j++) {
      r += load<f32>(aRow + <usize>j * aCol) * load<f32>(bp);
      bp += cBytes;
    }
    store<f32>(cRow + ob, r);
  }
}

/** dy *= act'(y) in place, from the activation's output y (tanh: 1 - y^2; relu: y > 0). */
export function activationBackward(y: usize, dy: usize, n: i32, activation: i32): void {
  let i = 0;
  if (activation == ACT_TANH) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(y + o);
      v128.store(dy + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(v, v))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(y + o);
      store<f32>(dy + o, load<f32>(dy + o) * (1 - v * v));
    }
  } else if (activation == ACT_RELU) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dy + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      if (!(load<f32>(y + o) > 0)) store<f32>(dy + o, 0);
    }
  }
}

/**
 * tanh as a [13/6] rational minimax approximation on [-7.9, 7.9] (beyond it tanh rounds to +-1 in f32),
 * four lanes at a time; a few ulp from the exact value, far cheaper than exp-based tanh.
 * Coefficients: clamp, p13 .. p1 (odd numerator), q6 .. q0 (even denominator), the tiny-input bound. They
 * are read from memory into locals once per call: a vector constant in the loop would be rebuilt on every
 * use by the engine.
 */
const TANH = memory.data<f32>([
  7.90531110763549805,
  -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
  1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03,
  1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03,
  0.0004,
]);

function tanhInPlace(y: usize, n: i32): void {
  const hi = v128.load32_splat(TANH);
  const lo = f32x4.neg(hi);
  const p13 = v128.load32_splat(TANH, 4), p11 = v128.load32_splat(TANH, 8), p9 = v128.load32_splat(TANH, 12);
  const p7 = v128.load32_splat(TANH, 16), p5 = v128.load32_splat(TANH, 20), p3 = v128.load32_splat(TANH, 24);
  const p1 = v128.load32_splat(TANH, 28);
  const q6 = v128.load32_splat(TANH, 32), q4 = v128.load32_splat(TANH, 36), q2 = v128.load32_splat(TANH, 40);
  const q0 = v128.load32_splat(TANH, 44);
  const tiny = v128.load32_splat(TANH, 48);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = y + (<usize>i << 2);
    v128.store(o, tanhRational(v128.load(o), hi, lo, p13, p11, p9, p7, p5, p3, p1, q6, q4, q2, q0, tiny));
  }
  for (; i < n; i++) {
    const o = y + (<usize>i << 2);
    const v = tanhRational(f32x4.splat(load<f32>(o)), hi, lo, p13, p11, p9, p7, p5, p3, p1, q6, q4, q2, q0, tiny);
    store<f32>(o, f32x4.extract_lane(v, 0));
  }
}

@inline function tanhRational(
  v: v128, hi: v128, lo: v128, p13: v128, p11: v128, p9: v128, p7: v128, p5: v128, p3: v128, p1: v128,
  q6: v128, q4: v128, q2: v128, q0: v128, tiny: v128,
): v128 {
  // pmin/pmax (one instruction each, NaN in the first operand passes through) rather than min/max, whose
  // exact NaN and -0 rules cost several instructions per lane group.
  const x = f32x4.pmax(f32x4.pmin(v, hi), lo);
  const x2 = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(p13, x2), p11);
  p = f32x4.add(f32x4.mul(p, x2), p9);
  p = f32x4.add(f32x4.mul(p, x2), p7);
  p = f32x4.add(f32x4.mul(p, x2), p5);
  p = f32x4.add(f32x4.mul(p, x2), p3);
  p = f32x4.add(f32x4.mul(p, x2), p1);
  p = f32x4.mul(p, x);
  let q = f32x4.add(f32x4.mul(q6, x2), q4);
  q = f32x4.add(f32x4.mul(q, x2), q2);
  q = f32x4.add(f32x4.mul(q, x2), q0);
  // Tiny inputs: tanh(x) = x to f32 precision (and keeps -0 and the ratio's rounding out of it).
  return v128.bitselect(v, f32x4.div(p, q), f32x4.lt(f32x4.abs(v), tiny));
}

/** One tanh with the same approximation (exported for the accuracy test). */
export function tanhApprox(x: f32): f32 {
  const scratch = memory.data(16);
  store<f32>(scratch, x);
  tanhInPlace(scratch, 1);
  return load<f32>(scratch);
}

function reluInPlace(y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.pmax(v128.load(y + o), zero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, max<f32>(load<f32>(y + o), 0));
  }
}
