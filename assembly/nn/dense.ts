// Dense layers y = act(x W^T + b), W [out, in] row-major (the parameter layout), x and y [m, features].
// The forward pass reads W transposed (WT [in, out]) so one broadcast input sweeps four outputs per f32x4;
// the backward passes read W and x as they are. Every loop has a scalar tail for sizes not divisible by 4.

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
  let i = 0;
  // Four rows by eight outputs: each weight load feeds four rows, each broadcast input two outputs.
  for (; i + 4 <= m; i += 4) forwardFourRows(x, wt, b, y, i, inSize, outSize);
  for (; i < m; i++) forwardOneRow(x, wt, b, y, i, inSize, outSize);
  if (activation == ACT_TANH) tanhInPlace(y, m * outSize);
  else if (activation == ACT_RELU) reluInPlace(y, m * outSize);
}

@inline function forwardFourRows(x: usize, wt: usize, b: usize, y: usize, i: i32, inSize: i32, outSize: i32): void {
  const inBytes = <usize>inSize << 2;
  const outBytes = <usize>outSize << 2;
  const x0 = x + <usize>i * inBytes;
  const y0 = y + <usize>i * outBytes;
  let o = 0;
  for (; o + 8 <= outSize; o += 8) {
    const ob = <usize>o << 2;
    const bl = v128.load(b + ob);
    const bh = v128.load(b + ob, 16);
    let a0l = bl, a0h = bh, a1l = bl, a1h = bh, a2l = bl, a2h = bh, a3l = bl, a3h = bh;
    let w = wt + ob;
    let xp = x0;
    for (let k = 0; k < inSize; k++) {
      const wl = v128.load(w);
      const wh = v128.load(w, 16);
      const s0 = v128.load32_splat(xp);
      const s1 = v128.load32_splat(xp + inBytes);
      const s2 = v128.load32_splat(xp + 2 * inBytes);
      const s3 = v128.load32_splat(xp + 3 * inBytes);
      a0l = f32x4.add(a0l, f32x4.mul(s0, wl)); a0h = f32x4.add(a0h, f32x4.mul(s0, wh));
      a1l = f32x4.add(a1l, f32x4.mul(s1, wl)); a1h = f32x4.add(a1h, f32x4.mul(s1, wh));
      a2l = f32x4.add(a2l, f32x4.mul(s2, wl)); a2h = f32x4.add(a2h, f32x4.mul(s2, wh));
      a3l = f32x4.add(a3l, f32x4.mul(s3, wl)); a3h = f32x4.add(a3h, f32x4.mul(s3, wh));
      w += outBytes;
      xp += 4;
    }
    const yp = y0 + ob;
    v128.store(yp, a0l); v128.store(yp, a0h, 16);
    v128.store(yp + outBytes, a1l); v128.store(yp + outBytes, a1h, 16);
    v128.store(yp + 2 * outBytes, a2l); v128.store(yp + 2 * outBytes, a2h, 16);
    v128.store(yp + 3 * outBytes, a3l); v128.store(yp + 3 * outBytes, a3h, 16);
  }
  for (; o + 4 <= outSize; o += 4) {
    const ob = <usize>o << 2;
    const bv = v128.load(b + ob);
    let a0 = bv, a1 = bv, a2 = bv, a3 = bv;
    let w = wt + ob;
    let xp = x0;
    for (let k = 0; k < inSize; k++) {
      const wv = v128.load(w);
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(xp), wv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(xp + inBytes), wv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(xp + 2 * inBytes), wv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(xp + 3 * inBytes), wv));
      w += outBytes;
      xp += 4;
    }
    const yp = y0 + ob;
    v128.store(yp, a0);
    v128.store(yp + outBytes, a1);
    v128.store(yp + 2 * outBytes, a2);
    v128.store(yp + 3 * outBytes, a3);
  }
  for (; o < outSize; o++) {
    const ob = <usize>o << 2;
    const bias = load<f32>(b + ob);
    let a0 = bias, a1 = bias, a2 = bias, a3 = bias;
    let w = wt + ob;
    let xp = x0;
    for (let k = 0; k < inSize; k++) {
      const wv = load<f32>(w);
      a0 += load<f32>(xp) * wv;
      a1 += load<f32>(xp + inBytes) * wv;
      a2 += load<f32>(xp + 2 * inBytes) * wv;
      a3 += load<f32>(xp + 3 * inBytes) * wv;
      w += outBytes;
      xp += 4;
    }
    const yp = y0 + ob;
    store<f32>(yp, a0);
    store<f32>(yp + outBytes, a1);
    store<f32>(yp + 2 * outBytes, a2);
    store<f32>(yp + 3 * outBytes, a3);
  }
}

@inline function forwardOneRow(x: usize, wt: usize, b: usize, y: usize, i: i32, inSize: i32, outSize: i32): void {
  const outBytes = <usize>outSize << 2;
  const xRow = x + ((<usize>i * <usize>inSize) << 2);
  const yRow = y + <usize>i * outBytes;
  let o = 0;
  // Sixteen outputs at a time: four accumulators share each broadcast input.
  for (; o + 16 <= outSize; o += 16) {
    const ob = <usize>o << 2;
    let a0 = v128.load(b + ob);
    let a1 = v128.load(b + ob, 16);
    let a2 = v128.load(b + ob, 32);
    let a3 = v128.load(b + ob, 48);
    let w = wt + ob;
    for (let k = 0; k < inSize; k++) {
      const s = v128.load32_splat(xRow + (<usize>k << 2));
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(w)));
      a1 = f32x4.add(a1, f32x4.mul(s, v128.load(w, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(w, 32)));
      a3 = f32x4.add(a3, f32x4.mul(s, v128.load(w, 48)));
      w += outBytes;
    }
    v128.store(yRow + ob, a0);
    v128.store(yRow + ob, a1, 16);
    v128.store(yRow + ob, a2, 32);
    v128.store(yRow + ob, a3, 48);
  }
  for (; o + 4 <= outSize; o += 4) {
    const ob = <usize>o << 2;
    let a0 = v128.load(b + ob);
    let w = wt + ob;
    for (let k = 0; k < inSize; k++) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(xRow + (<usize>k << 2)), v128.load(w)));
      w += outBytes;
    }
    v128.store(yRow + ob, a0);
  }
  for (; o < outSize; o++) {
    const ob = <usize>o << 2;
    let a = load<f32>(b + ob);
    let w = wt + ob;
    for (let k = 0; k < inSize; k++) {
      a += load<f32>(xRow + (<usize>k << 2)) * load<f32>(w);
      w += outBytes;
    }
    store<f32>(yRow + ob, a);
  }
}

/**
 * Gradients of a dense layer from dy = dL/d(x W^T + b): dW = dy^T x and db = column sums of dy (both
 * overwritten), and dx = dy W when dx is not 0 (added to dx when accumulate, else overwritten).
 */
export function denseBackward(
  x: usize, w: usize, dy: usize, dw: usize, db: usize, dx: usize,
  m: i32, inSize: i32, outSize: i32, accumulate: bool,
): void {
  const inBytes = <usize>inSize << 2;
  const outBytes = <usize>outSize << 2;
  for (let o = 0; o < outSize; o++) {
    const dyCol = dy + (<usize>o << 2);
    const dwRow = dw + <usize>o * inBytes;
    let bias: f32 = 0;
    for (let i = 0; i < m; i++) bias += load<f32>(dyCol + <usize>i * outBytes);
    store<f32>(db + (<usize>o << 2), bias);
    let k = 0;
    for (; k + 16 <= inSize; k += 16) {
      const kb = <usize>k << 2;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      let xp = x + kb;
      let g = dyCol;
      for (let i = 0; i < m; i++) {
        const s = f32x4.splat(load<f32>(g));
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(xp)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(xp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(xp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s, v128.load(xp, 48)));
        xp += inBytes;
        g += outBytes;
      }
      v128.store(dwRow + kb, a0);
      v128.store(dwRow + kb, a1, 16);
      v128.store(dwRow + kb, a2, 32);
      v128.store(dwRow + kb, a3, 48);
    }
    for (; k + 4 <= inSize; k += 4) {
      const kb = <usize>k << 2;
      let a0 = f32x4.splat(0);
      let xp = x + kb;
      let g = dyCol;
      for (let i = 0; i < m; i++) {
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(g)), v128.load(xp)));
        xp += inBytes;
        g += outBytes;
      }
      v128.store(dwRow + kb, a0);
    }
    for (; k < inSize; k++) {
      const kb = <usize>k << 2;
      let a: f32 = 0;
      let xp = x + kb;
      let g = dyCol;
      for (let i = 0; i < m; i++) {
        a += load<f32>(g) * load<f32>(xp);
        xp += inBytes;
        g += outBytes;
      }
      store<f32>(dwRow + kb, a);
    }
  }
  if (dx == 0) return;
  for (let i = 0; i < m; i++) {
    const dyRow = dy + <usize>i * outBytes;
    const dxRow = dx + <usize>i * inBytes;
    let k = 0;
    for (; k + 16 <= inSize; k += 16) {
      const kb = <usize>k << 2;
      let a0 = accumulate ? v128.load(dxRow + kb) : f32x4.splat(0);
      let a1 = accumulate ? v128.load(dxRow + kb, 16) : f32x4.splat(0);
      let a2 = accumulate ? v128.load(dxRow + kb, 32) : f32x4.splat(0);
      let a3 = accumulate ? v128.load(dxRow + kb, 48) : f32x4.splat(0);
      let wp = w + kb;
      for (let o = 0; o < outSize; o++) {
        const s = f32x4.splat(load<f32>(dyRow + (<usize>o << 2)));
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wp)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(wp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s, v128.load(wp, 48)));
        wp += inBytes;
      }
      v128.store(dxRow + kb, a0);
      v128.store(dxRow + kb, a1, 16);
      v128.store(dxRow + kb, a2, 32);
      v128.store(dxRow + kb, a3, 48);
    }
    for (; k + 4 <= inSize; k += 4) {
      const kb = <usize>k << 2;
      let a0 = accumulate ? v128.load(dxRow + kb) : f32x4.splat(0);
      let wp = w + kb;
      for (let o = 0; o < outSize; o++) {
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(dyRow + (<usize>o << 2))), v128.load(wp)));
        wp += inBytes;
      }
      v128.store(dxRow + kb, a0);
    }
    for (; k < inSize; k++) {
      const kb = <usize>k << 2;
      let a: f32 = accumulate ? load<f32>(dxRow + kb) : 0;
      let wp = w + kb;
      for (let o = 0; o < outSize; o++) {
        a += load<f32>(dyRow + (<usize>o << 2)) * load<f32>(wp);
        wp += inBytes;
      }
      store<f32>(dxRow + kb, a);
    }
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
 */
function tanhInPlace(y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, tanh4(v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(tanh4(f32x4.splat(load<f32>(y + o))), 0));
  }
}

@inline function tanh4(v: v128): v128 {
  const x = f32x4.min(f32x4.max(v, f32x4.splat(-7.90531110763549805)), f32x4.splat(7.90531110763549805));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(-2.76076847742355e-16);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(2.00018790482477e-13));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-8.60467152213735e-11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(5.12229709037114e-08));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(1.48572235717979e-05));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(6.37261928875436e-04));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(4.89352455891786e-03));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(1.19825839466702e-06);
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(1.18534705686654e-04));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(2.26843463243900e-03));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(4.89352518554385e-03));
  const r = f32x4.div(p, q);
  // Tiny inputs: tanh(x) = x to f32 precision (and keeps -0 and the ratio's rounding out of it).
  return v128.bitselect(v, r, f32x4.lt(f32x4.abs(v), f32x4.splat(0.0004)));
}

/** One tanh with the same approximation (exported for the accuracy test). */
export function tanhApprox(x: f32): f32 {
  return f32x4.extract_lane(tanh4(f32x4.splat(x)), 0);
}

function reluInPlace(y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.max(v128.load(y + o), zero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, max<f32>(load<f32>(y + o), 0));
  }
}
