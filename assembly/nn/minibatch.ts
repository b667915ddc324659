// Assembling a minibatch: row lists for env segments, gathers of per-row data by row index, and the
// advantage normalization and weighting the loss expects.

/**
 * Rows of the segments [count] (env columns) in time-major order of the sub-batch: out[t * count + j] =
 * t * numEnvs + segments[j], so the sub-batch is itself a numSteps x count batch for the V-trace scan.
 */
export function segmentRows(segments: usize, count: i32, numSteps: i32, numEnvs: i32, out: usize): void {
  for (let t = 0; t < numSteps; t++) {
    for (let j = 0; j < count; j++) {
      const e = load<i32>(segments + (<usize>j << 2));
      store<i32>(out + ((<usize>(t * count + j)) << 2), t * numEnvs + e);
    }
  }
}

/** dst[i, :] = src[rows[i], :] for m rows of rowBytes bytes each. */
export function gatherRows(src: usize, dst: usize, rows: usize, m: i32, rowBytes: i32): void {
  const size = <usize>rowBytes;
  if (size == 1) {
    for (let i = 0; i < m; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>load<i32>(rows + (<usize>i << 2))));
    return;
  }
  if (size == 4) {
    for (let i = 0; i < m; i++) {
      const r = <usize>load<i32>(rows + (<usize>i << 2));
      store<u32>(dst + (<usize>i << 2), load<u32>(src + (r << 2)));
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const r = <usize>load<i32>(rows + (<usize>i << 2));
    memory.copy(dst + <usize>i * size, src + r * size, size);
  }
}

/** Gathers a [samples, rows, size] block's rows into [samples, m, size] (the MC entropy noise). */
export function gatherSampledRows(src: usize, dst: usize, rows: usize, m: i32, totalRows: i32, samples: i32, rowBytes: i32): void {
  for (let k = 0; k < samples; k++) {
    gatherRows(src + <usize>k * <usize>totalRows * <usize>rowBytes, dst + <usize>k * <usize>m * <usize>rowBytes, rows, m, rowBytes);
  }
}

/** Weights of the rows of segment minibatches: out[t * count + j] = weights[j]. */
export function repeatPerStep(weights: usize, count: i32, numSteps: i32, out: usize): void {
  for (let t = 0; t < numSteps; t++) memory.copy(out + <usize>(t * count) * 4, weights, <usize>count * 4);
}

/** x[i] *= w[i]. */
export function multiplyInPlace(x: usize, w: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * load<f32>(w + o));
  }
}

/** ratio = exp(clamp(logpNew - logpOld, -10, 10)): the V-trace ratios, constants for the loss. */
export function clampedRatios(logpNew: usize, logpOld: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, Mathf.exp(min<f32>(max<f32>(load<f32>(logpNew + o) - load<f32>(logpOld + o), -10), 10)));
  }
}
