// The oracle's recurrent cells: PyTorch's nn.LSTM / nn.GRU equations in TF.js (float32, differentiable),
// unrolled over a time-major sequence. Written apart from the backends; checked against the float64 cells of
// recurrent64.ts, values and finite-difference gradients (recurrent.test.ts).
//
// Sequences (the trainer contract): the T steps of B columns are cut into sequences of L steps starting at
// t = 0, L, 2L, ...; each starts from a given state (no gradient flows across a sequence start unless the
// caller's initial state is itself a differentiable tensor), and within a sequence the state carried out of a
// step whose episode ended (resets[t, e] = 1) is zero, so no gradient crosses an episode boundary either.
import * as tf from '@tensorflow/tfjs';
import type { MemoryEntry } from '../../src/policy/network.js';

/** Passes values, blocks gradients. */
const stopGradient = tf.customGrad((...inputs) => ({
  value: (inputs[0] as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * Outputs h_t [T * B, H] of the cell `entry` (its parameters read from the flat vector) over x [T * B, inputs].
 * initial(s) is the state [B, stateSize] (h, then c for an LSTM) at the start of sequence s, or 'carry': the
 * state the unroll reached there (zero after an episode end; from zero at t = 0), with its gradient stopped
 * (truncated backpropagation through one unbroken stream).
 */
export function oracleCellSequence(
  entry: MemoryEntry, flat: tf.Tensor1D, x: tf.Tensor2D, T: number, B: number,
  initial: (s: number) => tf.Tensor2D | 'carry', resets: ArrayLike<number>, sequenceLength: number,
): tf.Tensor2D {
  const H = entry.size;
  const G = entry.gates;
  const wih = flat.slice(entry.weightIhOffset, G * H * entry.inputs).reshape([G * H, entry.inputs]) as tf.Tensor2D;
  const whh = flat.slice(entry.weightHhOffset, G * H * H).reshape([G * H, H]) as tf.Tensor2D;
  const bih = flat.slice(entry.biasIhOffset, G * H);
  const bhh = flat.slice(entry.biasHhOffset, G * H);
  const gx = tf.add(tf.matMul(x, wih, false, true), bih) as tf.Tensor2D;
  const gate = (a: tf.Tensor2D, g: number) => a.slice([0, g * H], [B, H]);
  const lstm = entry.cell === 'lstm';
  let h: tf.Tensor2D = tf.zeros([B, H]);
  let c: tf.Tensor2D = tf.zeros([B, H]);
  const outputs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    const state = t % sequenceLength === 0 ? initial(t / sequenceLength) : undefined;
    if (state !== undefined && state !== 'carry') {
      h = state.slice([0, 0], [B, H]);
      if (lstm) c = state.slice([0, H], [B, H]);
    } else if (t > 0) {
      const keep = tf.tensor2d(Array.from({ length: B }, (_, e) => (resets[(t - 1) * B + e] ? 0 : 1)), [B, 1]);
      h = tf.mul(h, keep);
      c = tf.mul(c, keep);
      if (state === 'carry') {
        h = stopGradient(h) as tf.Tensor2D;
        c = stopGradient(c) as tf.Tensor2D;
      }
    }
    const xt = gx.slice([t * B, 0], [B, G * H]);
    const ht = tf.add(tf.matMul(h, whh, false, true), bhh) as tf.Tensor2D;
    if (lstm) {
      const a = tf.add(xt, ht) as tf.Tensor2D;
      const i = tf.sigmoid(gate(a, 0));
      const f = tf.sigmoid(gate(a, 1));
      const g = tf.tanh(gate(a, 2));
      const o = tf.sigmoid(gate(a, 3));
      c = tf.add(tf.mul(f, c), tf.mul(i, g));
      h = tf.mul(o, tf.tanh(c));
    } else {
      const r = tf.sigmoid(tf.add(gate(xt, 0), gate(ht, 0)));
      const z = tf.sigmoid(tf.add(gate(xt, 1), gate(ht, 1)));
      const n = tf.tanh(tf.add(gate(xt, 2), tf.mul(r, gate(ht, 2))));
      h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
    }
    outputs.push(h);
  }
  return tf.concat(outputs, 0);
}
