// The clipped PPO loss, one thread per minibatch row: per-row terms for the stats (reduce.wgsl), and the
// derivatives of the total loss w.r.t. the row's log-prob, entropy and value, which heads.wgsl and the
// critic head's backward pass turn into parameter gradients. The advantage is data (no gradient).

struct Params {
  m: u32, base: u32, normalize: u32, lossType: u32,  // lossType: 0 l1, 1 l2, 2 smooth_l1
  clipLow: f32, clipHigh: f32, valueClip: f32, criticCoef: f32,
  entropyCoef: f32, scale: f32, imitation: f32, _pad1: f32,  // entropyCoef is 0 without the bonus; scale 1/m or 1;
  // imitation != 0: the behaviour-cloning loss (src/backend/trainer.ts) instead of PPO's
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> plan: array<u32>;   // (row, weight bits) pairs
@group(0) @binding(2) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read> values: array<f32>; // critic outputs, m x 1
@group(0) @binding(4) var<storage, read> scalars: array<f32>; // 0 advantage mean, 1 advantage std
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;

fn critic_loss(d: f32) -> f32 {
  if (p.lossType == 0u) { return abs(d); }
  if (p.lossType == 1u) { return d * d; }
  return select(abs(d) - 0.5, 0.5 * d * d, abs(d) < 1.0);
}

fn critic_loss_grad(d: f32) -> f32 {
  if (p.lossType == 0u) { return sign(d); }
  if (p.lossType == 1u) { return 2.0 * d; }
  return select(sign(d), d, abs(d) < 1.0);
}

// Behaviour cloning: dL/dlogp = -w / m, dL/dV = 2 criticCoef (V - R) / m, no entropy term. The stat columns
// carry -w logp (loss_bc), (V - R)^2, the accuracy (as the clip fraction) and logp (as kl_approx).
fn imitation_row(at: u32, weight: f32, ret: f32, value: f32) {
  let logp = scratch[at + LOGP];
  let d = value - ret;
  scratch[at + VALUE] = value;
  scratch[at + GRAD_LOGP] = -p.scale * weight;
  scratch[at + GRAD_ENTROPY] = 0.0;
  scratch[at + GRAD_VALUE] = p.scale * p.criticCoef * 2.0 * d;
  scratch[at + RATIO] = 1.0;
  scratch[at + OBJECTIVE] = -weight * logp;
  scratch[at + CRITIC] = d * d;
  scratch[at + CLIPPED] = scratch[at + ACCURACY];
  scratch[at + KL_APPROX] = logp;
  scratch[at + APPROX_KL] = 0.0;
  scratch[at + RESIDUAL] = ret - value;
  scratch[at + RETURN] = ret;
}

@compute @workgroup_size(64)
fn loss_rows(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= p.m) { return; }
  let at = i * STRIDE;
  let row = plan[2u * (p.base + i)];
  let weight = bitcast<f32>(plan[2u * (p.base + i) + 1u]);
  let logpOld = data[row * DATA];
  let valueOld = data[row * DATA + 1u];
  let ret = data[row * DATA + 3u];

  if (p.imitation != 0.0) {
    imitation_row(at, weight, ret, values[i]);
    return;
  }

  var advantage = scratch[at + ADVANTAGE];
  if (p.normalize != 0u) { advantage = (advantage - scalars[0]) / (scalars[1] + 1e-8); }
  advantage *= weight;

  // Policy: -min(r A, clamp(r, 1 - low, 1 + high) A); ties and the clamp's edges pass the gradient.
  let logp = scratch[at + LOGP];
  let ratio = exp(logp - logpOld);
  let low = 1.0 - p.clipLow;
  let high = 1.0 + p.clipHigh;
  let inside = ratio >= low && ratio <= high;
  let unclipped = ratio * advantage;
  let clipped = clamp(ratio, low, high) * advantage;
  var gLogp = 0.0;
  if (unclipped <= clipped || inside) { gLogp = -advantage * ratio; }

  // Critic: L(V - R), or with value clipping max(L(V - R), L(V_old + clamp(V - V_old, -c, c) - R)).
  let value = values[i];
  var lossCritic = critic_loss(value - ret);
  var gValue = critic_loss_grad(value - ret);
  if (p.valueClip > 0.0) {
    let change = value - valueOld;
    let lossClipped = critic_loss(valueOld + clamp(change, -p.valueClip, p.valueClip) - ret);
    if (lossClipped > lossCritic) {
      let passes = change >= -p.valueClip && change <= p.valueClip;
      gValue = select(0.0, critic_loss_grad(valueOld + clamp(change, -p.valueClip, p.valueClip) - ret), passes);
      lossCritic = lossClipped;
    }
  }

  scratch[at + VALUE] = value;
  scratch[at + GRAD_LOGP] = p.scale * gLogp;
  scratch[at + GRAD_ENTROPY] = -p.entropyCoef * p.scale;
  scratch[at + GRAD_VALUE] = p.scale * p.criticCoef * gValue;
  scratch[at + RATIO] = ratio;
  scratch[at + OBJECTIVE] = -min(unclipped, clipped);
  scratch[at + CRITIC] = lossCritic;
  scratch[at + CLIPPED] = select(0.0, 1.0, !inside);
  scratch[at + KL_APPROX] = logpOld - logp;
  scratch[at + APPROX_KL] = (ratio - 1.0) - (logp - logpOld);
  scratch[at + RESIDUAL] = ret - value;
  scratch[at + RETURN] = ret;
}
