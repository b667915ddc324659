// A minibatch's rows: gathered at its start (observations, and the first-pass advantages), or (segment
// minibatches with rewards) advantages by V-trace recomputed on each segment with the current ratios, a scan
// back over time per segment, parallel over segments. Row i = s * numSteps + t of the minibatch is step t of
// its segment s.

struct Params {
  m: u32, base: u32, numSteps: u32, numEnvs: u32,
  gamma: f32, lambda: f32, rhoClip: f32, cClip: f32,
  obsSize: u32, advantages: u32, _pad0: u32, _pad1: u32,  // gather_minibatch: advantages 0 when V-trace recomputes them
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> plan: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read> lastValues: array<f32>;
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(5) var<storage, read> obs: array<f32>;
@group(0) @binding(6) var<storage, read_write> x: array<f32>;

// One pass over the minibatch's rows before anything else: x[i, :] = obs[row, :], and the row's first-pass
// advantage into the scratch (one dispatch for both gathers).
@compute @workgroup_size(64)
fn gather_minibatch(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= p.m) { return; }
  let row = plan[2u * (p.base + i)];
  for (var k = 0u; k < p.obsSize; k++) { x[i * p.obsSize + k] = obs[row * p.obsSize + k]; }
  if (p.advantages != 0u) { scratch[i * STRIDE + ADVANTAGE] = data[row * DATA + 2u]; }
}

@compute @workgroup_size(64)
fn vtrace(@builtin(global_invocation_id) id: vec3<u32>) {
  let s = id.x;
  if (s * p.numSteps >= p.m) { return; }
  var next = 0.0;
  for (var step = 0u; step < p.numSteps; step++) {
    let t = p.numSteps - 1u - step;
    let i = s * p.numSteps + t;
    let row = plan[2u * (p.base + i)];
    let at = row * DATA;
    let ratio = exp(clamp(scratch[i * STRIDE + LOGP] - data[at], -10.0, 10.0));
    let terminated = data[at + 5u] != 0.0;
    let truncated = data[at + 6u] != 0.0;
    var nextValue = 0.0;
    if (!terminated) {
      if (truncated) { nextValue = data[at + 7u]; }
      else if (t + 1u < p.numSteps) { nextValue = data[(row + p.numEnvs) * DATA + 1u]; }
      else { nextValue = lastValues[row % p.numEnvs]; }
    }
    let delta = min(p.rhoClip, ratio) * (data[at + 4u] + p.gamma * nextValue - data[at + 1u]);
    let carry = select(1.0, 0.0, terminated || truncated);
    next = delta + p.gamma * p.lambda * min(p.cClip, ratio) * carry * next;
    scratch[i * STRIDE + ADVANTAGE] = next;
  }
}
