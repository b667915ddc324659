// Adam / AdamW over the flat parameter buffer (src/backend/trainer.ts), and the squared norm the global
// gradient clip needs. Gradients, moments and parameters share one layout, so each is one pass.

/** Sum of squares of n f32, accumulated in f64. */
export function sumSquares(ptr: usize, n: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const x = <f64>load<f32>(ptr + (<usize>i << 2));
    sum += x * x;
  }
  return sum;
}

/**
 * g = grads * gradScale; theta *= decay (1 - lr wd); m = 0.9 m + 0.1 g; v = 0.999 v + 0.001 g^2;
 * theta -= lr (m / bc1) / (sqrt(v / bc2) + eps), with bc1 = 1 - 0.9^step and bc2 = 1 - 0.999^step.
 */
export function adamStep(
  n: i32, params: usize, grads: usize, m: usize, v: usize,
  lr: f32, bc1: f32, bc2: f32, eps: f32, decay: f32, gradScale: f32,
): void {
  const vScale = f32x4.splat(gradScale);
  const vDecay = f32x4.splat(decay);
  const b1 = f32x4.splat(0.9), c1 = f32x4.splat(0.1);
  const b2 = f32x4.splat(0.999), c2 = f32x4.splat(0.001);
  const vBc1 = f32x4.splat(bc1), vBc2 = f32x4.splat(bc2);
  const vLr = f32x4.splat(lr), vEps = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = f32x4.mul(v128.load(grads + o), vScale);
    const mm = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, g));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(g, g)));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    const step = f32x4.div(f32x4.mul(vLr, f32x4.div(mm, vBc1)), f32x4.add(f32x4.sqrt(f32x4.div(vv, vBc2)), vEps));
    v128.store(params + o, f32x4.sub(f32x4.mul(v128.load(params + o), vDecay), step));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grads + o) * gradScale;
    const mm: f32 = 0.9 * load<f32>(m + o) + 0.1 * g;
    const vv: f32 = 0.999 * load<f32>(v + o) + 0.001 * g * g;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    store<f32>(params + o, load<f32>(params + o) * decay - lr * (mm / bc1) / (Mathf.sqrt(vv / bc2) + eps));
  }
}
