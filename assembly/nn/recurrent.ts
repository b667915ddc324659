// Recurrent cells over time-major sequences: PyTorch's nn.LSTM (gates i, f, g, o) and nn.GRU (gates r, z, n;
// n = tanh(W_in x + b_in + r (W_hn h + b_hn))), B columns of T steps, rows row = t * B + b.
// The input projection x W_ih^T + b_ih is one gemm over all T * B rows; each step adds h W_hh^T (a B-row
// gemm) and applies the gates. Sigmoids are 0.5 + 0.5 tanh(a / 2), so every gate goes through the SIMD
// tanh of dense.ts. A step whose episode ended (resets[row] = 1) carries a zero state into the next step, so
// neither the state nor its gradient crosses an episode boundary. The backward pass goes back through the T
// steps (truncated BPTT: the sequence's initial state is where it stops; its gradient is returned), then
// forms the parameter and input gradients with two dense backward passes over all rows.
import { denseBackward, gemm, tanhRational, TANH } from './dense';

export const CELL_LSTM = 0;
export const CELL_GRU = 1;

@inline function f32At(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** dst[b, 0..n) = flag(b) ? 0 : src[b * srcStride ..], rows of n floats (strides in floats). */
function copyRows(src: usize, srcStride: i32, dst: usize, dstStride: i32, B: i32, n: i32, resets: usize): void {
  for (let b = 0; b < B; b++) {
    const zero = resets != 0 && load<u8>(resets + <usize>b) != 0;
    const s = f32At(src, b * srcStride);
    const d = f32At(dst, b * dstStride);
    if (zero) memory.fill(d, 0, <usize>n << 2);
    else memory.copy(d, s, <usize>n << 2);
  }
}

/**
 * Forward pass of T steps for B columns.
 * x [T*B, I]; wihT [I, G*H] and whhT [H, G*H] are W_ih and W_hh transposed; bih, bhh [G*H].
 * state0: h at state0 + b * stateStride floats, then (LSTM) c right after h.
 * resets [T*B] u8. Saved for the backward pass: gates [T*B, G*H] (activated), hprev [T*B, H] (the h entering
 * each step), and for an LSTM cprev [T*B, H] (the c entering) and cellTanh [T*B, H] (tanh c_t); for a GRU
 * hh [T*B, G*H] (h W_hh^T + b_hh). out [T*B, H] = h_t. cScratch [B, H] (LSTM). stateT (0: none) receives
 * the state carried out of the last step, zero where it reset; it may be state0 itself.
 */
export function recurrentForward(
  cell: i32, T: i32, B: i32, I: i32, H: i32,
  x: usize, wihT: usize, whhT: usize, bih: usize, bhh: usize,
  state0: usize, stateStride: i32, resets: usize,
  gates: usize, hh: usize, hprev: usize, cprev: usize, cellTanh: usize, out: usize, cScratch: usize, stateT: usize,
): void {
  const G = cell == CELL_LSTM ? 4 : 3;
  const GH = G * H;
  gemm(x, wihT, bih, gates, T * B, I, GH, false);
  for (let t = 0; t < T; t++) {
    const row = t * B;
    const hp = f32At(hprev, row * H);
    if (t == 0) copyRows(state0, stateStride, hp, H, B, H, 0);
    else copyRows(f32At(out, (row - B) * H), H, hp, H, B, H, resets + <usize>(row - B));
    const g = f32At(gates, row * GH);
    if (cell == CELL_LSTM) {
      const cp = f32At(cprev, row * H);
      if (t == 0) copyRows(f32At(state0, H), stateStride, cp, H, B, H, 0);
      else copyRows(cScratch, H, cp, H, B, H, resets + <usize>(row - B));
      lstmStep(B, H, hp, cp, whhT, bhh, g, f32At(cellTanh, row * H), f32At(out, row * H), cScratch);
    } else {
      gruStep(B, H, hp, whhT, bhh, g, f32At(hh, row * GH), f32At(out, row * H));
    }
  }
  if (stateT != 0) {
    const last = resets + <usize>((T - 1) * B);
    copyRows(f32At(out, (T - 1) * B * H), H, stateT, stateStride, B, H, last);
    if (cell == CELL_LSTM) copyRows(cScratch, H, f32At(stateT, H), stateStride, B, H, last);
  }
}

// One step's gates, fused: a single pass per row applies b_hh, the gate nonlinearities and the state update to
// four units at a time (the scalar tail runs the same vector math on one lane), and stores what the backward
// pass reads. Every lane does the f32 operations of the unfused definition in the same order, so the results
// are the same bits whatever the width. The tanh fit's coefficients are read into locals once per step.

function lstmStep(B: i32, H: i32, hp: usize, cp: usize, whhT: usize, bhh: usize, g: usize, cellTanh: usize, out: usize, c: usize): void {
  const GH = 4 * H;
  gemm(hp, whhT, 0, g, B, H, GH, true);
  const sMax = v128.load32_splat(TANH);
  const p1 = v128.load32_splat(TANH, 4), p2 = v128.load32_splat(TANH, 8);
  const p3 = v128.load32_splat(TANH, 12), p4 = v128.load32_splat(TANH, 16);
  const q1 = v128.load32_splat(TANH, 20), q2 = v128.load32_splat(TANH, 24), q3 = v128.load32_splat(TANH, 28);
  for (let b = 0; b < B; b++) {
    const row = f32At(g, b * GH);
    const k = b * H;
    let u = 0;
    for (; u + 4 <= H; u += 4) {
      lstmUnits(row, bhh, u, H, f32At(cp, k + u), f32At(c, k + u), f32At(cellTanh, k + u), f32At(out, k + u), true, sMax, p1, p2, p3, p4, q1, q2, q3);
    }
    for (; u < H; u++) {
      lstmUnits(row, bhh, u, H, f32At(cp, k + u), f32At(c, k + u), f32At(cellTanh, k + u), f32At(out, k + u), false, sMax, p1, p2, p3, p4, q1, q2, q3);
    }
  }
}

/**
 * Units u.. of one LSTM row: gates i, f, o = sigmoid(a) = 0.5 + 0.5 tanh(a / 2) and g = tanh(a) of
 * a = (x W_ih^T + b_ih + h W_hh^T) + b_hh, stored activated; c = f c_prev + i g; h = o tanh(c).
 */
@inline function lstmUnits(
  row: usize, bhh: usize, u: i32, H: i32, cp: usize, c: usize, cellTanh: usize, out: usize, wide: bool,
  sMax: v128, p1: v128, p2: v128, p3: v128, p4: v128, q1: v128, q2: v128, q3: v128,
): void {
  const half = f32x4.splat(0.5);
  const gi = f32At(row, u), gf = f32At(row, H + u), gg = f32At(row, 2 * H + u), go = f32At(row, 3 * H + u);
  const ai = f32x4.mul(half, f32x4.add(lane(gi, wide), lane(f32At(bhh, u), wide)));
  const af = f32x4.mul(half, f32x4.add(lane(gf, wide), lane(f32At(bhh, H + u), wide)));
  const ag = f32x4.add(lane(gg, wide), lane(f32At(bhh, 2 * H + u), wide));
  const ao = f32x4.mul(half, f32x4.add(lane(go, wide), lane(f32At(bhh, 3 * H + u), wide)));
  const i = f32x4.add(half, f32x4.mul(half, tanhRational(ai, sMax, p1, p2, p3, p4, q1, q2, q3)));
  const f = f32x4.add(half, f32x4.mul(half, tanhRational(af, sMax, p1, p2, p3, p4, q1, q2, q3)));
  const gt = tanhRational(ag, sMax, p1, p2, p3, p4, q1, q2, q3);
  const o = f32x4.add(half, f32x4.mul(half, tanhRational(ao, sMax, p1, p2, p3, p4, q1, q2, q3)));
  const cNew = f32x4.add(f32x4.mul(f, lane(cp, wide)), f32x4.mul(i, gt));
  const tc = tanhRational(cNew, sMax, p1, p2, p3, p4, q1, q2, q3);
  setLane(gi, i, wide);
  setLane(gf, f, wide);
  setLane(gg, gt, wide);
  setLane(go, o, wide);
  setLane(c, cNew, wide);
  setLane(cellTanh, tc, wide);
  setLane(out, f32x4.mul(o, tc), wide);
}

function gruStep(B: i32, H: i32, hp: usize, whhT: usize, bhh: usize, g: usize, hh: usize, out: usize): void {
  const GH = 3 * H;
  gemm(hp, whhT, bhh, hh, B, H, GH, false);
  const sMax = v128.load32_splat(TANH);
  const p1 = v128.load32_splat(TANH, 4), p2 = v128.load32_splat(TANH, 8);
  const p3 = v128.load32_splat(TANH, 12), p4 = v128.load32_splat(TANH, 16);
  const q1 = v128.load32_splat(TANH, 20), q2 = v128.load32_splat(TANH, 24), q3 = v128.load32_splat(TANH, 28);
  for (let b = 0; b < B; b++) {
    const gRow = f32At(g, b * GH);
    const hRow = f32At(hh, b * GH);
    const k = b * H;
    let u = 0;
    for (; u + 4 <= H; u += 4) gruUnits(gRow, hRow, u, H, f32At(hp, k + u), f32At(out, k + u), true, sMax, p1, p2, p3, p4, q1, q2, q3);
    for (; u < H; u++) gruUnits(gRow, hRow, u, H, f32At(hp, k + u), f32At(out, k + u), false, sMax, p1, p2, p3, p4, q1, q2, q3);
  }
}

/**
 * Units u.. of one GRU row, with hh = h W_hh^T + b_hh: r, z = sigmoid(x-side + hh-side),
 * n = tanh(x-side + r hh_n), h = (1 - z) n + z h_prev; r, z, n stored in place of the pre-activations.
 */
@inline function gruUnits(
  gRow: usize, hRow: usize, u: i32, H: i32, hp: usize, out: usize, wide: bool,
  sMax: v128, p1: v128, p2: v128, p3: v128, p4: v128, q1: v128, q2: v128, q3: v128,
): void {
  const half = f32x4.splat(0.5);
  const gr = f32At(gRow, u), gz = f32At(gRow, H + u), gn = f32At(gRow, 2 * H + u);
  const ar = f32x4.mul(half, f32x4.add(lane(gr, wide), lane(f32At(hRow, u), wide)));
  const az = f32x4.mul(half, f32x4.add(lane(gz, wide), lane(f32At(hRow, H + u), wide)));
  const r = f32x4.add(half, f32x4.mul(half, tanhRational(ar, sMax, p1, p2, p3, p4, q1, q2, q3)));
  const z = f32x4.add(half, f32x4.mul(half, tanhRational(az, sMax, p1, p2, p3, p4, q1, q2, q3)));
  const an = f32x4.add(lane(gn, wide), f32x4.mul(r, lane(f32At(hRow, 2 * H + u), wide)));
  const n = tanhRational(an, sMax, p1, p2, p3, p4, q1, q2, q3);
  setLane(gr, r, wide);
  setLane(gz, z, wide);
  setLane(gn, n, wide);
  setLane(out, f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1), z), n), f32x4.mul(z, lane(hp, wide))), wide);
}

/** Four floats at p, or (narrow: a scalar tail) the float at p in every lane. */
@inline function lane(p: usize, wide: bool): v128 {
  return wide ? v128.load(p) : f32x4.splat(load<f32>(p));
}

/** Stores four lanes at p, or (narrow) lane 0 only. */
@inline function setLane(p: usize, v: v128, wide: bool): void {
  if (wide) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}

/**
 * Backward pass through the T steps of recurrentForward's saved values, from dOut [T*B, H] = dL/dh_t.
 * wih [G*H, I] and whh [G*H, H] as in the parameters. dGates [T*B, G*H] is scratch (the gate gradients; for a
 * GRU those of the input side) and dHh [T*B, G*H] (GRU) the hidden side's; dh, dc [B, H] scratch.
 * Parameter gradients dwih, dwhh, dbih, dbhh are overwritten, or added to when accumulateParams; dx (0: none)
 * [T*B, I] is overwritten, or added to when accumulateDx; dState0 (0: none) receives dL/dstate0 with
 * stateStride like state0.
 */
export function recurrentBackward(
  cell: i32, T: i32, B: i32, I: i32, H: i32,
  x: usize, wih: usize, whh: usize, resets: usize,
  gates: usize, hh: usize, hprev: usize, cprev: usize, cellTanh: usize,
  dOut: usize, dGates: usize, dHh: usize, dh: usize, dc: usize,
  dwih: usize, dwhh: usize, dbih: usize, dbhh: usize, accumulateParams: bool,
  dx: usize, accumulateDx: bool, dState0: usize, stateStride: i32,
): void {
  const lstm = cell == CELL_LSTM;
  const G = lstm ? 4 : 3;
  const GH = G * H;
  memory.fill(dh, 0, <usize>(B * H) << 2);
  memory.fill(dc, 0, <usize>(B * H) << 2);
  for (let t = T - 1; t >= 0; t--) {
    const row = t * B;
    for (let b = 0; b < B; b++) {
      const carried: f32 = load<u8>(resets + <usize>(row + b)) != 0 ? 0 : 1;
      const gRow = f32At(gates, (row + b) * GH);
      const dRow = f32At(dGates, (row + b) * GH);
      for (let u = 0; u < H; u++) {
        const k = (row + b) * H + u;
        const s = b * H + u;
        const dht = load<f32>(f32At(dOut, k)) + carried * load<f32>(f32At(dh, s));
        if (lstm) {
          const i = load<f32>(f32At(gRow, u));
          const f = load<f32>(f32At(gRow, H + u));
          const gg = load<f32>(f32At(gRow, 2 * H + u));
          const o = load<f32>(f32At(gRow, 3 * H + u));
          const tc = load<f32>(f32At(cellTanh, k));
          const dct = carried * load<f32>(f32At(dc, s)) + dht * o * (1 - tc * tc);
          store<f32>(f32At(dRow, u), dct * gg * i * (1 - i));
          store<f32>(f32At(dRow, H + u), dct * load<f32>(f32At(cprev, k)) * f * (1 - f));
          store<f32>(f32At(dRow, 2 * H + u), dct * i * (1 - gg * gg));
          store<f32>(f32At(dRow, 3 * H + u), dht * tc * o * (1 - o));
          store<f32>(f32At(dc, s), dct * f);
        } else {
          const r = load<f32>(f32At(gRow, u));
          const z = load<f32>(f32At(gRow, H + u));
          const n = load<f32>(f32At(gRow, 2 * H + u));
          const hn = load<f32>(f32At(hh, (row + b) * GH + 2 * H + u));
          const dan = dht * (1 - z) * (1 - n * n);
          const dar = dan * hn * r * (1 - r);
          const daz = dht * (load<f32>(f32At(hprev, k)) - n) * z * (1 - z);
          const hRow = f32At(dHh, (row + b) * GH);
          store<f32>(f32At(dRow, u), dar);
          store<f32>(f32At(dRow, H + u), daz);
          store<f32>(f32At(dRow, 2 * H + u), dan);
          store<f32>(f32At(hRow, u), dar);
          store<f32>(f32At(hRow, H + u), daz);
          store<f32>(f32At(hRow, 2 * H + u), dan * r);
          store<f32>(f32At(dh, s), dht * z);
        }
      }
    }
    // dL/dh entering step t: through W_hh (plus, for a GRU, the direct z h path stored above).
    if (lstm) gemm(f32At(dGates, row * GH), whh, 0, dh, B, GH, H, false);
    else gemm(f32At(dHh, row * GH), whh, 0, dh, B, GH, H, true);
  }
  if (dState0 != 0) {
    copyRows(dh, H, dState0, stateStride, B, H, 0);
    if (lstm) copyRows(dc, H, f32At(dState0, H), stateStride, B, H, 0);
  }
  const m = T * B;
  denseBackward(x, wih, dGates, dwih, dbih, dx, m, I, GH, accumulateDx, accumulateParams);
  denseBackward(hprev, whh, lstm ? dGates : dHh, dwhh, dbhh, 0, m, H, GH, false, accumulateParams);
}
