// Records a recurrent cell's dispatches (recurrent.wgsl) in a minibatch of whole segments: the input
// projection and the gradients are matrix products over all rows (either variant); the passes through time are
// one dispatch each, a workgroup per sequence.
import type { MemoryEntry } from '../../policy/network.js';
import type { Kernel, KernelName } from './kernels.js';
import type { Binding, Recorder } from './recorder.js';
import { recordColumnSum, recordMatmul } from './variants.js';
import type { KernelVariant } from './gpu-types.js';

const BIAS = 1; // matmul_common.wgsl flags
/** WebGPU's guaranteed workgroups per dispatch dimension. */
const MAX_GROUPS = 65535;

/** Floats per minibatch row of a cell's saved values (recurrent.wgsl's `rec`). */
export function cellRecordFloats(entry: MemoryEntry): number {
  return 8 * entry.size;
}

/** Floats per minibatch row of a cell's gradients (`grad`): dL/dh, then the gates' input and hidden sides. */
export function cellGradientFloats(entry: MemoryEntry): number {
  return entry.size + 2 * entry.gates * entry.size;
}

/** Floats of a cell's gradient buffer for m rows in `columns` sequences (the per-column carries follow). */
export function cellGradientBufferFloats(entry: MemoryEntry, m: number, columns: number): number {
  return m * cellGradientFloats(entry) + columns * 2 * entry.size;
}

/** Where the cell's output h_t lies in its record: what the heads read. */
export function cellOutput(entry: MemoryEntry, buffer: Binding): { buffer: Binding; offset: number; stride: number } {
  return { buffer, offset: 7 * entry.size, stride: cellRecordFloats(entry) };
}

/** How a minibatch's m rows (m / numSteps whole segments) are cut into sequences. */
export interface Sequencing {
  m: number;
  base: number;
  numSteps: number;
  numEnvs: number;
  sequenceLength: number;
  /** The whole recurrent state's floats per agent (all cells). */
  stateSize: number;
}

/** Sequences of a minibatch: its segments times the sequences of each. */
export function columnCount(seq: Sequencing): number {
  return (seq.m / seq.numSteps) * Math.ceil(seq.numSteps / seq.sequenceLength);
}

/** Workgroups of a pass through time: one per column, past 65535 continued in y (the shader folds them back). */
function columnGroups(seq: Sequencing): [number, number] {
  const columns = columnCount(seq);
  const x = Math.min(columns, MAX_GROUPS);
  return [x, Math.ceil(columns / x)];
}

function uniforms(entry: MemoryEntry, seq: Sequencing): number[] {
  return [
    entry.cell === 'lstm' ? 0 : 1, entry.size, seq.numSteps, seq.sequenceLength,
    Math.ceil(seq.numSteps / seq.sequenceLength), columnCount(seq), seq.base, seq.numEnvs,
    seq.stateSize, entry.stateOffset, entry.weightHhOffset, entry.biasHhOffset,
    seq.m,
  ];
}

interface Input { buffer: Binding; offset: number; stride: number }

/** Buffers a cell's dispatches bind. */
export interface CellBuffers {
  params: Binding;
  plan: Binding;
  data: Binding;
  states: Binding;
  /** The cell's per-row record (cellRecordFloats per row). */
  record: Binding;
  /** The cell's gradients (cellGradientBufferFloats). */
  gradient: Binding;
}

/** Forward: gates = x W_ih^T + b_ih over all rows, then every sequence through time. */
export function recordCellForward(
  rec: Recorder, k: Record<KernelName, Kernel>, variant: KernelVariant, entry: MemoryEntry, seq: Sequencing, x: Input, b: CellBuffers,
): void {
  const GH = entry.gates * entry.size;
  const I = entry.inputs;
  recordMatmul(rec, k, variant, [seq.m, GH, I, BIAS, x.offset, x.stride, 1, 0, entry.weightIhOffset, 1, I, 0, 0, cellRecordFloats(entry), entry.biasIhOffset, 0],
    { 1: x.buffer, 2: b.params, 3: b.record, 4: b.params, 5: b.params });
  rec.dispatch(k.recurrent_forward, uniforms(entry, seq), { 1: b.params, 2: b.plan, 3: b.data, 4: b.states, 5: b.record }, ...columnGroups(seq));
}

/**
 * Backward from dL/dh (the heads' input gradients, in the gradient record): back through time, then the
 * parameter gradients (overwritten) and, when `below` is given, dL/dx into its buffer (overwritten, times the
 * derivative `flags` of the layer below, whose output is `below.act`).
 */
export function recordCellBackward(
  rec: Recorder, k: Record<KernelName, Kernel>, variant: KernelVariant, entry: MemoryEntry, seq: Sequencing, x: Input, b: CellBuffers,
  sums: { grads: Binding; scalars: Binding; partials: Binding },
  below?: { dx: Binding; act: Binding; flags: number },
): void {
  const H = entry.size;
  const GH = entry.gates * H;
  const I = entry.inputs;
  const stride = cellGradientFloats(entry);
  const inputSide = H;
  const hiddenSide = entry.cell === 'lstm' ? H : H + GH; // an LSTM's two sides are the same pre-activations
  const hprev = (entry.cell === 'lstm' ? 4 : 6) * H;
  rec.dispatch(k.recurrent_backward, uniforms(entry, seq), { 1: b.params, 2: b.plan, 3: b.data, 5: b.record, 6: b.gradient }, ...columnGroups(seq));
  // dW_ih = dGates^T X, db_ih = column sums of dGates; dW_hh = dGatesHh^T H_prev, db_hh likewise.
  recordMatmul(rec, k, variant, [GH, I, seq.m, 0, inputSide, 1, stride, 0, x.offset, x.stride, 1, 0, entry.weightIhOffset, I, 0, 0],
    { 1: b.gradient, 2: x.buffer, 3: sums.grads, 4: b.params, 5: b.params });
  recordColumnSum(rec, k, variant, seq.m, GH, { buffer: b.gradient, offset: inputSide, stride }, sums.grads, entry.biasIhOffset, sums.scalars, sums.partials);
  recordMatmul(rec, k, variant, [GH, H, seq.m, 0, hiddenSide, 1, stride, 0, hprev, cellRecordFloats(entry), 1, 0, entry.weightHhOffset, H, 0, 0],
    { 1: b.gradient, 2: b.record, 3: sums.grads, 4: b.params, 5: b.params });
  recordColumnSum(rec, k, variant, seq.m, GH, { buffer: b.gradient, offset: hiddenSide, stride }, sums.grads, entry.biasHhOffset, sums.scalars, sums.partials);
  if (below) {
    recordMatmul(rec, k, variant, [seq.m, I, GH, below.flags, inputSide, stride, 1, 0, entry.weightIhOffset, I, 1, 0, 0, I, 0, 0],
      { 1: b.gradient, 2: b.params, 3: below.dx, 4: b.params, 5: below.act });
  }
}
