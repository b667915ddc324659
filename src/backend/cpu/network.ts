// The actor-critic MLP over wasm memory: parameters (and gradients) in the flat layout of networkLayout(),
// per-layer activations and their gradients for up to `capacity` rows. TypeScript walks the layers; each
// layer's math is one wasm call (assembly/nn/dense.ts). A recurrent cell (memory.ts) sits after a stack's
// hidden layers; it needs the rows' sequence structure (setSequences) and runs over all rows at once.
import { wasm } from '../../init.js';
import type { NetworkLayout, LayerEntry } from '../../policy/network.js';
import { allocBlock, allocBlocks, checkBlocks, freeBlock } from '../../wasm-memory.js';
import { CpuCell } from './memory.js';

/**
 * How the rows of a recurrent pass are laid out: `steps` x `columns`, time-major, cut into sequences of
 * `length` steps; resets (u8 per row) and states ([sequences, columns, stateSize] f32) are byte pointers.
 */
export interface Sequences {
  steps: number;
  columns: number;
  length: number;
  resets: number;
  states: number;
  stateSize: number;
  /** One step of acting: each cell's state at `states` is replaced by the state it carries out of the step. */
  carry?: boolean;
}

const ACTIVATION = { none: 0, tanh: 1, relu: 2 } as const;

interface Layer {
  readonly entry: LayerEntry;
  readonly activation: number;
  /** Byte pointers: weight and bias in the parameters, in the gradients, and the transposed weight. */
  readonly weight: number;
  readonly bias: number;
  readonly gradWeight: number;
  readonly gradBias: number;
  readonly transposed: number;
  /** Output [capacity, outputs] and its gradient; reallocated when capacity grows. */
  out: number;
  dOut: number;
}

export class CpuNetwork {
  readonly trunk: Layer[] = [];
  readonly actor: Layer[] = [];
  readonly critic: Layer[] = [];
  private readonly all: Layer[] = [];
  /** The recurrent cell after each role's hidden layers (one shared trunk cell, or the actor's and critic's). */
  private readonly cells: Partial<Record<LayerEntry['role'], CpuCell>> = {};
  private sequences: Sequences | undefined;
  private readonly transposedBlock: number;
  private capacity = 0;
  /** Bytes of one observation row (every stack's first layer reads observations). */
  private readonly inputBytes: number;

  /** params and grads (grads may be 0 for inference only) are byte pointers to blocks of layout.size f32. */
  constructor(readonly layout: NetworkLayout, activation: 'tanh' | 'relu', params: number, grads: number) {
    const transposedSize = layout.layers.reduce((s, l) => s + l.inputs * l.outputs, 0);
    this.transposedBlock = allocBlock(transposedSize * 4);
    let transposed = this.transposedBlock;
    this.inputBytes = layout.layers[0].inputs * 4;
    for (const entry of layout.layers) {
      const layer: Layer = {
        entry,
        activation: entry.activated ? ACTIVATION[activation] : ACTIVATION.none,
        weight: params + entry.weightOffset * 4,
        bias: params + entry.biasOffset * 4,
        gradWeight: grads + entry.weightOffset * 4,
        gradBias: grads + entry.biasOffset * 4,
        transposed,
        out: 0,
        dOut: 0,
      };
      transposed += entry.inputs * entry.outputs * 4;
      this.all.push(layer);
      this[entry.role].push(layer);
    }
    for (const entry of layout.memories) this.cells[entry.role] = new CpuCell(entry, params, grads);
  }

  /** Whether the network has recurrent cells (its passes then need setSequences and run over all rows). */
  get recurrent(): boolean {
    return this.layout.memories.length > 0;
  }

  /** The sequence structure of the rows the next passes run over (recurrent networks). */
  setSequences(sequences: Sequences): void {
    this.sequences = sequences;
  }

  /** Output of the actor head [rows, actorOutputs] and of the critic head [rows, 1], and their gradients. */
  get actorOut(): number { return this.actor[this.actor.length - 1].out; }
  get actorGrad(): number { return this.actor[this.actor.length - 1].dOut; }
  get criticOut(): number { return this.critic[this.critic.length - 1].out; }
  get criticGrad(): number { return this.critic[this.critic.length - 1].dOut; }

  /** Makes room for `rows` rows; allocates only when rows exceed what was asked before. */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const bytes = this.all.flatMap((layer) => [rows * layer.entry.outputs * 4, rows * layer.entry.outputs * 4]);
    const held = this.all.reduce((sum, layer) => sum + 2 * Math.max(16, this.capacity * layer.entry.outputs * 4), 0);
    // Checked before the old blocks go: rows that cannot fit leave the network as it was.
    checkBlocks('rows', bytes, rows, this.capacity === 0 ? 0 : held);
    for (const layer of this.all) {
      freeBlock(layer.out);
      freeBlock(layer.dOut);
      layer.out = 0;
      layer.dOut = 0;
    }
    const ptrs = allocBlocks('rows', bytes);
    this.all.forEach((layer, i) => { layer.out = ptrs[2 * i]; layer.dOut = ptrs[2 * i + 1]; });
    for (const cell of Object.values(this.cells)) cell.reserve(rows, rows);
    this.capacity = rows;
  }

  /** Re-reads the weights into the transposed copies the forward pass uses; call after parameters change. */
  syncWeights(): void {
    const w = wasm();
    for (const layer of this.all) w.transposeMatrix(layer.weight, layer.transposed, layer.entry.outputs, layer.entry.inputs);
    for (const cell of Object.values(this.cells)) cell.syncWeights();
  }

  /** Forward pass of `rows` observations at x (byte pointer); the critic only when asked. */
  forward(x: number, rows: number, withCritic = true): void {
    this.forwardRows(x, 0, rows, withCritic);
  }

  /**
   * Forward pass of rows [start, start + count) of the observations at x into the same rows of every layer's
   * output; a row's result does not depend on how the rows are cut.
   */
  forwardRows(x: number, start: number, count: number, withCritic = true): void {
    const input = this.runStack(this.trunk, x + start * this.inputBytes, start, count, this.cells.trunk);
    this.runStack(this.actor, input, start, count, this.cells.actor);
    if (withCritic) this.runStack(this.critic, input, start, count, this.cells.critic);
  }

  /**
   * Backward pass from the head gradients (actorGrad, criticGrad) into the gradient block. With
   * `separateLosses` a shared trunk gets only the actor head's gradient.
   */
  backward(x: number, rows: number, separateLosses: boolean): void {
    this.backwardRows(x, 0, rows, separateLosses, false);
  }

  /**
   * Backward pass of rows [start, start + count) (after forwardRows of them): parameter gradients are
   * overwritten, or added to when `accumulate`. Passing a minibatch's rows in consecutive chunks, accumulating
   * after the first, gives the same gradient bits as one pass over all rows (assembly/nn/dense.ts).
   */
  backwardRows(x: number, start: number, count: number, separateLosses: boolean, accumulate: boolean): void {
    const input = x + start * this.inputBytes;
    if (this.trunk.length === 0) {
      this.backStack(this.actor, input, 0, start, count, false, accumulate, this.cells.actor);
      this.backStack(this.critic, input, 0, start, count, false, accumulate, this.cells.critic);
      return;
    }
    const top = this.trunk[this.trunk.length - 1];
    const at = start * top.entry.outputs * 4;
    const cell = this.cells.trunk;
    // The heads read the trunk's cell when it has one, else its last layer.
    const headInput = cell ? cell.rows.ptr.out : top.out + at;
    const headGrad = cell ? cell.rows.ptr.dOut : top.dOut + at;
    this.backStack(this.actor, headInput, headGrad, start, count, false, accumulate);
    this.backStack(this.critic, headInput, separateLosses ? 0 : headGrad, start, count, true, accumulate);
    if (cell) this.cellBackward(cell, top.out, top.dOut, accumulate);
    wasm().activationBackward(top.out + at, top.dOut + at, count * top.entry.outputs, top.activation);
    this.backStack(this.trunk, input, 0, start, count, false, accumulate);
  }

  dispose(): void {
    for (const layer of this.all) {
      freeBlock(layer.out);
      freeBlock(layer.dOut);
      layer.out = layer.dOut = 0;
    }
    for (const cell of Object.values(this.cells)) cell.dispose();
    freeBlock(this.transposedBlock);
    this.capacity = 0;
  }

  private checkSequences(start: number): Sequences {
    const seq = this.sequences;
    if (seq === undefined || start !== 0) throw new Error('webppo: a recurrent pass runs over all rows of its sequences (setSequences first)');
    return seq;
  }

  /** The cell over every sequence of the rows, from x (row 0); returns its output (row 0). */
  private cellForward(cell: CpuCell, x: number): number {
    const seq = this.checkSequences(0);
    const B = seq.columns;
    for (let s = 0, t0 = 0; t0 < seq.steps; s++, t0 += seq.length) {
      const T = Math.min(seq.length, seq.steps - t0);
      const state = seq.states + ((s * B) * seq.stateSize + cell.entry.stateOffset) * 4;
      cell.forward(T, B, t0 * B, x + t0 * B * cell.inputs * 4, seq.resets + t0 * B, state, seq.stateSize, seq.carry ? state : 0);
    }
    return cell.rows.ptr.out;
  }

  /**
   * Back through every sequence from the cell's dOut: its parameter gradients (added to when accumulate, and
   * after the first sequence), and dL/dx into dx (overwritten; 0: none).
   */
  private cellBackward(cell: CpuCell, x: number, dx: number, accumulate: boolean): void {
    const seq = this.checkSequences(0);
    const B = seq.columns;
    for (let s = 0, t0 = 0; t0 < seq.steps; s++, t0 += seq.length) {
      const T = Math.min(seq.length, seq.steps - t0);
      const rows = t0 * B * cell.inputs * 4;
      cell.backward(T, B, t0 * B, x + rows, seq.resets + t0 * B, accumulate || s > 0, dx === 0 ? 0 : dx + rows, false, 0, seq.stateSize);
    }
  }

  /**
   * Rows [start, start + rows) through the stack; x points at the first of them. Returns the last output. A
   * cell runs after the hidden layers (before the head, or last in a trunk).
   */
  private runStack(layers: Layer[], x: number, start: number, rows: number, cell?: CpuCell): number {
    const w = wasm();
    let input = x;
    const cut = cell ? cellPosition(layers) : -1;
    // A plain loop: this runs on every act(), where a callback would be an allocation per tick.
    for (let l = 0; l < layers.length; l++) {
      const layer = layers[l];
      if (l === cut) input = this.cellForward(cell!, input);
      const out = layer.out + start * layer.entry.outputs * 4;
      w.denseForward(input, layer.weight, layer.transposed, layer.bias, out, rows, layer.entry.inputs, layer.entry.outputs, layer.activation);
      input = out;
    }
    if (cut === layers.length) input = this.cellForward(cell!, input);
    return input;
  }

  /**
   * From the last layer's dOut down for rows [start, start + rows); x and dInput point at the first of them.
   * The stack's input gradient goes to dInput (added when addInput); parameter gradients are added to when
   * accumulateParams.
   */
  private backStack(layers: Layer[], x: number, dInput: number, start: number, rows: number, addInput: boolean, accumulateParams: boolean, cell?: CpuCell): void {
    const w = wasm();
    const cut = cell ? cellPosition(layers) : -1;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l];
      const below = l > 0 ? layers[l - 1] : undefined;
      const dOut = layer.dOut + start * layer.entry.outputs * 4;
      const belowAt = below ? start * below.entry.outputs * 4 : 0;
      if (l === cut) {
        // The head reads the cell; the cell reads the layer below (or the stack's input, whose gradient is dropped).
        w.denseBackward(cell!.rows.ptr.out, layer.weight, dOut, layer.gradWeight, layer.gradBias, cell!.rows.ptr.dOut,
          rows, layer.entry.inputs, layer.entry.outputs, false, accumulateParams);
        this.cellBackward(cell!, below ? below.out : x, below ? below.dOut : 0, accumulateParams);
        if (below) w.activationBackward(below.out, below.dOut, rows * below.entry.outputs, below.activation);
        continue;
      }
      w.denseBackward(
        below ? below.out + belowAt : x, layer.weight, dOut, layer.gradWeight, layer.gradBias, below ? below.dOut + belowAt : dInput,
        rows, layer.entry.inputs, layer.entry.outputs, below ? false : addInput, accumulateParams,
      );
      if (below) w.activationBackward(below.out + belowAt, below.dOut + belowAt, rows * below.entry.outputs, below.activation);
    }
  }
}

/** Where a stack's cell sits: before its first unactivated layer (the head), or after all layers (a trunk). */
function cellPosition(layers: Layer[]): number {
  let head = 0;
  while (head < layers.length && layers[head].entry.activated) head++; // no callback: acting calls this per tick
  return head;
}
