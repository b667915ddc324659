// Running observation normalization and reward scaling (the continuous-control PPO details): running
// mean/variance merged batch by batch (parallel Welford), observations -> clip((x - mean) / sqrt(var + 1e-8),
// -10, 10), rewards divided by the running std of the discounted return, clipped to [-10, 10]. Float64 state,
// preallocated scratch: no allocation per call. `state()` / `setState()` are what checkpoints keep.
const EPSILON = 1e-8;
const CLIP = 10;

export interface RunningStats {
  mean: Float64Array;
  var: Float64Array;
  count: number;
}

/**
 * Running mean and variance per feature, merged batch by batch (parallel Welford) in float64. What
 * observation normalization and reward scaling keep, and what checkpoints save.
 */
export class RunningMeanStd {
  /** Running mean of each feature. */
  readonly mean: Float64Array;
  /** Running (population) variance of each feature; starts at 1. */
  readonly var: Float64Array;
  /** Starts at 1e-4, as the usual wrappers do, so the first merge is almost all batch. */
  count = 1e-4;
  private readonly batchMean: Float64Array;
  private readonly batchVar: Float64Array;

  /** @param size - Features per row. */
  constructor(readonly size: number) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.batchMean = new Float64Array(size);
    this.batchVar = new Float64Array(size);
  }

  /** Merges `rows` rows of `x` (row-major, `size` per row). */
  update(x: ArrayLike<number>, rows: number): void {
    const n = this.size;
    const { batchMean, batchVar, mean } = this;
    batchMean.fill(0);
    batchVar.fill(0);
    for (let r = 0; r < rows; r++) for (let k = 0; k < n; k++) batchMean[k] += x[r * n + k];
    for (let k = 0; k < n; k++) batchMean[k] /= rows;
    for (let r = 0; r < rows; r++) for (let k = 0; k < n; k++) batchVar[k] += (x[r * n + k] - batchMean[k]) ** 2;
    const total = this.count + rows;
    for (let k = 0; k < n; k++) {
      const delta = batchMean[k] - mean[k];
      const m2 = this.var[k] * this.count + batchVar[k] + delta * delta * this.count * rows / total;
      mean[k] += delta * rows / total;
      this.var[k] = m2 / total;
    }
    this.count = total;
  }

  /** A copy of the statistics (for checkpoints). */
  state(): RunningStats {
    return { mean: this.mean.slice(), var: this.var.slice(), count: this.count };
  }

  /** Restores statistics from `state()`. */
  setState(stats: RunningStats): void {
    this.mean.set(stats.mean);
    this.var.set(stats.var);
    this.count = stats.count;
  }
}

/** Observation normalization: `clip((x - mean) / sqrt(var + 1e-8), -10, 10)` with running statistics. */
export class ObservationNormalizer {
  /** The running statistics. */
  readonly stats: RunningMeanStd;
  /** @param size - Floats per observation row. */
  constructor(readonly size: number) {
    this.stats = new RunningMeanStd(size);
  }

  /** Optionally merges the rows into the statistics, then writes the normalized rows to `out`. */
  normalize(input: ArrayLike<number>, out: Float32Array, rows: number, update: boolean): void {
    if (update) this.stats.update(input, rows);
    const n = this.size;
    const { mean } = this.stats;
    const variance = this.stats.var;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < n; k++) out[r * n + k] = normalizeValue(input[r * n + k], mean[k], variance[k]);
    }
  }
}

/** One normalized observation value: `clip((x - mean) / sqrt(variance + 1e-8), -10, 10)`. */
export function normalizeValue(x: number, mean: number, variance: number): number {
  const z = (x - mean) / Math.sqrt(variance + EPSILON);
  return z < -CLIP ? -CLIP : z > CLIP ? CLIP : z;
}

/**
 * Reward scaling: each reward divided by the running std of the agent's discounted return, clipped to
 * [-10, 10]; an episode end resets that agent's return.
 */
export class RewardScaler {
  /** Running statistics of the discounted returns. */
  readonly stats = new RunningMeanStd(1);
  /** Each agent's running discounted return. */
  readonly returns: Float64Array;

  /**
   * @param numAgents - Agents scaled together (one return each).
   * @param gamma - Discount of the returns.
   */
  constructor(readonly numAgents: number, readonly gamma: number) {
    this.returns = new Float64Array(numAgents);
  }

  /** Scales one tick of rewards into `out`; episode ends reset that agent's return. */
  scale(rewards: ArrayLike<number>, terminated: ArrayLike<number>, truncated: ArrayLike<number>, out: Float32Array): void {
    const { returns } = this;
    for (let e = 0; e < this.numAgents; e++) returns[e] = returns[e] * this.gamma + rewards[e];
    this.stats.update(returns, this.numAgents);
    const std = Math.sqrt(this.stats.var[0] + EPSILON);
    for (let e = 0; e < this.numAgents; e++) {
      const r = rewards[e] / std;
      out[e] = r < -CLIP ? -CLIP : r > CLIP ? CLIP : r;
      if (terminated[e] || truncated[e]) returns[e] = 0;
    }
  }
}
