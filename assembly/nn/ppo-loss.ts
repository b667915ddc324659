// The PPO loss of one minibatch (src/backend/trainer.ts): per-row gradients with respect to the new
// log-prob, the new value and the entropy, and the loss stats. Advantages arrive normalized and weighted.

// Stats written to the f64 block, in this order.
export const STAT_LOSS_OBJECTIVE = 0;
export const STAT_LOSS_CRITIC = 1;
export const STAT_LOSS_ENTROPY = 2;
export const STAT_ENTROPY = 3;
export const STAT_CLIP_FRACTION = 4;
export const STAT_KL_APPROX = 5;
export const STAT_APPROX_KL = 6;
export const STAT_ESS = 7;
export const STAT_EXPLAINED_VARIANCE = 8;

export const CRITIC_L1 = 0;
export const CRITIC_L2 = 1;
export const CRITIC_SMOOTH_L1 = 2;

@inline function criticLoss(d: f32, kind: i32): f32 {
  if (kind == CRITIC_L2) return d * d;
  const a = Mathf.abs(d);
  if (kind == CRITIC_L1) return a;
  return a < 1 ? 0.5 * d * d : a - 0.5;
}

@inline function criticSlope(d: f32, kind: i32): f32 {
  if (kind == CRITIC_L2) return 2 * d;
  if (kind == CRITIC_SMOOTH_L1 && Mathf.abs(d) < 1) return d;
  return d > 0 ? 1 : -1;
}

/**
 * Writes gLogp, gValue, gEntropy (dL/d per row of the total loss) and the stats. reduceSum: reduction
 * 'sum' (else 'mean'); valueClip 0 turns value clipping off; entropyCoef 0 when the entropy bonus is off.
 */
export function ppoLoss(
  m: i32, logpNew: usize, logpOld: usize, values: usize, valuesOld: usize, advantages: usize, returns: usize,
  entropy: usize, clipLow: f32, clipHigh: f32, valueClip: f32, criticType: i32, criticCoef: f32,
  entropyCoef: f32, reduceSum: bool, gLogp: usize, gValue: usize, gEntropy: usize, stats: usize,
): void {
  const scale: f32 = reduceSum ? 1 : 1 / <f32>m;
  const low: f32 = 1 - clipLow;
  const high: f32 = 1 + clipHigh;
  let objective: f64 = 0, critic: f64 = 0, entropySum: f64 = 0, clipped: f64 = 0;
  let klApprox: f64 = 0, approxKl: f64 = 0, ratioSum: f64 = 0, ratioSquares: f64 = 0;
  let retSum: f64 = 0, resSum: f64 = 0;
  for (let i = 0; i < m; i++) {
    const o = <usize>i << 2;
    const logRatio = load<f32>(logpNew + o) - load<f32>(logpOld + o);
    const r = Mathf.exp(logRatio);
    const a = load<f32>(advantages + o);
    const rc = min<f32>(max<f32>(r, low), high);
    const unclipped = r * a;
    const clippedTerm = rc * a;
    // d surrogate / d r: the smaller term's slope (ties go to the unclipped term); clamp passes inside [low, high].
    let slope: f32;
    if (unclipped <= clippedTerm) {
      objective += unclipped;
      slope = a;
    } else {
      objective += clippedTerm;
      slope = r >= low && r <= high ? a : 0;
    }
    store<f32>(gLogp + o, -scale * slope * r);
    if (r < low || r > high) clipped += 1;
    klApprox -= logRatio;
    approxKl += (r - 1) - logRatio;
    ratioSum += r;
    ratioSquares += <f64>r * r;

    const v = load<f32>(values + o);
    const ret = load<f32>(returns + o);
    let lc = criticLoss(v - ret, criticType);
    let dv = criticSlope(v - ret, criticType);
    if (valueClip > 0) {
      const old = load<f32>(valuesOld + o);
      const delta = v - old;
      const vc = old + min<f32>(max<f32>(delta, -valueClip), valueClip);
      const lcClipped = criticLoss(vc - ret, criticType);
      if (lcClipped > lc) {
        lc = lcClipped;
        dv = delta >= -valueClip && delta <= valueClip ? criticSlope(vc - ret, criticType) : 0;
      }
    }
    critic += lc;
    store<f32>(gValue + o, scale * criticCoef * dv);

    const h = load<f32>(entropy + o);
    entropySum += h;
    store<f32>(gEntropy + o, -scale * entropyCoef);

    retSum += ret;
    resSum += <f64>ret - <f64>v;
  }
  const n = <f64>m;
  const reduce: f64 = reduceSum ? 1 : 1 / n;
  store<f64>(stats + (STAT_LOSS_OBJECTIVE << 3), -objective * reduce);
  store<f64>(stats + (STAT_LOSS_CRITIC << 3), <f64>criticCoef * critic * reduce);
  store<f64>(stats + (STAT_LOSS_ENTROPY << 3), -<f64>entropyCoef * entropySum * reduce);
  store<f64>(stats + (STAT_ENTROPY << 3), entropySum / n);
  store<f64>(stats + (STAT_CLIP_FRACTION << 3), clipped / n);
  store<f64>(stats + (STAT_KL_APPROX << 3), klApprox / n);
  store<f64>(stats + (STAT_APPROX_KL << 3), approxKl / n);
  store<f64>(stats + (STAT_ESS << 3), ratioSquares > 0 ? ratioSum * ratioSum / ratioSquares / n : 0);
  // explained variance, two-pass so a constant return has exactly zero variance
  const retMean = retSum / n;
  const resMean = resSum / n;
  let retVar: f64 = 0, resVar: f64 = 0;
  for (let i = 0; i < m; i++) {
    const ret = <f64>load<f32>(returns + (<usize>i << 2));
    const dr = ret - retMean;
    const ds = ret - <f64>load<f32>(values + (<usize>i << 2)) - resMean;
    retVar += dr * dr;
    resVar += ds * ds;
  }
  store<f64>(stats + (STAT_EXPLAINED_VARIANCE << 3), retVar > 0 ? 1 - resVar / retVar : 0);
}
