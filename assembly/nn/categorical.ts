// Categorical heads (Discrete and MultiDiscrete): each row's logits are split into branches of nvec[b]
// entries; a masked logit (mask 0) has probability 0 and gets no gradient. Log-probs and entropies of a
// row are sums over its branches.
import { pcgAt } from './random';

/**
 * Softmax per branch of the m rows: probs [m, numLogits] (0 where masked), and the log-prob of each row's
 * actions [m, branches] (i32) and its entropy. masks = 0 means every logit is allowed.
 */
export function categoricalForward(
  m: i32, logits: usize, numLogits: i32, masks: usize, actions: usize, nvec: usize, branches: i32,
  probs: usize, logp: usize, entropy: usize,
): void {
  for (let i = 0; i < m; i++) {
    const row = <usize>i * <usize>numLogits;
    let rowLogp: f32 = 0;
    let rowEntropy: f32 = 0;
    let base = 0;
    for (let br = 0; br < branches; br++) {
      const n = load<i32>(nvec + (<usize>br << 2));
      const lse = logSumExp(logits, masks, row + <usize>base, n);
      let h: f32 = 0;
      for (let j = 0; j < n; j++) {
        const at = row + <usize>(base + j);
        let p: f32 = 0;
        if (allowed(masks, at)) {
          const lp = load<f32>(logits + (at << 2)) - lse;
          p = Mathf.exp(lp);
          h -= p * lp;
        }
        store<f32>(probs + (at << 2), p);
      }
      const a = load<i32>(actions + ((<usize>i * <usize>branches + <usize>br) << 2));
      rowLogp += load<f32>(logits + ((row + <usize>(base + a)) << 2)) - lse;
      rowEntropy += h;
      base += n;
    }
    store<f32>(logp + (<usize>i << 2), rowLogp);
    store<f32>(entropy + (<usize>i << 2), rowEntropy);
  }
}

/**
 * dLogits [m, numLogits] from dL/dlogp and dL/dH per row:
 * dlogp/dz_j = [j = a] - p_j, dH/dz_j = -p_j (log p_j + H_branch); masked logits get 0.
 */
export function categoricalBackward(
  m: i32, probs: usize, numLogits: i32, masks: usize, actions: usize, nvec: usize, branches: i32,
  gLogp: usize, gEntropy: usize, dLogits: usize,
): void {
  for (let i = 0; i < m; i++) {
    const row = <usize>i * <usize>numLogits;
    const gl = load<f32>(gLogp + (<usize>i << 2));
    const gh = load<f32>(gEntropy + (<usize>i << 2));
    let base = 0;
    for (let br = 0; br < branches; br++) {
      const n = load<i32>(nvec + (<usize>br << 2));
      let h: f32 = 0;
      for (let j = 0; j < n; j++) {
        const p = load<f32>(probs + ((row + <usize>(base + j)) << 2));
        if (p > 0) h -= p * Mathf.log(p);
      }
      const a = load<i32>(actions + ((<usize>i * <usize>branches + <usize>br) << 2));
      for (let j = 0; j < n; j++) {
        const at = row + <usize>(base + j);
        const p = load<f32>(probs + (at << 2));
        let d: f32 = 0;
        if (allowed(masks, at)) {
          d = gl * ((j == a ? <f32>1 : <f32>0) - p);
          if (p > 0) d -= gh * p * (Mathf.log(p) + h);
        }
        store<f32>(dLogits + (at << 2), d);
      }
      base += n;
    }
  }
}

/**
 * Picks each row's actions [m, branches] from its logits: the most probable allowed logit when
 * deterministic, else a draw from the masked softmax with the PCG32 state at rng; writes the log-prob.
 */
export function categoricalAct(
  m: i32, logits: usize, numLogits: i32, masks: usize, nvec: usize, branches: i32,
  deterministic: bool, rng: usize, actions: usize, logp: usize,
): void {
  for (let i = 0; i < m; i++) {
    const row = <usize>i * <usize>numLogits;
    let rowLogp: f32 = 0;
    let base = 0;
    for (let br = 0; br < branches; br++) {
      const n = load<i32>(nvec + (<usize>br << 2));
      const start = row + <usize>base;
      const top = maxAllowed(logits, masks, start, n);
      const sum = sumExp(logits, masks, start, n, top);
      const lse = top + Mathf.log(sum);
      let pick = -1;
      if (deterministic) {
        let best = -Infinity;
        for (let j = 0; j < n; j++) {
          const at = start + <usize>j;
          if (!allowed(masks, at)) continue;
          const z = load<f32>(logits + (at << 2));
          if (pick < 0 || z > best) { best = z; pick = j; }
        }
      } else {
        // Inverse CDF in f64 over the terms of lse's sum, exp(z - top) (so no f64 exp, and no division);
        // the last allowed logit takes any rounding remainder.
        const target = pcgAt(rng).nextFloat() * <f64>sum;
        let cumulative: f64 = 0;
        for (let j = 0; j < n; j++) {
          const at = start + <usize>j;
          if (!allowed(masks, at)) continue;
          pick = j;
          cumulative += <f64>Mathf.exp(load<f32>(logits + (at << 2)) - top);
          if (target < cumulative) break;
        }
      }
      store<i32>(actions + ((<usize>i * <usize>branches + <usize>br) << 2), pick);
      rowLogp += load<f32>(logits + ((start + <usize>pick) << 2)) - lse;
      base += n;
    }
    store<f32>(logp + (<usize>i << 2), rowLogp);
  }
}

/**
 * Per row and branch, 1 when the branch's most likely allowed logit (the first on ties) is the row's action
 * (behaviour cloning's accuracy), else 0, into out [m, branches].
 */
export function categoricalModeAccuracy(
  m: i32, logits: usize, numLogits: i32, masks: usize, actions: usize, nvec: usize, branches: i32, out: usize,
): void {
  for (let i = 0; i < m; i++) {
    const row = <usize>i * <usize>numLogits;
    let base = 0;
    for (let br = 0; br < branches; br++) {
      const n = load<i32>(nvec + (<usize>br << 2));
      let best = -1;
      let top: f32 = -Infinity;
      for (let j = 0; j < n; j++) {
        const at = row + <usize>(base + j);
        if (!allowed(masks, at)) continue;
        const z = load<f32>(logits + (at << 2));
        if (best < 0 || z > top) { best = j; top = z; }
      }
      const at = (<usize>i * <usize>branches + <usize>br) << 2;
      store<f32>(out + at, best == load<i32>(actions + at) ? 1 : 0);
      base += n;
    }
  }
}

@inline function allowed(masks: usize, at: usize): bool {
  return masks == 0 || load<u8>(masks + at) != 0;
}

/** log sum exp over the allowed logits of one branch (max-shifted). */
function logSumExp(logits: usize, masks: usize, start: usize, n: i32): f32 {
  const top = maxAllowed(logits, masks, start, n);
  return top + Mathf.log(sumExp(logits, masks, start, n, top));
}

/** The largest allowed logit of one branch. */
@inline function maxAllowed(logits: usize, masks: usize, start: usize, n: i32): f32 {
  let top: f32 = -Infinity;
  for (let j = 0; j < n; j++) {
    const at = start + <usize>j;
    if (allowed(masks, at)) top = max<f32>(top, load<f32>(logits + (at << 2)));
  }
  return top;
}

/** sum of exp(z - top) over the allowed logits of one branch. */
@inline function sumExp(logits: usize, masks: usize, start: usize, n: i32, top: f32): f32 {
  let sum: f32 = 0;
  for (let j = 0; j < n; j++) {
    const at = start + <usize>j;
    if (allowed(masks, at)) sum += Mathf.exp(load<f32>(logits + (at << 2)) - top);
  }
  return sum;
}
