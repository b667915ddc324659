// Float64 references for the storage math, written from DESIGN.md independently of src/.

export interface GaeCase {
  numSteps: number; numEnvs: number;
  rewards: Float32Array; values: Float32Array; terminated: Uint8Array; truncated: Uint8Array;
  bootstrapValues: Float32Array; lastValues: Float32Array; ratios?: Float32Array;
  gamma: number; lambda: number; rhoClip: number; cClip: number;
}

/** GAE with V-trace clipping, scanning each env backwards in float64. */
/** `ratios`: the case's ratios by default; null = all 1. */
export function gaeReference(c: GaeCase, ratios: Float32Array | null | undefined = c.ratios): Float64Array {
  const { numSteps: T, numEnvs: N } = c;
  const out = new Float64Array(T * N);
  for (let e = 0; e < N; e++) {
    let nextA = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + e;
      const nextValue = t === T - 1 ? c.lastValues[e] : c.values[i + N];
      const next = c.terminated[i] ? 0 : c.truncated[i] ? c.bootstrapValues[i] : nextValue;
      const ratio = ratios ? ratios[i] : 1;
      const rho = Math.min(c.rhoClip, ratio);
      const cc = Math.min(c.cClip, ratio);
      const done = c.terminated[i] || c.truncated[i] ? 1 : 0;
      const delta = rho * (c.rewards[i] + c.gamma * next - c.values[i]);
      nextA = delta + c.gamma * c.lambda * cc * (1 - done) * nextA;
      out[i] = nextA;
    }
  }
  return out;
}

/** Returns per DESIGN.md: A computed with ratio 1, plus V. */
export function returnsReference(c: GaeCase): Float64Array {
  const a = gaeReference(c, null);
  return a.map((x, i) => x + c.values[i]);
}

/** A seeded float64 generator for test data (independent of the library's PCG32). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomGaeCase(seed: number, T: number, N: number, opts: Partial<Pick<GaeCase, 'gamma' | 'lambda' | 'rhoClip' | 'cClip'>> & { ratios?: boolean } = {}): GaeCase {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const rows = T * N;
  const f = (g: () => number) => Float32Array.from({ length: rows }, g);
  const terminated = Uint8Array.from({ length: rows }, () => (rand() < 0.06 ? 1 : 0));
  // Some rows are both terminated and truncated: termination wins (bootstrap from 0).
  const truncated = Uint8Array.from({ length: rows }, () => (rand() < 0.06 ? 1 : 0));
  return {
    numSteps: T, numEnvs: N,
    rewards: f(normal), values: f(normal), terminated, truncated, bootstrapValues: f(normal),
    lastValues: Float32Array.from({ length: N }, normal),
    // Ratios spread both sides of the clips.
    ratios: opts.ratios ? f(() => Math.exp((rand() - 0.5) * 2)) : undefined,
    gamma: opts.gamma ?? 0.99, lambda: opts.lambda ?? 0.95, rhoClip: opts.rhoClip ?? 1, cClip: opts.cClip ?? 1,
  };
}

/** max over i of |actual - expected| / max(1, |expected|). */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  return worst;
}

export function normalizeReference(a: ArrayLike<number>): Float64Array {
  const n = a.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i];
  mean /= n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (a[i] - mean) ** 2;
  const std = n > 1 ? Math.sqrt(sq / (n - 1)) : 0;
  return Float64Array.from(a, (x) => (x - mean) / (std + 1e-8));
}

export function explainedVarianceReference(v: ArrayLike<number>, r: ArrayLike<number>): number {
  const n = r.length;
  const variance = (x: (i: number) => number) => {
    let m = 0;
    for (let i = 0; i < n; i++) m += x(i);
    m /= n;
    let s = 0;
    for (let i = 0; i < n; i++) s += (x(i) - m) ** 2;
    return s / n;
  };
  const varR = variance((i) => r[i]);
  return varR === 0 ? 0 : 1 - variance((i) => r[i] - v[i]) / varR;
}

/** P_i = (p_i + 1e-6) / (sum p + 1e-6), p_i = priority^alpha. */
export function priorityProbabilities(priorities: ArrayLike<number>, alpha: number): Float64Array {
  const p = Float64Array.from(priorities, (x) => Math.pow(x, alpha));
  const sum = p.reduce((a, b) => a + b, 0);
  return p.map((x) => (x + 1e-6) / (sum + 1e-6));
}
