// Adam / AdamW over the flat parameter, gradient and moment buffers (one thread per parameter), with the
// global-norm clip scale from reduce.wgsl. Bias corrections come from the host (the step count is known
// there); a stopped update (target KL) leaves everything as it is.

struct Params {
  count: u32, _pad0: u32, _pad1: u32, _pad2: u32,
  learningRate: f32, weightDecay: f32, eps: f32, _pad3: f32,
  correction1: f32, correction2: f32, _pad4: f32, _pad5: f32,  // 1 - 0.9^step, 1 - 0.999^step
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> scalars: array<f32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn adam_step(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= p.count || scalars[2] != 0.0) { return; }
  let g = grads[i] * scalars[3];
  let mi = 0.9 * m[i] + 0.1 * g;
  let vi = 0.999 * v[i] + 0.001 * g * g;
  m[i] = mi;
  v[i] = vi;
  let theta = params[i] * (1.0 - p.learningRate * p.weightDecay);
  params[i] = theta - p.learningRate * (mi / p.correction1) / (sqrt(vi / p.correction2) + p.eps);
}
