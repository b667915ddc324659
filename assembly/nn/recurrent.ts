// Recurrent cells over time-major sequences: PyTorch's nn.LSTM (gates i, f, g, o) and nn.GRU (gates r, z, n;
// n = tanh(W_in x + b_in + r (W_hn h + b_hn))), B columns of T steps, rows row = t * B + b.
// The input projection x W_ih^T + b_ih is one gemm over all T * B rows; each step adds h W_hh^T (a B-row
// gemm) and applies the gates. Sigmoids are 0.5 + 0.5 tanh(a / 2), so every gate goes through the SIMD
// tanh of dense.ts. A step whose episode ended (resets[row] = 1) carries a zero state into the next step, so
// neither the state nor its gradient crosses an episode boundary. The backward pass goes back through the T
// steps (truncated BPTT: the sequence's initial state is where it stops; its gradient is returned), then
// forms the parameter and input gradients with two dense backward passes over all rows.
import { denseBackward, gemm, tanhInPlace } from './dense';

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

function lstmStep(B: i32, H: i32, hp: usize, cp: usize, whhT: usize, bhh: usize, g: usize, cellTanh: usize, out: usize, c: usize): void {
  const GH = 4 * H;
  gemm(hp, whhT, 0, g, B, H, GH, true);
  // Pre-activations + b_hh, halved for the sigmoid gates (i, f, o): sigmoid(a) = 0.5 + 0.5 tanh(a / 2).
  for (let b = 0; b < B; b++) {
    const rowPtr = f32At(g, b * GH);
    for (let j = 0; j < GH; j++) {
      const a = load<f32>(f32At(rowPtr, j)) + load<f32>(f32At(bhh, j));
      store<f32>(f32At(rowPtr, j), j >= 2 * H && j < 3 * H ? a : 0.5 * a);
    }
  }
  tanhInPlace(g, B * GH);
  for (let b = 0; b < B; b++) {
    const rowPtr = f32At(g, b * GH);
    for (let u = 0; u < H; u++) {
      const i: f32 = 0.5 + 0.5 * load<f32>(f32At(rowPtr, u));
      const f: f32 = 0.5 + 0.5 * load<f32>(f32At(rowPtr, H + u));
      const gg = load<f32>(f32At(rowPtr, 2 * H + u));
      const o: f32 = 0.5 + 0.5 * load<f32>(f32At(rowPtr, 3 * H + u));
      store<f32>(f32At(rowPtr, u), i);
      store<f32>(f32At(rowPtr, H + u), f);
      store<f32>(f32At(rowPtr, 3 * H + u), o);
      const k = b * H + u;
      const cNew = f * load<f32>(f32At(cp, k)) + i * gg;
      store<f32>(f32At(c, k), cNew);
      store<f32>(f32At(cellTanh, k), cNew);
    }
  }
  tanhInPlace(cellTanh, B * H);
  for (let b = 0; b < B; b++) {
    for (let u = 0; u < H; u++) {
      const k = b * H + u;
      store<f32>(f32At(out, k), load<f32>(f32At(g, b * GH + 3 * H + u)) * load<f32>(f32At(cellTanh, k)));
    }
  }
}

function gruStep(B: i32, H: i32, hp: usize, whhT: usize, bhh: usize, g: usize, hh: usize, out: usize): void {
  const GH = 3 * H;
  gemm(hp, whhT, bhh, hh, B, H, GH, false);
  for (let b = 0; b < B; b++) {
    const gRow = f32At(g, b * GH);
    const hRow = f32At(hh, b * GH);
    for (let j = 0; j < 2 * H; j++) store<f32>(f32At(gRow, j), 0.5 * (load<f32>(f32At(gRow, j)) + load<f32>(f32At(hRow, j))));
    tanhInPlace(gRow, 2 * H);
    for (let j = 0; j < 2 * H; j++) store<f32>(f32At(gRow, j), 0.5 + 0.5 * load<f32>(f32At(gRow, j)));
    for (let u = 0; u < H; u++) {
      const n = f32At(gRow, 2 * H + u);
      store<f32>(n, load<f32>(n) + load<f32>(f32At(gRow, u)) * load<f32>(f32At(hRow, 2 * H + u)));
    }
    tanhInPlace(f32At(gRow, 2 * H), H);
    for (let u = 0; u < H; u++) {
      const z = load<f32>(f32At(gRow, H + u));
      const n = load<f32>(f32At(gRow, 2 * H + u));
      store<f32>(f32At(out, b * H + u), (1 - z) * n + z * load<f32>(f32At(hp, b * H + u)));
    }
  }
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
