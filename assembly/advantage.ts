// GAE with V-trace clipping (DESIGN.md), advantage normalization, explained variance and priorities.
// Layout is time-major (row = t * numEnvs + e). The time loop is a sequential scan backwards; envs are
// independent, so each step handles four envs per f32x4 lane group and the rest in a scalar tail. Both paths
// use the same operations in the same order, so a lane's result does not depend on which path computed it.

/**
 * next_t = terminated ? 0 : truncated ? bootstrap : V(s_{t+1}) (lastValues after the final step),
 * rho = min(rhoClip, ratio), c = min(cClip, ratio), delta = rho (r + gamma next - V),
 * A_t = delta + gamma lambda c (1 - done) A_{t+1}; returns = A + V when `returns` is not 0.
 * `ratios == 0` means every ratio is 1.
 */
export function gaeVtrace(
  numSteps: i32, numEnvs: i32,
  rewards: usize, values: usize, terminated: usize, truncated: usize, bootstrapValues: usize, lastValues: usize,
  ratios: usize, gamma: f32, lambda: f32, rhoClip: f32, cClip: f32,
  advantages: usize, returns: usize,
): void {
  const n = numEnvs;
  const simdEnvs = n & ~3;
  const gl = gamma * lambda;
  const rhoOne = min<f32>(rhoClip, 1);
  const cOne = min<f32>(cClip, 1);
  const vGamma = f32x4.splat(gamma);
  const vGl = f32x4.splat(gl);
  const vRhoClip = f32x4.splat(rhoClip);
  const vCClip = f32x4.splat(cClip);
  const vRhoOne = f32x4.splat(rhoOne);
  const vCOne = f32x4.splat(cOne);
  const zero = f32x4.splat(0);
  for (let t = numSteps - 1; t >= 0; t--) {
    const row = <usize>t * <usize>n;
    const last = t == numSteps - 1;
    // Next-step values and advantages: row t + 1, or lastValues and 0 after the final step.
    const nextValues = last ? lastValues : values + ((row + <usize>n) << 2);
    const nextAdv = advantages + ((row + <usize>n) << 2);
    let e = 0;
    for (; e < simdEnvs; e += 4) {
      const i = row + <usize>e;
      const o = i << 2;
      const term = i32x4.ne(loadFlags(terminated + i), i32x4.splat(0));
      const trunc = i32x4.ne(loadFlags(truncated + i), i32x4.splat(0));
      const r = v128.load(rewards + o);
      const v = v128.load(values + o);
      const vn = v128.load(nextValues + (<usize>e << 2));
      const boot = v128.load(bootstrapValues + o);
      const an = last ? zero : v128.load(nextAdv + (<usize>e << 2));
      let rho = vRhoOne;
      let c = vCOne;
      if (ratios != 0) {
        const ratio = v128.load(ratios + o);
        rho = f32x4.min(vRhoClip, ratio);
        c = f32x4.min(vCClip, ratio);
      }
      const next = v128.andnot(v128.bitselect(boot, vn, trunc), term);
      const delta = f32x4.mul(rho, f32x4.sub(f32x4.add(r, f32x4.mul(vGamma, next)), v));
      const carry = v128.andnot(f32x4.mul(f32x4.mul(vGl, c), an), v128.or(term, trunc));
      const a = f32x4.add(delta, carry);
      v128.store(advantages + o, a);
      if (returns != 0) v128.store(returns + o, f32x4.add(a, v));
    }
    for (; e < n; e++) {
      const i = row + <usize>e;
      const o = i << 2;
      const term = load<u8>(terminated + i) != 0;
      const trunc = load<u8>(truncated + i) != 0;
      const v = load<f32>(values + o);
      const next: f32 = term ? 0 : trunc ? load<f32>(bootstrapValues + o) : load<f32>(nextValues + (<usize>e << 2));
      let rho = rhoOne;
      let c = cOne;
      if (ratios != 0) {
        const ratio = load<f32>(ratios + o);
        rho = min<f32>(rhoClip, ratio);
        c = min<f32>(cClip, ratio);
      }
      const delta = rho * ((load<f32>(rewards + o) + gamma * next) - v);
      const carry: f32 = last || term || trunc ? 0 : (gl * c) * load<f32>(nextAdv + (<usize>e << 2));
      const a = delta + carry;
      store<f32>(advantages + o, a);
      if (returns != 0) store<f32>(returns + o, a + v);
    }
  }
}

/** Four u8 flags widened to four i32 lanes. */
@inline function loadFlags(ptr: usize): v128 {
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(ptr)));
}

/** (A - mean) / (std + 1e-8) in place, std unbiased (0 when n = 1); sums in f64. */
export function normalizeAdvantages(advantages: usize, n: i32): void {
  if (n <= 0) return;
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) sum += <f64>load<f32>(advantages + (<usize>i << 2));
  const mean = sum / <f64>n;
  let squares: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = <f64>load<f32>(advantages + (<usize>i << 2)) - mean;
    squares += d * d;
  }
  const std = n > 1 ? Math.sqrt(squares / <f64>(n - 1)) : 0;
  const scale = 1.0 / (std + 1e-8);
  for (let i = 0; i < n; i++) {
    const p = advantages + (<usize>i << 2);
    store<f32>(p, <f32>((<f64>load<f32>(p) - mean) * scale));
  }
}

/** 1 - var(R - V) / var(R), 0 when var(R) = 0; f64 sums. */
export function explainedVariance(values: usize, returns: usize, n: i32): f64 {
  if (n <= 0) return 0;
  let sumR: f64 = 0, sumD: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const r = <f64>load<f32>(returns + o);
    sumR += r;
    sumD += r - <f64>load<f32>(values + o);
  }
  const meanR = sumR / <f64>n, meanD = sumD / <f64>n;
  let varR: f64 = 0, varD: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const r = <f64>load<f32>(returns + o);
    const dr = r - meanR;
    const dd = r - <f64>load<f32>(values + o) - meanD;
    varR += dr * dr;
    varD += dd * dd;
  }
  return varR == 0 ? 0 : 1 - varD / varR;
}

/** Row priorities: |A| per row (the sum over a row's single step). */
export function rowPriorities(advantages: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, abs<f32>(load<f32>(advantages + o)));
  }
}

/** Segment priorities: sum_t |A[t, e]| per env column e (numEnvs outputs), summed in f64. */
export function segmentPriorities(advantages: usize, numSteps: i32, numEnvs: i32, out: usize): void {
  for (let e = 0; e < numEnvs; e++) {
    let sum: f64 = 0;
    for (let t = 0; t < numSteps; t++) sum += <f64>abs<f32>(load<f32>(advantages + ((<usize>t * <usize>numEnvs + <usize>e) << 2)));
    store<f32>(out + (<usize>e << 2), <f32>sum);
  }
}
