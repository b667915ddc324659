// Single kernels on tiny sizes against float64 references written here: the strided matmul in its three
// uses (forward with bias + activation, dX with accumulation and act', dW), column sums, the categorical head
// with masks, and the gradient norm + clipped Adam/AdamW step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getKernels, type Kernel, type KernelName } from '../../src/backend/webgpu/kernels.js';
import { Recorder } from '../../src/backend/webgpu/recorder.js';
import { testDevice } from '../helpers/gpu.js';

let device: GPUDevice | null = null;
let kernels: Record<KernelName, Kernel>;
const created: GPUBuffer[] = [];
beforeAll(async () => {
  device = await testDevice();
  if (device) kernels = await getKernels(device);
});
afterAll(() => created.forEach((b) => b.destroy()));

let seed = 3;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
const floats = (n: number) => Float32Array.from({ length: n }, random);

function buffer(data: Float32Array | Uint32Array | number): GPUBuffer {
  const bytes = typeof data === 'number' ? data * 4 : data.byteLength;
  const b = device!.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  if (typeof data !== 'number') device!.queue.writeBuffer(b, 0, data);
  created.push(b);
  return b;
}

async function execute(rec: Recorder, read: GPUBuffer, n: number): Promise<Float32Array> {
  const encoder = device!.createCommandEncoder();
  const pass = encoder.beginComputePass();
  const arena: { buffer?: GPUBuffer } = {};
  rec.encode(device!, arena, pass);
  pass.end();
  const staging = device!.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  encoder.copyBufferToBuffer(read, 0, staging, 0, n * 4);
  device!.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  arena.buffer?.destroy();
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) expect.fail(`[${i}]: ${actual[i]} vs float64 ${expected[i]}`);
  }
}

describe('webgpu kernels', () => {
  const M = 19, K = 21, N = 17; // not multiples of the 16 x 16 tile

  it('matmul forward: Y = act(X W^T + b) for tanh and relu, weights read at an offset', async (ctx) => {
    if (!device) return ctx.skip();
    const x = floats(M * K);
    const params = floats(5 + N * K + N); // W at 5, b after it
    for (const [flag, act] of [[2, Math.tanh], [4, (v: number) => Math.max(0, v)]] as const) {
      const y = buffer(M * N);
      const rec = new Recorder();
      rec.dispatch(kernels.matmul, [M, N, K, 1 | flag, 0, K, 1, 0, 5, 1, K, 0, 0, N, 5 + N * K, 0],
        { 1: buffer(x), 2: buffer(params), 3: y, 4: buffer(params), 5: buffer(4) }, 2, 2);
      const expected = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = params[5 + N * K + j];
        for (let k = 0; k < K; k++) s += x[i * K + k] * params[5 + j * K + k];
        expected[i * N + j] = act(s);
      }
      expectClose(await execute(rec, y, M * N), expected);
    }
  });

  it('matmul backward: dX = (C + dY W) * (1 - h^2) and dW = dY^T X into a gradient buffer at an offset', async (ctx) => {
    if (!device) return ctx.skip();
    const dy = floats(M * N), w = floats(N * K), h = floats(M * K), prior = floats(M * K), x = floats(M * K);
    const dx = buffer(prior);
    const grads = buffer(3 + N * K);
    const rec = new Recorder();
    rec.dispatch(kernels.matmul, [M, K, N, 8 | 16, 0, N, 1, 0, 0, K, 1, 0, 0, K, 0, 0], { 1: buffer(dy), 2: buffer(w), 3: dx, 4: buffer(w), 5: buffer(h) }, 2, 2);
    rec.dispatch(kernels.matmul, [N, K, M, 0, 0, 1, N, 0, 0, K, 1, 0, 3, K, 0, 0], { 1: buffer(dy), 2: buffer(x), 3: grads, 4: buffer(w), 5: buffer(w) }, 2, 2);
    const dxExpected = new Float64Array(M * K);
    for (let i = 0; i < M; i++) for (let j = 0; j < K; j++) {
      let s = prior[i * K + j];
      for (let k = 0; k < N; k++) s += dy[i * N + k] * w[k * K + j];
      dxExpected[i * K + j] = s * (1 - h[i * K + j] ** 2);
    }
    const dwExpected = new Float64Array(N * K);
    for (let o = 0; o < N; o++) for (let j = 0; j < K; j++) {
      for (let i = 0; i < M; i++) dwExpected[o * K + j] += dy[i * N + o] * x[i * K + j];
    }
    expectClose(await execute(rec, dx, M * K), dxExpected);
    expectClose((await execute(new Recorder(), grads, 3 + N * K)).subarray(3), dwExpected, 1e-5, 1e-5);
  });

  it('column_sum: strided column sums of 600 rows into a gradient buffer at an offset', async (ctx) => {
    if (!device) return ctx.skip();
    const rows = 600, cols = 3, stride = 16, offset = 6;
    const src = floats(rows * stride);
    const dst = buffer(10);
    const rec = new Recorder();
    rec.dispatch(kernels.column_sum, [rows, cols, offset, stride, 4], { 1: buffer(src), 2: dst, 3: buffer(16) }, cols);
    const expected = [0, 1, 2].map((j) => { let s = 0; for (let i = 0; i < rows; i++) s += src[offset + i * stride + j]; return s; });
    expectClose((await execute(rec, dst, 10)).subarray(4, 7), expected, 1e-5, 1e-5);
  });

  it('categorical_forward: log-prob and entropy of a MultiDiscrete [3, 2] row with masked logits', async (ctx) => {
    if (!device) return ctx.skip();
    const m = 7, width = 5, nvec = [3, 2];
    const logits = floats(m * width).map((v) => 3 * v);
    const masks = Uint32Array.from({ length: m * width }, (_, k) => (k % width === 1 || k % 7 === 3 ? 0 : 1));
    const actions = new Uint32Array(m * 2);
    const plan = new Uint32Array(2 * m);
    for (let i = 0; i < m; i++) {
      plan[2 * i] = m - 1 - i; // minibatch row i is batch row m - 1 - i
      actions[2 * i] = masks[i * width] ? 0 : 2;
      actions[2 * i + 1] = masks[i * width + 3] ? 0 : 1;
    }
    const scratch = buffer(m * 16);
    const hits = buffer(m * 2);
    const rec = new Recorder();
    rec.dispatch(kernels.categorical_forward, [m, 0, m, width, 2, 1, 0, 1, 0], {
      1: buffer(plan), 2: buffer(logits), 3: buffer(actions), 4: buffer(Float32Array.from(nvec)), 5: buffer(masks), 8: scratch, 11: hits,
    }, 1);
    const out = await execute(rec, scratch, m * 16);
    const hit = await execute(new Recorder(), hits, m * 2);
    for (let i = 0; i < m; i++) {
      const row = m - 1 - i;
      let logp = 0, entropy = 0, start = 0;
      nvec.forEach((n, b) => {
        const allowed = Array.from({ length: n }, (_, j) => masks[row * width + start + j] === 1);
        const z = Array.from({ length: n }, (_, j) => logits[i * width + start + j]);
        const lse = Math.log(z.reduce((s, v, j) => s + (allowed[j] ? Math.exp(v) : 0), 0));
        logp += z[actions[row * 2 + b]] - lse;
        z.forEach((v, j) => { if (allowed[j]) entropy -= Math.exp(v - lse) * (v - lse); });
        start += n;
      });
      expectClose([out[i * 16], out[i * 16 + 1]], [logp, entropy], 1e-5, 2e-6);
      // Behaviour cloning's accuracy: per branch, whether the most likely allowed logit is the action.
      start = 0;
      const expectedHits = nvec.map((n, b) => {
        let best = -1;
        for (let j = 0; j < n; j++) if (masks[row * width + start + j] && (best < 0 || logits[i * width + start + j] > logits[i * width + start + best])) best = j;
        start += n;
        return best === actions[row * 2 + b] ? 1 : 0;
      });
      expect([hit[i * 2], hit[i * 2 + 1]]).toEqual(expectedHits);
      expect(out[i * 16 + 15]).toBe((expectedHits[0] + expectedHits[1]) / 2);
    }
  });

  it('grad_norm + adam_step: global-norm clip and one AdamW step', async (ctx) => {
    if (!device) return ctx.skip();
    const n = 1000;
    const g = floats(n), p = floats(n), m0 = floats(n).map((v) => v * 0.01), v0 = floats(n).map((v) => Math.abs(v) * 1e-4);
    const params = buffer(p), m = buffer(m0), v = buffer(v0), scalars = buffer(16), stats = buffer(12);
    const [lr, wd, eps, maxNorm, step] = [0.01, 0.1, 1e-5, 0.5, 3];
    const rec = new Recorder();
    rec.dispatch(kernels.grad_norm, [n, 0, 0, 0, 0, 0, 0, 0, maxNorm], { 1: buffer(g), 2: stats, 3: scalars }, 1);
    rec.dispatch(kernels.adam_step, [n, 0, 0, 0, lr, wd, eps, 0, 1 - 0.9 ** step, 1 - 0.999 ** step], { 1: buffer(g), 2: scalars, 3: params, 4: m, 5: v }, 4);
    const out = await execute(rec, params, n);
    const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    expectClose((await execute(new Recorder(), stats, 12)).subarray(9, 10), [norm]);
    const scale = Math.min(1, maxNorm / (norm + 1e-6));
    const expected = Array.from(p, (theta, i) => {
      const gi = g[i] * scale;
      const mi = 0.9 * m0[i] + 0.1 * gi;
      const vi = 0.999 * v0[i] + 0.001 * gi * gi;
      return theta * (1 - lr * wd) - lr * (mi / (1 - 0.9 ** step)) / (Math.sqrt(vi / (1 - 0.999 ** step)) + eps);
    });
    expectClose(out, expected, 1e-5, 1e-6);
  });
});
