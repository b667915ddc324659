// Recurrent cells over a minibatch of whole segments: PyTorch's nn.LSTM (gates i, f, g, o) and nn.GRU (gates
// r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn))). Minibatch row u * numSteps + t is step t of segment u
// (the plan's segment order, as advantage.wgsl's); each segment is cut into sequences of seqLen steps, and one
// workgroup runs one sequence (a column) through time, each invocation owning units (and their gate rows),
// with one storage barrier per step (every unit of the next step reads all of h, or of dL/dgates). The input projection x W_ih^T + b_ih of every row, the
// parameter gradients and the input gradient are matrix products over all rows (linear.wgsl / tiled.wgsl).
//
// A sequence starts from its stored state (states [sequences, numEnvs, stateSize], this cell's part at
// stateOffset). A step whose episode ended (terminated or truncated in the batch data) carries a zero state
// into the next step, so neither the state nor its gradient crosses an episode boundary; the gradient stops at
// the sequence's start (truncated backpropagation through time).
//
// Per-row record `rec` (REC = 8 H floats): LSTM gates [0, 4H) (x W_ih^T + b_ih, then activated), h_prev
// [4H, 5H), c_prev [5H, 6H), c [6H, 7H), h [7H, 8H); GRU gates [0, 3H), h W_hh^T + b_hh [3H, 6H), h_prev
// [6H, 7H), h [7H, 8H). Per-row gradients `grad` (GREC = H + 2 G H): dL/dh [0, H) (written by the heads),
// the gate pre-activations' gradients [H, H + GH) (input side) and [H + GH, H + 2 GH) (GRU: hidden side);
// then per column dL/dh and dL/dc carried back through time ([columns, 2H], from m GREC).

struct Params {
  cell: u32, H: u32, numSteps: u32, seqLen: u32,
  sequences: u32, columns: u32, base: u32, numEnvs: u32,
  stateSize: u32, stateOffset: u32, whh: u32, bhh: u32,
  m: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

const LSTM: u32 = 0u;
const DATA: u32 = 8u; // floats per batch row of the packed batch data (advantage.wgsl): 5 terminated, 6 truncated
const GROUP: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> plan: array<u32>;
@group(0) @binding(3) var<storage, read> data: array<f32>;
@group(0) @binding(4) var<storage, read> states: array<f32>;
@group(0) @binding(5) var<storage, read_write> rec: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad: array<f32>;

fn sigmoid(a: f32) -> f32 { return 1.0 / (1.0 + exp(-a)); }

/** The batch row of minibatch row i. */
fn batchRow(i: u32) -> u32 { return plan[2u * (p.base + i)]; }

/** Whether the episode ended at minibatch row i (its state does not carry into the next step). */
fn ended(i: u32) -> bool {
  let at = batchRow(i) * DATA;
  return data[at + 5u] != 0.0 || data[at + 6u] != 0.0;
}

/** Gates: 4 (LSTM) or 3 (GRU). */
fn gates() -> u32 { return select(3u, 4u, p.cell == LSTM); }

/** Where h_prev starts in a row's record. */
fn hprevAt() -> u32 { return select(6u, 4u, p.cell == LSTM) * p.H; }

/** A column's segment, first step and steps. */
struct Column { first: u32, t0: u32, steps: u32, sequence: u32 }

fn column(c: u32) -> Column {
  let u = c / p.sequences;
  let s = c % p.sequences;
  let t0 = s * p.seqLen;
  return Column(u * p.numSteps + t0, t0, min(p.seqLen, p.numSteps - t0), s);
}

@compute @workgroup_size(64)
fn recurrent_forward(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let c = group.x + group.y * groups.x; // columns beyond 65535 workgroups continue in y
  if (c >= p.columns) { return; }
  let col = column(c);
  let H = p.H;
  let GH = gates() * H;
  let REC = 8u * H;
  let HP = hprevAt();
  let lstm = p.cell == LSTM;
  // The stored state of this sequence: states[sequence, env, stateOffset ..] (env from the row's batch row).
  let env = batchRow(col.first) % p.numEnvs;
  let state = (col.sequence * p.numEnvs + env) * p.stateSize + p.stateOffset;
  // h_prev (and c_prev) of the first step: the stored state.
  let first = col.first * REC;
  for (var j = local.x; j < H; j += GROUP) {
    rec[first + HP + j] = states[state + j];
    if (lstm) { rec[first + 5u * H + j] = states[state + H + j]; }
  }
  storageBarrier();
  for (var t = 0u; t < col.steps; t++) {
    let row = col.first + t;
    let at = row * REC;
    // The state carried into the next step: zero where this step's episode ended.
    let carry = !ended(row);
    let last = t + 1u == col.steps;
    // Each invocation owns units j: it forms the G gate rows of unit j (one h_prev load serves all of them)
    // and then the unit itself, so one barrier per step suffices (the next step needs all of h).
    for (var j = local.x; j < H; j += GROUP) {
      var a = vec4<f32>(params[p.bhh + j], params[p.bhh + H + j], params[p.bhh + 2u * H + j], 0.0);
      if (lstm) { a.w = params[p.bhh + 3u * H + j]; }
      let w0 = p.whh + j * H;
      let w1 = w0 + H * H;
      let w2 = w1 + H * H;
      let w3 = w2 + H * H;
      if (lstm) {
        for (var k = 0u; k < H; k++) {
          let h = rec[at + HP + k];
          a += h * vec4<f32>(params[w0 + k], params[w1 + k], params[w2 + k], params[w3 + k]);
        }
      } else {
        for (var k = 0u; k < H; k++) {
          let h = rec[at + HP + k];
          a += h * vec4<f32>(params[w0 + k], params[w1 + k], params[w2 + k], 0.0);
        }
      }
      var hNew = 0.0;
      if (lstm) {
        let i = sigmoid(rec[at + j] + a.x);
        let f = sigmoid(rec[at + H + j] + a.y);
        let g = tanh(rec[at + 2u * H + j] + a.z);
        let o = sigmoid(rec[at + 3u * H + j] + a.w);
        rec[at + j] = i;
        rec[at + H + j] = f;
        rec[at + 2u * H + j] = g;
        rec[at + 3u * H + j] = o;
        let cell = f * rec[at + 5u * H + j] + i * g;
        rec[at + 6u * H + j] = cell;
        hNew = o * tanh(cell);
        if (!last) { rec[at + REC + 5u * H + j] = select(0.0, cell, carry); }
      } else {
        rec[at + GH + j] = a.x;
        rec[at + GH + H + j] = a.y;
        rec[at + GH + 2u * H + j] = a.z;
        let r = sigmoid(rec[at + j] + a.x);
        let z = sigmoid(rec[at + H + j] + a.y);
        let n = tanh(rec[at + 2u * H + j] + r * a.z);
        rec[at + j] = r;
        rec[at + H + j] = z;
        rec[at + 2u * H + j] = n;
        hNew = (1.0 - z) * n + z * rec[at + HP + j];
      }
      rec[at + 7u * H + j] = hNew;
      if (!last) { rec[at + REC + HP + j] = select(0.0, hNew, carry); }
    }
    storageBarrier();
  }
}

@compute @workgroup_size(64)
fn recurrent_backward(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let c = group.x + group.y * groups.x; // columns beyond 65535 workgroups continue in y
  if (c >= p.columns) { return; }
  let col = column(c);
  let H = p.H;
  let GH = gates() * H;
  let REC = 8u * H;
  let GREC = H + 2u * GH;
  let HP = hprevAt();
  let lstm = p.cell == LSTM;
  let dh = p.m * GREC + c * 2u * H; // dL/dh_t from step t + 1, then dL/dc_t at + H
  for (var j = local.x; j < H; j += GROUP) {
    grad[dh + j] = 0.0;
    grad[dh + H + j] = 0.0;
  }
  for (var step = 0u; step < col.steps; step++) {
    let row = col.first + col.steps - 1u - step;
    let at = row * REC;
    let g = row * GREC;
    // The state carried out of this step reached the next one only if the episode went on.
    let carried = select(1.0, 0.0, ended(row));
    // Each invocation owns units j here and below: it reads and writes dh[j], dc[j] of its own units only.
    for (var j = local.x; j < H; j += GROUP) {
      let dht = grad[g + j] + carried * grad[dh + j];
      if (lstm) {
        let i = rec[at + j];
        let f = rec[at + H + j];
        let gg = rec[at + 2u * H + j];
        let o = rec[at + 3u * H + j];
        let tc = tanh(rec[at + 6u * H + j]);
        let dct = carried * grad[dh + H + j] + dht * o * (1.0 - tc * tc);
        grad[g + H + j] = dct * gg * i * (1.0 - i);
        grad[g + H + H + j] = dct * rec[at + 5u * H + j] * f * (1.0 - f);
        grad[g + H + 2u * H + j] = dct * i * (1.0 - gg * gg);
        grad[g + H + 3u * H + j] = dht * tc * o * (1.0 - o);
        grad[dh + H + j] = dct * f;
        grad[dh + j] = 0.0;
      } else {
        let r = rec[at + j];
        let z = rec[at + H + j];
        let n = rec[at + 2u * H + j];
        let hn = rec[at + GH + 2u * H + j];
        let dan = dht * (1.0 - z) * (1.0 - n * n);
        let dar = dan * hn * r * (1.0 - r);
        let daz = dht * (rec[at + HP + j] - n) * z * (1.0 - z);
        grad[g + H + j] = dar;
        grad[g + H + H + j] = daz;
        grad[g + H + 2u * H + j] = dan;
        grad[g + H + GH + j] = dar;
        grad[g + H + GH + H + j] = daz;
        grad[g + H + GH + 2u * H + j] = dan * r;
        grad[dh + j] = dht * z; // the direct path h_t = ... + z h_prev
      }
    }
    storageBarrier();
    // dL/dh_prev += dGates(hidden side) W_hh. The next step back reads only its own units' dh, written here by
    // the same invocation, and writes another row's gate gradients: one barrier per step is enough.
    let dGates = g + H + select(GH, 0u, lstm);
    for (var k = local.x; k < H; k += GROUP) {
      var sum = grad[dh + k];
      for (var j = 0u; j < GH; j++) { sum += grad[dGates + j] * params[p.whh + j * H + k]; }
      grad[dh + k] = sum;
    }
  }
}
