// Input checks over blocks of wasm memory, so the TypeScript side can reject bad input before storing it
// without a per-element JavaScript loop. Each returns the first offending index, or -1 when all pass; the
// caller turns the index into an error naming the field and the row.

/** First index whose f32 is NaN or +-Infinity (x - x is 0 exactly for finite x, NaN otherwise). */
export function firstNonFinite(ptr: usize, n: i32): i32 {
  const simd = n & ~3;
  let bad = f32x4.splat(0);
  let i = 0;
  for (; i < simd; i += 4) {
    const x = v128.load(ptr + (<usize>i << 2));
    bad = v128.or(bad, f32x4.sub(x, x));
  }
  // Body first (rescanned one by one only when a lane failed), then the tail: the first bad index wins.
  for (i = v128.any_true(bad) ? 0 : simd; i < n; i++) {
    const x = load<f32>(ptr + (<usize>i << 2));
    if (x - x != 0) return i;
  }
  return -1;
}

/** First index whose f32 is not in [min, +Infinity) or is NaN/Infinity (priorities: min 0). */
export function firstBelowOrNonFinite(ptr: usize, n: i32, min: f32): i32 {
  const simd = n & ~3;
  const lo = f32x4.splat(min);
  let bad = f32x4.splat(0);
  let i = 0;
  for (; i < simd; i += 4) {
    const x = v128.load(ptr + (<usize>i << 2));
    // lanes fail when not (x >= min) (true for NaN) or x - x is not 0 (Infinity).
    bad = v128.or(bad, v128.or(v128.not(f32x4.ge(x, lo)), f32x4.sub(x, x)));
  }
  for (i = v128.any_true(bad) ? 0 : simd; i < n; i++) {
    const x = load<f32>(ptr + (<usize>i << 2));
    if (!(x >= min) || x - x != 0) return i;
  }
  return -1;
}

/** First index whose f32 is not a finite number > 0 (importance ratios). */
export function firstNotPositive(ptr: usize, n: i32): i32 {
  const simd = n & ~3;
  const zero = f32x4.splat(0);
  let bad = zero;
  let i = 0;
  for (; i < simd; i += 4) {
    const x = v128.load(ptr + (<usize>i << 2));
    bad = v128.or(bad, v128.or(v128.not(f32x4.gt(x, zero)), f32x4.sub(x, x)));
  }
  for (i = v128.any_true(bad) ? 0 : simd; i < n; i++) {
    const x = load<f32>(ptr + (<usize>i << 2));
    if (!(x > 0) || x - x != 0) return i;
  }
  return -1;
}

/** First index of a u8 flag above 1. */
export function firstFlagAbove1(ptr: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) if (load<u8>(ptr + <usize>i) > 1) return i;
  return -1;
}

/**
 * Categorical actions, rows x branches i32: the first entry outside [0, nvec[branch]) (nvec: branches i32),
 * or -1. With masks (rows x sum(nvec) u8, 0 = forbidden), also a branch whose mask allows nothing
 * (returned as -2 - entry), a mask value other than 0/1 in a branch (-2 - rows x branches - entry) or an action
 * the mask forbids (returned as the entry, like a range error).
 */
export function firstBadAction(actions: usize, rows: i32, branches: i32, nvec: usize, masks: usize, maskSize: i32): i32 {
  let entry = 0;
  for (let r = 0; r < rows; r++) {
    let base = masks + <usize>r * <usize>maskSize;
    for (let b = 0; b < branches; b++, entry++) {
      const n = load<i32>(nvec + (<usize>b << 2));
      const a = load<i32>(actions + (<usize>entry << 2));
      if (<u32>a >= <u32>n) return entry;
      if (masks != 0) {
        let allowed = 0;
        for (let k = 0; k < n; k++) allowed |= load<u8>(base + <usize>k);
        if (allowed > 1) return -2 - rows * branches - entry;
        if (allowed == 0) return -2 - entry;
        if (load<u8>(base + <usize>a) == 0) return entry;
        base += <usize>n;
      }
    }
  }
  return -1;
}
