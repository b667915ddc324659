// One recurrent cell (LSTM or GRU) over wasm memory: its parameters and gradients in the flat layout, transposed
// weight copies for the forward pass, and per-row buffers for sequences of up to `capacity` rows (time-major,
// row = t * columns + b). The math is assembly/nn/recurrent.ts; this class keeps pointers and sizes.
import { wasm } from '../../init.js';
import type { MemoryEntry } from '../../policy/network.js';
import { allocBlock, freeBlock } from '../../wasm-memory.js';
import { BlockSet } from './blocks.js';

const CELL = { lstm: 0, gru: 1 } as const;

export class CpuCell {
  readonly cell: number;
  readonly size: number;
  readonly inputs: number;
  /** Gate rows G * size. */
  private readonly width: number;
  private readonly weightIh: number;
  private readonly weightHh: number;
  private readonly biasIh: number;
  private readonly biasHh: number;
  private readonly gradWeightIh: number;
  private readonly gradWeightHh: number;
  private readonly gradBiasIh: number;
  private readonly gradBiasHh: number;
  /** W_ih^T [inputs, G*size] then W_hh^T [size, G*size]. */
  private readonly transposed: number;
  /** Per-row saved values and gradients ([rows, ...]), and per-column scratch ([columns, size]). */
  readonly rows;
  private readonly columns;

  /** params and grads (grads may be 0 for inference only) are byte pointers to the flat layout. */
  constructor(readonly entry: MemoryEntry, params: number, grads: number) {
    this.cell = CELL[entry.cell];
    this.size = entry.size;
    this.inputs = entry.inputs;
    this.width = entry.gates * entry.size;
    this.weightIh = params + entry.weightIhOffset * 4;
    this.weightHh = params + entry.weightHhOffset * 4;
    this.biasIh = params + entry.biasIhOffset * 4;
    this.biasHh = params + entry.biasHhOffset * 4;
    this.gradWeightIh = grads + entry.weightIhOffset * 4;
    this.gradWeightHh = grads + entry.weightHhOffset * 4;
    this.gradBiasIh = grads + entry.biasIhOffset * 4;
    this.gradBiasHh = grads + entry.biasHhOffset * 4;
    this.transposed = allocBlock(this.width * (entry.inputs + entry.size) * 4);
    const gates = (r: number) => r * this.width * 4;
    const units = (r: number) => r * this.size * 4;
    const lstm = entry.cell === 'lstm';
    this.rows = new BlockSet({
      gates, hh: (r) => (lstm ? 0 : gates(r)), hprev: units, cprev: (r) => (lstm ? units(r) : 0), cellTanh: (r) => (lstm ? units(r) : 0),
      out: units, dOut: units, dGates: gates, dHh: (r) => (lstm ? 0 : gates(r)),
    }, 'rows');
    this.columns = new BlockSet({ dh: units, dc: units }, 'columns');
  }

  /** Makes room for `rows` rows of at most `columns` columns; allocates only when either grows. */
  reserve(rows: number, columns: number): void {
    this.rows.reserve(rows);
    this.columns.reserve(columns);
  }

  /** Re-reads the weights into the transposed copies; call after parameters change. */
  syncWeights(): void {
    const w = wasm();
    w.transposeMatrix(this.weightIh, this.transposed, this.width, this.inputs);
    w.transposeMatrix(this.weightHh, this.transposed + this.width * this.inputs * 4, this.width, this.size);
  }

  /**
   * T steps of B columns whose rows start at row `first` of the buffers: x points at the first input row,
   * resets at the first row's flag (u8), state0 / stateT (0: none; may be the same) at the first column's state
   * with `stride` floats between columns. Outputs land in `rows.ptr.out` from row `first`.
   */
  forward(T: number, B: number, first: number, x: number, resets: number, state0: number, stride: number, stateT: number): void {
    const p = this.rows.ptr;
    const H = this.size;
    const G = this.width;
    wasm().recurrentForward(
      this.cell, T, B, this.inputs, H, x, this.transposed, this.transposed + G * this.inputs * 4, this.biasIh, this.biasHh,
      state0, stride, resets, p.gates + first * G * 4, p.hh === 0 ? 0 : p.hh + first * G * 4, p.hprev + first * H * 4,
      p.cprev === 0 ? 0 : p.cprev + first * H * 4, p.cellTanh === 0 ? 0 : p.cellTanh + first * H * 4, p.out + first * H * 4,
      this.columns.ptr.dh, stateT,
    );
  }

  /**
   * Back through the T steps forwarded from row `first`, from `rows.ptr.dOut` (dL/dh_t). Parameter gradients
   * are overwritten, or added to when accumulateParams; dx (0: none) gets dL/dx (added when accumulateDx);
   * dState0 (0: none) dL/dstate0.
   */
  backward(T: number, B: number, first: number, x: number, resets: number, accumulateParams: boolean, dx: number, accumulateDx: boolean, dState0: number, stride: number): void {
    const p = this.rows.ptr;
    const H = this.size;
    const G = this.width;
    const at = (ptr: number, width: number) => (ptr === 0 ? 0 : ptr + first * width * 4);
    wasm().recurrentBackward(
      this.cell, T, B, this.inputs, H, x, this.weightIh, this.weightHh, resets,
      at(p.gates, G), at(p.hh, G), at(p.hprev, H), at(p.cprev, H), at(p.cellTanh, H),
      at(p.dOut, H), at(p.dGates, G), at(p.dHh, G), this.columns.ptr.dh, this.columns.ptr.dc,
      this.gradWeightIh, this.gradWeightHh, this.gradBiasIh, this.gradBiasHh, accumulateParams, dx, accumulateDx, dState0, stride,
    );
  }

  dispose(): void {
    this.rows.free();
    this.columns.free();
    freeBlock(this.transposed);
  }
}
