// Gaussian heads for Box actions: mean mu [m, dims] from the actor, sigma = exp(log_std) a parameter.
// 'normal' stores and scores u directly; 'tanh_normal' gives the game loc + scale tanh(u) and corrects the
// log-prob by the squash's log-Jacobian; its entropy is a Monte Carlo estimate over fixed noise eps
// (noise [samples, m, dims]), reparameterized through mu and sigma.
import { pcgAt, pcgNormal } from './random';

const HALF_LOG_2PI: f32 = 0.9189385332046727;
const LOG_2: f32 = 0.6931471805599453;

/** log |d tanh(u) / du| = 2 (log 2 - u - softplus(-2u)), stable for any u. */
@inline function logTanhJacobian(u: f32): f32 {
  return 2 * (LOG_2 - u - softplus(-2 * u));
}

@inline function softplus(x: f32): f32 {
  return max<f32>(x, 0) + Mathf.log1p(Mathf.exp(-Mathf.abs(x)));
}

/** log-prob of u [m, dims] per row and the entropy per row. logScaleSum = sum_d log scale_d (tanh only). */
export function gaussianForward(
  m: i32, dims: i32, mu: usize, logStd: usize, u: usize, squash: bool, logScaleSum: f32,
  noise: usize, samples: i32, logp: usize, entropy: usize,
): void {
  let logStdSum: f32 = 0;
  for (let d = 0; d < dims; d++) logStdSum += load<f32>(logStd + (<usize>d << 2));
  const normalEntropy = <f32>dims * (0.5 + HALF_LOG_2PI) + logStdSum;
  for (let i = 0; i < m; i++) {
    const row = <usize>i * <usize>dims;
    let lp: f32 = 0;
    for (let d = 0; d < dims; d++) {
      const ls = load<f32>(logStd + (<usize>d << 2));
      const x = load<f32>(u + ((row + <usize>d) << 2));
      const z = (x - load<f32>(mu + ((row + <usize>d) << 2))) / Mathf.exp(ls);
      lp += -0.5 * z * z - ls - HALF_LOG_2PI;
      if (squash) lp -= logTanhJacobian(x);
    }
    if (squash) lp -= logScaleSum;
    store<f32>(logp + (<usize>i << 2), lp);
    let h = normalEntropy;
    if (squash) {
      // H = -(1/K) sum_k logp(mu + sigma eps_k)
      let sum: f32 = 0;
      for (let k = 0; k < samples; k++) {
        const at = (<usize>k * <usize>m + <usize>i) * <usize>dims;
        for (let d = 0; d < dims; d++) {
          const ls = load<f32>(logStd + (<usize>d << 2));
          const eps = load<f32>(noise + ((at + <usize>d) << 2));
          const x = load<f32>(mu + ((row + <usize>d) << 2)) + Mathf.exp(ls) * eps;
          sum += 0.5 * eps * eps + ls + HALF_LOG_2PI + logTanhJacobian(x);
        }
      }
      h = sum / <f32>samples + logScaleSum;
    }
    store<f32>(entropy + (<usize>i << 2), h);
  }
}

/**
 * dMu [m, dims] (overwritten) and dLogStd [dims] (overwritten) from dL/dlogp and dL/dH per row.
 * dlogp/dmu = z / sigma, dlogp/dlog_std = z^2 - 1; normal dH/dlog_std = 1; tanh_normal adds
 * d(log-Jacobian)/du = -2 tanh(u) through u = mu + sigma eps.
 */
export function gaussianBackward(
  m: i32, dims: i32, mu: usize, logStd: usize, u: usize, squash: bool,
  noise: usize, samples: i32, gLogp: usize, gEntropy: usize, dMu: usize, dLogStd: usize,
): void {
  const invK: f32 = 1 / <f32>samples;
  for (let d = 0; d < dims; d++) {
    const ls = load<f32>(logStd + (<usize>d << 2));
    const sigma = Mathf.exp(ls);
    let dls: f32 = 0;
    for (let i = 0; i < m; i++) {
      const at = (<usize>i * <usize>dims + <usize>d) << 2;
      const gl = load<f32>(gLogp + (<usize>i << 2));
      const gh = load<f32>(gEntropy + (<usize>i << 2));
      const mean = load<f32>(mu + at);
      const z = (load<f32>(u + at) - mean) / sigma;
      let dm = gl * z / sigma;
      dls += gl * (z * z - 1) + gh;
      if (squash) {
        let dhMu: f32 = 0;
        let dhLs: f32 = 0;
        for (let k = 0; k < samples; k++) {
          const eps = load<f32>(noise + (((<usize>k * <usize>m + <usize>i) * <usize>dims + <usize>d) << 2));
          const dx: f32 = <f32>-2 * Mathf.tanh(mean + sigma * eps);
          dhMu += dx;
          dhLs += dx * sigma * eps;
        }
        dm += gh * dhMu * invK;
        dls += gh * dhLs * invK;
      }
      store<f32>(dMu + at, dm);
    }
    store<f32>(dLogStd + (<usize>d << 2), dls);
  }
}

/**
 * Draws u = mu + sigma eps (or u = mu when deterministic) for m rows, its log-prob, and, for tanh_normal,
 * the game's action loc + scale tanh(u) into squashed (loc, scale [dims]).
 */
export function gaussianAct(
  m: i32, dims: i32, mu: usize, logStd: usize, squash: bool, loc: usize, scale: usize, logScaleSum: f32,
  deterministic: bool, rng: usize, u: usize, squashed: usize, logp: usize,
): void {
  const state = pcgAt(rng);
  for (let i = 0; i < m; i++) {
    const row = <usize>i * <usize>dims;
    let lp: f32 = 0;
    for (let d = 0; d < dims; d++) {
      const at = (row + <usize>d) << 2;
      const ls = load<f32>(logStd + (<usize>d << 2));
      const eps: f32 = deterministic ? 0 : <f32>pcgNormal(state);
      const mean = load<f32>(mu + at);
      const sigma = Mathf.exp(ls);
      const x = mean + sigma * eps;
      store<f32>(u + at, x);
      const z = (x - mean) / sigma; // scored as the trainer scores the stored u
      lp += -0.5 * z * z - ls - HALF_LOG_2PI;
      if (squash) {
        lp -= logTanhJacobian(x);
        store<f32>(squashed + at, load<f32>(loc + (<usize>d << 2)) + load<f32>(scale + (<usize>d << 2)) * Mathf.tanh(x));
      }
    }
    if (squash) lp -= logScaleSum;
    store<f32>(logp + (<usize>i << 2), lp);
  }
}
