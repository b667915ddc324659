// The plain-TypeScript peer of webppo's rollout core: the same work (validated adds, GAE with V-trace and
// ratio-1 returns, prioritized draws with weights) over Float32Arrays, written the straightforward way.

export class PlainRolloutBuffer {
  readonly observations: Float32Array;
  readonly actions: Int32Array;
  readonly logProbs: Float32Array;
  readonly values: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly bootstrapValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  step = 0;

  constructor(readonly numSteps: number, readonly numEnvs: number, readonly observationSize: number, readonly actionCount: number) {
    const rows = numSteps * numEnvs;
    this.observations = new Float32Array(rows * observationSize);
    this.actions = new Int32Array(rows);
    this.logProbs = new Float32Array(rows);
    this.values = new Float32Array(rows);
    this.rewards = new Float32Array(rows);
    this.terminated = new Uint8Array(rows);
    this.truncated = new Uint8Array(rows);
    this.bootstrapValues = new Float32Array(rows);
    this.advantages = new Float32Array(rows);
    this.returns = new Float32Array(rows);
  }

  add(s: { observations: Float32Array; actions: Int32Array; logProbs: Float32Array; values: Float32Array; rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array; bootstrapValues: Float32Array }): void {
    if (this.step === this.numSteps) throw new Error('full');
    const N = this.numEnvs;
    finite('observations', s.observations, N * this.observationSize);
    finite('logProbs', s.logProbs, N);
    finite('values', s.values, N);
    finite('rewards', s.rewards, N);
    finite('bootstrapValues', s.bootstrapValues, N);
    if (s.actions.length !== N) throw new Error('actions');
    for (let e = 0; e < N; e++) if (s.actions[e] < 0 || s.actions[e] >= this.actionCount) throw new Error(`actions[${e}]`);
    for (let e = 0; e < N; e++) if (s.terminated[e] > 1 || s.truncated[e] > 1) throw new Error(`flags[${e}]`);
    const row = this.step * N;
    this.observations.set(s.observations, row * this.observationSize);
    this.actions.set(s.actions, row);
    this.logProbs.set(s.logProbs, row);
    this.values.set(s.values, row);
    this.rewards.set(s.rewards, row);
    this.terminated.set(s.terminated, row);
    this.truncated.set(s.truncated, row);
    this.bootstrapValues.set(s.bootstrapValues, row);
    this.step++;
  }

  reset(): void {
    this.step = 0;
  }
}

function finite(field: string, a: Float32Array, length: number): void {
  if (a.length !== length) throw new Error(`${field}.length`);
  for (let i = 0; i < length; i++) if (!Number.isFinite(a[i])) throw new Error(`${field}[${i}]`);
}

/** V-trace advantages and ratio-1 returns in one backward scan (two chains per env). */
export function plainGaeVtrace(b: PlainRolloutBuffer, lastValues: Float32Array, ratios: Float32Array, gamma: number, lambda: number, rhoClip: number, cClip: number): void {
  const T = b.numSteps, N = b.numEnvs;
  const { rewards, values, terminated, truncated, bootstrapValues, advantages, returns } = b;
  const rhoOne = Math.min(rhoClip, 1), cOne = Math.min(cClip, 1), gl = gamma * lambda;
  for (let t = T - 1; t >= 0; t--) {
    const row = t * N;
    for (let e = 0; e < N; e++) {
      const i = row + e;
      const last = t === T - 1;
      const nextValue = last ? lastValues[e] : values[i + N];
      const next = terminated[i] ? 0 : truncated[i] ? bootstrapValues[i] : nextValue;
      const keep = last || terminated[i] || truncated[i] ? 0 : 1;
      const td = rewards[i] + gamma * next - values[i];
      const ratio = ratios[i];
      const a = Math.min(rhoClip, ratio) * td + gl * Math.min(cClip, ratio) * keep * (last ? 0 : advantages[i + N]);
      const a1 = rhoOne * td + gl * cOne * keep * (last ? 0 : returns[i + N] - values[i + N]);
      advantages[i] = a;
      returns[i] = a1 + values[i];
    }
  }
}

/** Prioritized draws with replacement: f64 prefix sums of p^alpha + 1e-6 and a binary search per draw. */
export function plainPrioritized(priorities: Float32Array, count: number, alpha: number, beta: number, random: () => number): { indices: Int32Array; weights: Float32Array } {
  const n = priorities.length;
  const prefix = new Float64Array(n);
  let sum = 0, total = 0;
  for (let i = 0; i < n; i++) {
    if (!(priorities[i] >= 0) || !Number.isFinite(priorities[i])) throw new Error(`priorities[${i}]`);
    const p = Math.pow(priorities[i], alpha);
    sum += p;
    total += p + 1e-6;
    prefix[i] = total;
  }
  const indices = new Int32Array(count), weights = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const u = random() * total;
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (prefix[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    indices[k] = lo;
    weights[k] = Math.pow(n * ((Math.pow(priorities[lo], alpha) + 1e-6) / (sum + 1e-6)), -beta);
  }
  return { indices, weights };
}
