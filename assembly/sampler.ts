// Minibatch plans: for one update, the unit indices (rows or env segments) of every minibatch of every
// epoch, written in one call. A plan is numEpochs x numMinibatches x unitsPerMinibatch i32 indices.
import { Pcg32 } from './rng';

/** Units 0 .. perEpoch-1 in order, the same every epoch. */
export function planSequential(numEpochs: i32, perEpoch: i32, out: usize): void {
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    const base = out + ((<usize>epoch * <usize>perEpoch) << 2);
    for (let i = 0; i < perEpoch; i++) store<i32>(base + (<usize>i << 2), i);
  }
}

/**
 * Each epoch: a fresh Fisher-Yates permutation of 0 .. count-1 (j = bounded(i + 1) for i = count-1 .. 1),
 * of which the first perEpoch units are used, so no unit repeats within an epoch. `scratch` holds count i32.
 */
export function planShuffled(count: i32, numEpochs: i32, perEpoch: i32, seed: u64, stream: u64, scratch: usize, out: usize): void {
  const rng = new Pcg32(seed, stream);
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    for (let i = 0; i < count; i++) store<i32>(scratch + (<usize>i << 2), i);
    for (let i = count - 1; i > 0; i--) {
      const j = <i32>rng.nextBounded(<u32>(i + 1));
      const pi = scratch + (<usize>i << 2), pj = scratch + (<usize>j << 2);
      const swap = load<i32>(pi);
      store<i32>(pi, load<i32>(pj));
      store<i32>(pj, swap);
    }
    memory.copy(out + ((<usize>epoch * <usize>perEpoch) << 2), scratch, <usize>perEpoch << 2);
  }
}

/**
 * Prioritized draws with replacement: p_i = priority_i^alpha, P_i = (p_i + 1e-6) / (sum p + 1e-6); unit i is
 * drawn with probability proportional to p_i + 1e-6 and weighted w_i = (count * P_i)^-beta. Inclusive prefix
 * sums (f64, `scratch` holds count f64) and a binary search per draw: O(count + draws log count).
 * Draw k takes u = nextFloat * total and picks the first i with prefix_i > u.
 */
export function planPrioritized(
  count: i32, priorities: usize, alpha: f64, beta: f64, draws: i32, seed: u64, stream: u64,
  scratch: usize, indices: usize, weights: usize,
): void {
  // p_i^alpha overflows f64 for large alpha (1e6) or priorities; then every term is divided by the largest,
  // M = max_i p_i^alpha, computed in log space: P_i = (p_i/M + 1e-6/M) / (sum p/M + 1e-6/M) is the same
  // distribution and nothing overflows. Otherwise the terms are the plain powers (bit for bit as before).
  let maxPriority: f64 = 0;
  for (let i = 0; i < count; i++) maxPriority = Math.max(maxPriority, <f64>load<f32>(priorities + (<usize>i << 2)));
  const scaled = !isFinite(Math.pow(maxPriority, alpha) * <f64>count);
  const logMax = Math.log(maxPriority);
  const eps: f64 = scaled ? Math.exp(Math.log(1e-6) - alpha * logMax) : 1e-6;
  let sumP: f64 = 0;
  let prefix: f64 = 0;
  for (let i = 0; i < count; i++) {
    const p = priorityTerm(<f64>load<f32>(priorities + (<usize>i << 2)), alpha, scaled, logMax);
    sumP += p;
    prefix += p + eps;
    store<f64>(scratch + (<usize>i << 3), prefix);
  }
  const total = prefix;
  const rng = new Pcg32(seed, stream);
  const last = count - 1;
  const norm = sumP + eps;
  const n = <f64>count;
  for (let k = 0; k < draws; k++) {
    const u = rng.nextFloat() * total;
    let lo = 0, hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (load<f64>(scratch + (<usize>mid << 3)) > u) hi = mid;
      else lo = mid + 1;
    }
    store<i32>(indices + (<usize>k << 2), lo);
    if (weights != 0) {
      const p = priorityTerm(<f64>load<f32>(priorities + (<usize>lo << 2)), alpha, scaled, logMax);
      store<f32>(weights + (<usize>k << 2), <f32>Math.pow(n * ((p + eps) / norm), -beta));
    }
  }
}

/** priority^alpha, or (scaled) priority^alpha / max^alpha = exp(alpha (ln priority - ln max)). */
// @ts-ignore: decorator
@inline function priorityTerm(priority: f64, alpha: f64, scaled: bool, logMax: f64): f64 {
  if (!scaled) return Math.pow(priority, alpha);
  return priority == 0 ? 0 : Math.exp(alpha * (Math.log(priority) - logMax));
}
