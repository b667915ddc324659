// The wasm kernels under the CPU backend against float64 references: the blocked gemm (every block and
// tail path, bias and accumulate), the dense forward (narrow heads and wide layers), the dense backward, and
// the rational tanh.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, wasm } from '../../src/init.js';
import { PCG32 } from '../../src/rng.js';

function block(values: ArrayLike<number>): { ptr: number; view: () => Float32Array } {
  const ptr = wasm().allocZeroed(Math.max(16, values.length * 4));
  const view = () => new Float32Array(wasm().memory.buffer, ptr, values.length);
  view().set(values);
  return { ptr, view };
}

function random(n: number, rng: PCG32): Float32Array {
  return Float32Array.from({ length: n }, () => rng.nextNormal());
}

describe('cpu kernels', () => {
  beforeAll(() => init());

  it('gemm matches a float64 product for shapes that exercise every block and tail', () => {
    const rng = new PCG32(5, 1);
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [4, 4, 8], [9, 13, 21], [17, 64, 19], [6, 3, 33]]) {
      const a = random(m * k, rng), b = random(k * n, rng), bias = random(n, rng), c0 = random(m * n, rng);
      const A = block(a), B = block(b), Bias = block(bias);
      for (const mode of ['plain', 'bias', 'accumulate'] as const) {
        const C = block(c0);
        wasm().gemm(A.ptr, B.ptr, mode === 'bias' ? Bias.ptr : 0, C.ptr, m, k, n, mode === 'accumulate');
        const c = C.view();
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = mode === 'bias' ? bias[j] : mode === 'accumulate' ? c0[i * n + j] : 0;
            for (let q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j];
            expect(c[i * n + j]).toBeCloseTo(s, 4);
          }
        }
        wasm().free(C.ptr);
      }
      for (const x of [A, B, Bias]) wasm().free(x.ptr);
    }
  });

  it('denseBackward gives dW = dy^T x, db = sum dy, dx = dy W (overwritten or added)', () => {
    const rng = new PCG32(6, 1);
    const [m, inSize, outSize] = [7, 6, 5];
    const x = random(m * inSize, rng), w = random(outSize * inSize, rng), dy = random(m * outSize, rng), dx0 = random(m * inSize, rng);
    const X = block(x), W = block(w), DY = block(dy);
    const DW = block(new Float32Array(outSize * inSize)), DB = block(new Float32Array(outSize));
    for (const accumulate of [false, true]) {
      const DX = block(dx0);
      wasm().denseBackward(X.ptr, W.ptr, DY.ptr, DW.ptr, DB.ptr, DX.ptr, m, inSize, outSize, accumulate, false);
      for (let o = 0; o < outSize; o++) {
        let db = 0;
        for (let i = 0; i < m; i++) db += dy[i * outSize + o];
        expect(DB.view()[o]).toBeCloseTo(db, 5);
        for (let k = 0; k < inSize; k++) {
          let s = 0;
          for (let i = 0; i < m; i++) s += dy[i * outSize + o] * x[i * inSize + k];
          expect(DW.view()[o * inSize + k]).toBeCloseTo(s, 5);
        }
      }
      for (let i = 0; i < m; i++) {
        for (let k = 0; k < inSize; k++) {
          let s = accumulate ? dx0[i * inSize + k] : 0;
          for (let o = 0; o < outSize; o++) s += dy[i * outSize + o] * w[o * inSize + k];
          expect(DX.view()[i * inSize + k]).toBeCloseTo(s, 5);
        }
      }
      wasm().free(DX.ptr);
    }
  });

  it('denseBackward over rows cut into any consecutive chunks gives the bits of all rows at once', () => {
    const rng = new PCG32(8, 3);
    for (const [m, inSize, outSize] of [[13, 6, 5], [40, 17, 9], [7, 3, 33]]) {
      const x = random(m * inSize, rng), w = random(outSize * inSize, rng), dy = random(m * outSize, rng);
      const X = block(x), W = block(w), DY = block(dy);
      const whole = { dw: block(new Float32Array(outSize * inSize)), db: block(new Float32Array(outSize)), dx: block(new Float32Array(m * inSize)) };
      wasm().denseBackward(X.ptr, W.ptr, DY.ptr, whole.dw.ptr, whole.db.ptr, whole.dx.ptr, m, inSize, outSize, false, false);
      for (let trial = 0; trial < 6; trial++) {
        const cut = { dw: block(random(outSize * inSize, rng)), db: block(random(outSize, rng)), dx: block(new Float32Array(m * inSize)) };
        for (let start = 0; start < m;) {
          const n = Math.min(m - start, 1 + (rng.nextU32() % 9));
          wasm().denseBackward(X.ptr + start * inSize * 4, W.ptr, DY.ptr + start * outSize * 4, cut.dw.ptr, cut.db.ptr,
            cut.dx.ptr + start * inSize * 4, n, inSize, outSize, false, start > 0);
          start += n;
        }
        expect(cut.dw.view()).toEqual(whole.dw.view());
        expect(cut.db.view()).toEqual(whole.db.view());
        expect(cut.dx.view()).toEqual(whole.dx.view());
        for (const b of Object.values(cut)) wasm().free(b.ptr);
      }
      for (const b of [X, W, DY, ...Object.values(whole)]) wasm().free(b.ptr);
    }
  });

  it('dense forward matches float64 for narrow heads (dot products with W) and wide layers (WT), with tanh', () => {
    const rng = new PCG32(9, 2);
    for (const [m, k, n] of [[5, 64, 1], [7, 13, 2], [3, 3, 3], [6, 9, 5]]) {
      const x = random(m * k, rng), w = random(n * k, rng), bias = random(n, rng);
      const wt = Float32Array.from({ length: k * n }, (_, i) => w[(i % n) * k + Math.floor(i / n)]);
      const X = block(x), W = block(w), WT = block(wt), Bias = block(bias);
      for (const activation of [0, 1]) {
        const Y = block(new Float32Array(m * n));
        wasm().denseForward(X.ptr, W.ptr, WT.ptr, Bias.ptr, Y.ptr, m, k, n, activation);
        for (let i = 0; i < m; i++) {
          for (let o = 0; o < n; o++) {
            let s = bias[o];
            for (let q = 0; q < k; q++) s += x[i * k + q] * w[o * k + q];
            expect(Y.view()[i * n + o]).toBeCloseTo(activation === 1 ? Math.tanh(s) : s, 4);
          }
        }
        wasm().free(Y.ptr);
      }
      for (const b of [X, W, WT, Bias]) wasm().free(b.ptr);
    }
  });

  it('tanh is within 1e-6 of Math.tanh everywhere, odd, saturating, and NaN-preserving', () => {
    let worst = 0;
    for (let x = -12; x <= 12; x += 0.00037) {
      const f = Math.fround(x);
      worst = Math.max(worst, Math.abs(wasm().tanhApprox(f) - Math.tanh(f)));
      expect(wasm().tanhApprox(-f)).toBe(-wasm().tanhApprox(f));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(wasm().tanhApprox(1e-6)).toBe(Math.fround(1e-6));
    expect(wasm().tanhApprox(Infinity)).toBe(1);
    expect(wasm().tanhApprox(-Infinity)).toBe(-1);
    expect(wasm().tanhApprox(NaN)).toBeNaN();
  });
});
