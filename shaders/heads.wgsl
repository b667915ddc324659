// Policy heads, one thread per minibatch row i (batch row = plan[2 (base + i)]).
// Forward: log-prob of the stored action and entropy, into the per-row scratch. Backward: turns the loss
// derivatives dL/dlogp and dL/dH (written by ppo_loss.wgsl) into the gradient of the actor's outputs.
// Categorical (Discrete, MultiDiscrete: sums over branches): masked logits have probability 0 and get no
// gradient. Gaussian: mu from the actor, log_std a parameter; tanh_normal adds the squash correction to the
// log-prob and estimates the entropy by Monte Carlo with fixed noise eps (reparameterized through mu, sigma).

struct Params {
  m: u32, base: u32, batchRows: u32, width: u32,   // width: logits (categorical) or dims (box)
  branches: u32, masked: u32, squashed: u32, samples: u32,
  logStdOffset: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

const HALF_LOG_2PI: f32 = 0.91893853320467274;
const LN2: f32 = 0.69314718055994531;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> plan: array<u32>;
@group(0) @binding(2) var<storage, read> outputs: array<f32>;   // actor outputs, m x width
@group(0) @binding(3) var<storage, read> actions: array<u32>;   // batch rows x (branches | dims), f32 bits for boxes
@group(0) @binding(4) var<storage, read> space: array<f32>;     // branch sizes, or log(scale) per dim
@group(0) @binding(5) var<storage, read> masks: array<u32>;     // batch rows x logits (categorical)
@group(0) @binding(6) var<storage, read> params: array<f32>;    // flat parameters (log_std)
@group(0) @binding(7) var<storage, read> noise: array<f32>;     // samples x batch rows x dims
@group(0) @binding(8) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(9) var<storage, read_write> grads: array<f32>; // dL/d outputs (m x width)
@group(0) @binding(10) var<storage, read_write> logStdRows: array<f32>; // dL/d log_std per row (m x dims)
@group(0) @binding(11) var<storage, read_write> hits: array<f32>; // categorical: 1 per row and branch whose mode is the action (m x branches)

fn allowed(row: u32, k: u32) -> bool {
  return p.masked == 0u || masks[row * p.width + k] != 0u;
}

// 1 when the branch's most likely allowed logit (the first on ties) is the action (behaviour cloning's accuracy)
fn branch_hit(i: u32, row: u32, start: u32, n: u32, action: u32) -> f32 {
  var best = n;
  var top = 0.0;
  for (var j = 0u; j < n; j++) {
    let z = outputs[i * p.width + start + j];
    if (allowed(row, start + j) && (best == n || z > top)) { best = j; top = z; }
  }
  return select(0.0, 1.0, best == action);
}

// log-sum-exp over a branch's allowed logits
fn branch_lse(i: u32, row: u32, start: u32, n: u32) -> f32 {
  var zmax = -3.0e38;
  for (var j = 0u; j < n; j++) {
    if (allowed(row, start + j)) { zmax = max(zmax, outputs[i * p.width + start + j]); }
  }
  var sum = 0.0;
  for (var j = 0u; j < n; j++) {
    if (allowed(row, start + j)) { sum += exp(outputs[i * p.width + start + j] - zmax); }
  }
  return zmax + log(sum);
}

fn branch_entropy(i: u32, row: u32, start: u32, n: u32, lse: f32) -> f32 {
  var h = 0.0;
  for (var j = 0u; j < n; j++) {
    if (allowed(row, start + j)) {
      let lp = outputs[i * p.width + start + j] - lse;
      h -= exp(lp) * lp;
    }
  }
  return h;
}

fn store(i: u32, logp: f32, entropy: f32, accuracy: f32) {
  scratch[i * STRIDE + LOGP] = logp;
  scratch[i * STRIDE + ENTROPY] = entropy;
  scratch[i * STRIDE + ACCURACY] = accuracy;
}

@compute @workgroup_size(64)
fn categorical_forward(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= p.m) { return; }
  let row = plan[2u * (p.base + i)];
  var start = 0u;
  var logp = 0.0;
  var entropy = 0.0;
  var hitSum = 0.0;
  for (var b = 0u; b < p.branches; b++) {
    let n = u32(space[b]);
    let lse = branch_lse(i, row, start, n);
    let action = actions[row * p.branches + b];
    logp += outputs[i * p.width + start + action] - lse;
    entropy += branch_entropy(i, row, start, n, lse);
    let hit = branch_hit(i, row, start, n, action);
    hits[i * p.branches + b] = hit;
    hitSum += hit;
    start += n;
  }
  store(i, logp, entropy, hitSum / f32(p.branches));
}

@compute @workgroup_size(64)
fn categorical_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= p.m) { return; }
  let row = plan[2u * (p.base + i)];
  let gLogp = scratch[i * STRIDE + GRAD_LOGP];
  let gEntropy = scratch[i * STRIDE + GRAD_ENTROPY];
  var start = 0u;
  for (var b = 0u; b < p.branches; b++) {
    let n = u32(space[b]);
    let lse = branch_lse(i, row, start, n);
    let h = branch_entropy(i, row, start, n, lse);
    let action = actions[row * p.branches + b];
    for (var j = 0u; j < n; j++) {
      var g = 0.0;
      if (allowed(row, start + j)) {
        let lp = outputs[i * p.width + start + j] - lse;
        let prob = exp(lp);
        // d logp / dz_j = [j = a] - p_j;  d H / dz_j = -p_j (log p_j + H)
        g = gLogp * (select(0.0, 1.0, j == action) - prob) - gEntropy * prob * (lp + h);
      }
      grads[i * p.width + start + j] = g;
    }
    start += n;
  }
}

fn noise_at(k: u32, row: u32, d: u32) -> f32 {
  return noise[(k * p.batchRows + row) * p.width + d];
}

// 2 (log 2 - x - softplus(-2x)) = log(1 - tanh(x)^2), the log-Jacobian of the squash.
fn log_jacobian(x: f32) -> f32 {
  let y = -2.0 * x;
  let softplus = max(y, 0.0) + log(1.0 + exp(-abs(y)));
  return 2.0 * (LN2 - x - softplus);
}

@compute @workgroup_size(64)
fn gaussian_forward(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= p.m) { return; }
  let row = plan[2u * (p.base + i)];
  var logp = 0.0;
  var entropy = 0.0;
  for (var d = 0u; d < p.width; d++) {
    let mu = outputs[i * p.width + d];
    let logStd = params[p.logStdOffset + d];
    let sigma = exp(logStd);
    let u = bitcast<f32>(actions[row * p.width + d]);
    let q = (u - mu) / sigma;
    logp += -0.5 * q * q - logStd - HALF_LOG_2PI;
    if (p.squashed == 0u) {
      entropy += 0.5 + HALF_LOG_2PI + logStd;
    } else {
      logp -= log_jacobian(u) + space[d];
      var sum = 0.0;
      for (var k = 0u; k < p.samples; k++) {
        let eps = noise_at(k, row, d);
        let x = mu + sigma * eps;
        sum += -0.5 * eps * eps - logStd - HALF_LOG_2PI - log_jacobian(x) - space[d];
      }
      entropy -= sum / f32(p.samples);
    }
  }
  store(i, logp, entropy, 0.0);
}

@compute @workgroup_size(64)
fn gaussian_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= p.m) { return; }
  let row = plan[2u * (p.base + i)];
  let gLogp = scratch[i * STRIDE + GRAD_LOGP];
  let gEntropy = scratch[i * STRIDE + GRAD_ENTROPY];
  for (var d = 0u; d < p.width; d++) {
    let mu = outputs[i * p.width + d];
    let logStd = params[p.logStdOffset + d];
    let sigma = exp(logStd);
    let u = bitcast<f32>(actions[row * p.width + d]);
    let q = (u - mu) / sigma;
    var dEntropyMu = 0.0;
    var dEntropyLogStd = 1.0;
    if (p.squashed != 0u) {
      // d log_jacobian(x) / dx = -2 tanh(x), x = mu + sigma eps
      var sumMu = 0.0;
      var sumLogStd = 0.0;
      for (var k = 0u; k < p.samples; k++) {
        let eps = noise_at(k, row, d);
        let t = 2.0 * tanh(mu + sigma * eps);
        sumMu += t;
        sumLogStd += t * sigma * eps;
      }
      dEntropyMu = -sumMu / f32(p.samples);
      dEntropyLogStd = 1.0 - sumLogStd / f32(p.samples);
    }
    grads[i * p.width + d] = gLogp * q / sigma + gEntropy * dEntropyMu;
    logStdRows[i * p.width + d] = gLogp * (q * q - 1.0) + gEntropy * dEntropyLogStd;
  }
}
