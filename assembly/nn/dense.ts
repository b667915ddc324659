// Dense layers y = act(x W^T + b), W [out, in] row-major (the parameter layout), x and y [m, features].
// All three products are one register-blocked kernel, c = a b: the forward pass multiplies by W transposed
// (WT [in, out], refreshed when parameters change; heads under four outputs use W's rows instead), dx = dy W,
// and dW = dy^T x reads dy with swapped strides.
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

/**
 * y[i, :] = act(b + x[i, :] W^T) for the m rows of x. Layers of four or more outputs multiply by WT [in, out];
 * narrower ones (the policy and value heads) take dot products with W's rows, contiguous along the input,
 * as a column of WT would leave three of four lanes idle.
 */
export function denseForward(x: usize, w: usize, wt: usize, b: usize, y: usize, m: i32, inSize: i32, outSize: i32, activation: i32): void {
  if (outSize < 4) rowDots(x, w, b, y, m, inSize, outSize);
  else gemm(x, wt, b, y, m, inSize, outSize, false);
  if (activation == ACT_TANH) tanhInPlace(y, m * outSize);
  else if (activation == ACT_RELU) reluInPlace(y, m * outSize);
}

/** y[i, o] = b[o] + x[i, :] . w[o, :] for x [m, k], w [n, k]: two 4-lane partial sums, then the lanes. */
function rowDots(x: usize, w: usize, b: usize, y: usize, m: i32, k: i32, n: i32): void {
  const rowBytes = <usize>k << 2;
  for (let i = 0; i < m; i++) {
    const xRow = x + <usize>i * rowBytes;
    for (let o = 0; o < n; o++) {
      const wRow = w + <usize>o * rowBytes;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      let j = 0;
      for (; j + 8 <= k; j += 8) {
        const jb = <usize>j << 2;
        s0 = f32x4.add(s0, f32x4.mul(v128.load(xRow + jb), v128.load(wRow + jb)));
        s1 = f32x4.add(s1, f32x4.mul(v128.load(xRow + jb, 16), v128.load(wRow + jb, 16)));
      }
      for (; j + 4 <= k; j += 4) {
        const jb = <usize>j << 2;
        s0 = f32x4.add(s0, f32x4.mul(v128.load(xRow + jb), v128.load(wRow + jb)));
      }
      const s = f32x4.add(s0, s1);
      let sum = (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
      for (; j < k; j++) sum += load<f32>(xRow + (<usize>j << 2)) * load<f32>(wRow + (<usize>j << 2));
      store<f32>(y + ((<usize>i * <usize>n + <usize>o) << 2), load<f32>(b + (<usize>o << 2)) + sum);
    }
  }
}

/**
 * Gradients of a dense layer from dy = dL/d(x W^T + b): dW = dy^T x and db = column sums of dy (overwritten,
 * or added to when accumulateParams), and dx = dy W when dx is not 0 (added to dx when accumulate, else
 * overwritten). Every dW and db entry is one running f32 sum over the rows in order, started from 0 or from
 * the stored value: rows given in consecutive chunks (accumulateParams after the first) give the same bits
 * as all rows at once, which is what lets a minibatch be cut into frame-budget slices.
 */
export function denseBackward(
  x: usize, w: usize, dy: usize, dw: usize, db: usize, dx: usize,
  m: i32, inSize: i32, outSize: i32, accumulate: bool, accumulateParams: bool,
): void {
  const outBytes = <usize>outSize << 2;
  // dW: dy read as its transpose (rows step 4 bytes, columns step a row of dy), so no copy is made.
  gemmStrided(dy, 4, outBytes, x, 0, dw, outSize, m, inSize, accumulateParams);
  columnSums(dy, db, m, outSize, accumulateParams);
  if (dx != 0) gemm(dy, w, 0, dx, m, outSize, inSize, accumulate);
}

/** out[j] = sum_i a[i, j] for a [m, n], added to out[j] when accumulate. */
function columnSums(a: usize, out: usize, m: i32, n: i32, accumulate: bool): void {
  const rowBytes = <usize>n << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let sum = accumulate ? v128.load(out + (<usize>j << 2)) : f32x4.splat(0);
    let p = a + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      sum = f32x4.add(sum, v128.load(p));
      p += rowBytes;
    }
    v128.store(out + (<usize>j << 2), sum);
  }
  for (; j < n; j++) {
    let sum: f32 = accumulate ? load<f32>(out + (<usize>j << 2)) : 0;
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
 * tanh as x P(x^2) / Q(x^2), a [9/6] rational minimax fit on [-7.9, 7.9] with P(0) = Q(0) = 1 (so a tiny
 * x, and -0, come out unchanged) and R(7.9) = 1. Beyond 7.9 x^2 is held at 7.9^2, so x P / Q grows past 1
 * (infinities included) and the final clamp to [-1, 1] saturates it. Within 6e-7 of tanh for every f32
 * input (the fit's 3e-7 plus f32 rounding), odd, and NaN passes through.
 * Two vectors are done per step, so the out-of-order core overlaps their dependency chains.
 * Coefficients: 7.9^2, p1 .. p4, q1 .. q3. They are read from memory into locals once per call: a vector
 * constant in the loop would be rebuilt on every use by the engine.
 */
export const TANH = memory.data<f32>([
  62.41,
  0.12687622010707855, 0.0026713660918176174, 6.976856639084872e-06, -5.8156488513816385e-09,
  0.46020758152008057, 0.02274339273571968, 0.00019354511459823698,
]);

/** y = tanh(y) for n floats in place (the rational fit above). */
export function tanhInPlace(y: usize, n: i32): void {
  const sMax = v128.load32_splat(TANH);
  const p1 = v128.load32_splat(TANH, 4), p2 = v128.load32_splat(TANH, 8);
  const p3 = v128.load32_splat(TANH, 12), p4 = v128.load32_splat(TANH, 16);
  const q1 = v128.load32_splat(TANH, 20), q2 = v128.load32_splat(TANH, 24), q3 = v128.load32_splat(TANH, 28);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = y + (<usize>i << 2);
    const a = tanhRational(v128.load(o), sMax, p1, p2, p3, p4, q1, q2, q3);
    const b = tanhRational(v128.load(o, 16), sMax, p1, p2, p3, p4, q1, q2, q3);
    v128.store(o, a);
    v128.store(o, b, 16);
  }
  for (; i < n; i++) {
    const o = y + (<usize>i << 2);
    const v = tanhRational(f32x4.splat(load<f32>(o)), sMax, p1, p2, p3, p4, q1, q2, q3);
    store<f32>(o, f32x4.extract_lane(v, 0));
  }
}

@inline export function tanhRational(x: v128, sMax: v128, p1: v128, p2: v128, p3: v128, p4: v128, q1: v128, q2: v128, q3: v128): v128 {
  const one = f32x4.splat(1);
  // pmin/pmax (one instruction each, NaN in the first operand passes through) rather than min/max, whose
  // exact NaN and -0 rules cost several instructions per lane group.
  const s = f32x4.pmin(f32x4.mul(x, x), sMax);
  const p = f32x4.mul(f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(p4, s), p3), s), p2), s), p1), s), one), x);
  const q = f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(q3, s), q2), s), q1), s), one);
  return f32x4.pmax(f32x4.pmin(f32x4.div(p, q), one), f32x4.neg(one));
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
