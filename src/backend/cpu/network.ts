// The actor-critic MLP over wasm memory: parameters (and gradients) in the flat layout of networkLayout(),
// per-layer activations and their gradients for up to `capacity` rows. TypeScript walks the layers; each
// layer's math is one wasm call (assembly/nn/dense.ts).
import { wasm } from '../../init.js';
import type { NetworkLayout, LayerEntry } from '../../policy/network.js';
import { allocBlock, allocBlocks, checkBlocks, freeBlock } from '../../wasm-memory.js';

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
  private readonly transposedBlock: number;
  private capacity = 0;

  /** params and grads (grads may be 0 for inference only) are byte pointers to blocks of layout.size f32. */
  constructor(readonly layout: NetworkLayout, activation: 'tanh' | 'relu', params: number, grads: number) {
    const transposedSize = layout.layers.reduce((s, l) => s + l.inputs * l.outputs, 0);
    this.transposedBlock = allocBlock(transposedSize * 4);
    let transposed = this.transposedBlock;
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
    this.capacity = rows;
  }

  /** Re-reads the weights into the transposed copies the forward pass uses; call after parameters change. */
  syncWeights(): void {
    const w = wasm();
    for (const layer of this.all) w.transposeMatrix(layer.weight, layer.transposed, layer.entry.outputs, layer.entry.inputs);
  }

  /** Forward pass of `rows` observations at x (byte pointer); the critic only when asked. */
  forward(x: number, rows: number, withCritic = true): void {
    const input = this.runStack(this.trunk, x, rows);
    this.runStack(this.actor, input, rows);
    if (withCritic) this.runStack(this.critic, input, rows);
  }

  /**
   * Backward pass from the head gradients (actorGrad, criticGrad) into the gradient block. With
   * `separateLosses` a shared trunk gets only the actor head's gradient.
   */
  backward(x: number, rows: number, separateLosses: boolean): void {
    if (this.trunk.length === 0) {
      this.backStack(this.actor, x, 0, rows, false);
      this.backStack(this.critic, x, 0, rows, false);
      return;
    }
    const top = this.trunk[this.trunk.length - 1];
    this.backStack(this.actor, top.out, top.dOut, rows, false);
    this.backStack(this.critic, top.out, separateLosses ? 0 : top.dOut, rows, true);
    wasm().activationBackward(top.out, top.dOut, rows * top.entry.outputs, top.activation);
    this.backStack(this.trunk, x, 0, rows, false);
  }

  dispose(): void {
    for (const layer of this.all) {
      freeBlock(layer.out);
      freeBlock(layer.dOut);
      layer.out = layer.dOut = 0;
    }
    freeBlock(this.transposedBlock);
    this.capacity = 0;
  }

  private runStack(layers: Layer[], x: number, rows: number): number {
    const w = wasm();
    let input = x;
    for (const layer of layers) {
      w.denseForward(input, layer.weight, layer.transposed, layer.bias, layer.out, rows, layer.entry.inputs, layer.entry.outputs, layer.activation);
      input = layer.out;
    }
    return input;
  }

  /** From the last layer's dOut down; the stack's input gradient goes to dInput (added when accumulate). */
  private backStack(layers: Layer[], x: number, dInput: number, rows: number, accumulate: boolean): void {
    const w = wasm();
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l];
      const below = l > 0 ? layers[l - 1] : undefined;
      w.denseBackward(
        below ? below.out : x, layer.weight, layer.dOut, layer.gradWeight, layer.gradBias, below ? below.dOut : dInput,
        rows, layer.entry.inputs, layer.entry.outputs, below ? false : accumulate,
      );
      if (below) w.activationBackward(below.out, below.dOut, rows * below.entry.outputs, below.activation);
    }
  }
}
