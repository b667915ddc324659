// Seeded orthogonal initialization (CleanRL's layer_init): weights orthogonal with the layer's gain,
// biases 0, log_std 0. Deterministic for a seed, in every runtime.
import { PCG32 } from '../rng.js';
import type { NetworkLayout } from './network.js';

/**
 * Seeded orthogonal initialization (CleanRL's layer_init, like `torch.nn.init.orthogonal_`): weights with
 * gain sqrt(2) for hidden layers, 0.01 for the policy head and 1 for the value head; biases and `log_std` 0.
 * Recurrent cells as PyTorch's nn.LSTM / nn.GRU: every weight and bias uniform in [-1/sqrt(size), 1/sqrt(size)].
 * The same seed gives the same parameters in every runtime.
 */
export function initialParameters(layout: NetworkLayout, seed: number): Float32Array {
  const flat = new Float32Array(layout.size);
  const rng = new PCG32(seed, 0x1417);
  for (const layer of layout.layers) {
    flat.set(orthogonal(layer.outputs, layer.inputs, layer.gain, rng), layer.weightOffset);
  }
  // Recurrent cells draw from their own stream, so adding memory leaves the dense layers' values unchanged.
  const memoryRng = new PCG32(seed, 0x1418);
  for (const cell of layout.memories) {
    const bound = 1 / Math.sqrt(cell.size);
    const rows = cell.gates * cell.size;
    const ranges = [[cell.weightIhOffset, rows * cell.inputs], [cell.weightHhOffset, rows * cell.size], [cell.biasIhOffset, rows], [cell.biasHhOffset, rows]];
    for (const [offset, count] of ranges) {
      for (let i = 0; i < count; i++) flat[offset + i] = (2 * memoryRng.nextFloat() - 1) * bound;
    }
  }
  return flat;
}

/**
 * A rows x cols matrix (row-major) with orthonormal rows or columns, whichever are fewer, times gain: the
 * QR of a Gaussian matrix with R's diagonal made positive, as torch.nn.init.orthogonal_ does.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: PCG32): Float32Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols; // long side
  const n = tall ? cols : rows; // short side: orthonormalize n vectors of length m
  const vectors: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = rng.nextNormal();
    vectors.push(v);
  }
  // Modified Gram-Schmidt, twice for accuracy; the diagonal of R comes out positive.
  for (let j = 0; j < n; j++) {
    const v = vectors[j];
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const q = vectors[k];
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = gain * (tall ? vectors[c][r] : vectors[r][c]);
    }
  }
  return out;
}
