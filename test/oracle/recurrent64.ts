// Recurrent cells in plain float64 JS, written from PyTorch's published nn.LSTM / nn.GRU equations and sharing
// no code with the TF.js oracle or the backends, so that the oracle's cells can be checked against it (values,
// and gradients by central finite differences):
//   LSTM: i = s(W_ii x + b_ii + W_hi h + b_hi), f = s(W_if x + b_if + W_hf h + b_hf),
//         g = tanh(W_ig x + b_ig + W_hg h + b_hg), o = s(W_io x + b_io + W_ho h + b_ho),
//         c' = f c + i g, h' = o tanh(c')
//   GRU:  r = s(W_ir x + b_ir + W_hr h + b_hr), z = s(W_iz x + b_iz + W_hz h + b_hz),
//         n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h
// Weights are [gates * H, in] row-major with the gates stacked in that order (i, f, g, o / r, z, n).

/** One cell's parameters, in PyTorch's shapes (flattened row-major). */
export interface Cell64 {
  cell: 'lstm' | 'gru';
  inputs: number;
  size: number;
  weightIh: ArrayLike<number>;
  weightHh: ArrayLike<number>;
  biasIh: ArrayLike<number>;
  biasHh: ArrayLike<number>;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Runs T steps of B columns. x [T, B, inputs] time-major; state0 [B, stateSize] (h, then c for an LSTM);
 * resets [T, B]: 1 zeroes the state carried out of that step (its episode ended). Returns the outputs h_t
 * [T, B, H] and the state after the last step (zeroed where that step reset).
 */
export function cellSequence64(p: Cell64, T: number, B: number, x: ArrayLike<number>, state0: ArrayLike<number>, resets: ArrayLike<number>): { outputs: Float64Array; state: Float64Array } {
  const H = p.size;
  const I = p.inputs;
  const lstm = p.cell === 'lstm';
  const S = lstm ? 2 * H : H;
  const state = Float64Array.from(state0);
  const outputs = new Float64Array(T * B * H);
  const affine = (w: ArrayLike<number>, b: ArrayLike<number>, row: number, v: ArrayLike<number>, at: number, n: number) => {
    let s = b[row];
    for (let k = 0; k < n; k++) s += w[row * n + k] * v[at + k];
    return s;
  };
  for (let t = 0; t < T; t++) {
    for (let e = 0; e < B; e++) {
      const xi = (t * B + e) * I;
      const h = state.slice(e * S, e * S + H);
      const next = new Float64Array(S);
      for (let u = 0; u < H; u++) {
        const gx = (g: number) => affine(p.weightIh, p.biasIh, g * H + u, x, xi, I);
        const gh = (g: number) => affine(p.weightHh, p.biasHh, g * H + u, h, 0, H);
        if (lstm) {
          const c = state[e * S + H + u];
          const i = sigmoid(gx(0) + gh(0));
          const f = sigmoid(gx(1) + gh(1));
          const g = Math.tanh(gx(2) + gh(2));
          const o = sigmoid(gx(3) + gh(3));
          const c2 = f * c + i * g;
          next[u] = o * Math.tanh(c2);
          next[H + u] = c2;
        } else {
          const r = sigmoid(gx(0) + gh(0));
          const z = sigmoid(gx(1) + gh(1));
          const n = Math.tanh(gx(2) + r * gh(2));
          next[u] = (1 - z) * n + z * h[u];
        }
      }
      for (let u = 0; u < H; u++) outputs[(t * B + e) * H + u] = next[u];
      for (let k = 0; k < S; k++) state[e * S + k] = resets[t * B + e] ? 0 : next[k];
    }
  }
  return { outputs, state };
}
