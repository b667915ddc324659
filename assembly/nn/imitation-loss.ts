// The behaviour-cloning loss of one minibatch (src/backend/trainer.ts): -mean(w logp) over its demonstrated rows, plus an optional critic
// term on the demonstrations' returns. It writes the PPO stat slots (ppo-loss.ts) so the trainer's bookkeeping
// is shared: loss_objective = loss_bc, loss_critic, clip_fraction = accuracy, kl_approx = mean(logp).
import {
  STAT_APPROX_KL, STAT_CLIP_FRACTION, STAT_ENTROPY, STAT_ESS, STAT_EXPLAINED_VARIANCE, STAT_KL_APPROX,
  STAT_LOSS_CRITIC, STAT_LOSS_ENTROPY, STAT_LOSS_OBJECTIVE,
} from './ppo-loss';

/**
 * Writes gLogp = -w / n, gValue = 2 criticCoef (V - R) / n, gEntropy = 0 and the stats, over the n rows that
 * count: all m, or those whose valid flag (u8 per row; 0: none, all count) is 1. A row that does not count (the
 * padding of a recurrent sequence) gets zero gradients and enters no stat. weights (per row) and hits ([m,
 * branches], categoricalModeAccuracy) are 0 when absent (weight 1; accuracy 0, for Box heads).
 */
export function imitationLoss(
  m: i32, logpNew: usize, weights: usize, valid: usize, values: usize, returns: usize, hits: usize, branches: i32, criticCoef: f32,
  gLogp: usize, gValue: usize, gEntropy: usize, stats: usize,
): void {
  let counted = m;
  if (valid != 0) {
    counted = 0;
    for (let i = 0; i < m; i++) counted += <i32>load<u8>(valid + <usize>i);
  }
  const scale: f32 = counted > 0 ? 1 / <f32>counted : 0;
  let loss: f64 = 0, logpSum: f64 = 0, critic: f64 = 0, accuracy: f64 = 0;
  for (let i = 0; i < m; i++) {
    const o = <usize>i << 2;
    store<f32>(gEntropy + o, 0);
    if (valid != 0 && load<u8>(valid + <usize>i) == 0) {
      store<f32>(gLogp + o, 0);
      store<f32>(gValue + o, 0);
      continue;
    }
    const logp = load<f32>(logpNew + o);
    const w: f32 = weights != 0 ? load<f32>(weights + o) : 1;
    loss -= <f64>w * <f64>logp;
    logpSum += logp;
    store<f32>(gLogp + o, -scale * w);
    const d = load<f32>(values + o) - load<f32>(returns + o);
    critic += <f64>d * <f64>d;
    store<f32>(gValue + o, scale * criticCoef * 2 * d);
    if (hits != 0) {
      let rowHits: f32 = 0;
      for (let b = 0; b < branches; b++) rowHits += load<f32>(hits + ((<usize>i * <usize>branches + <usize>b) << 2));
      accuracy += rowHits / <f32>branches;
    }
  }
  const n = <f64>max(counted, 1);
  store<f64>(stats + (STAT_LOSS_OBJECTIVE << 3), loss / n);
  store<f64>(stats + (STAT_LOSS_CRITIC << 3), <f64>criticCoef * critic / n);
  store<f64>(stats + (STAT_LOSS_ENTROPY << 3), 0);
  store<f64>(stats + (STAT_ENTROPY << 3), 0);
  store<f64>(stats + (STAT_CLIP_FRACTION << 3), accuracy / n);
  store<f64>(stats + (STAT_KL_APPROX << 3), logpSum / n);
  store<f64>(stats + (STAT_APPROX_KL << 3), 0);
  store<f64>(stats + (STAT_ESS << 3), 1);
  store<f64>(stats + (STAT_EXPLAINED_VARIANCE << 3), 0);
}
