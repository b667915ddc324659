// The policy head over wasm memory: categorical (Discrete, MultiDiscrete; masks) or Gaussian (Box; 'normal'
// or 'tanh_normal'). Holds the constants the wasm kernels need (branch sizes, squash bounds) in wasm blocks.
import { wasm } from '../../init.js';
import { actorOutputSize, type NetworkLayout, type PolicySpec } from '../../policy/network.js';
import { actionSize } from '../../spaces.js';
import { allocBlock, freeBlock, memoryBuffer } from '../../wasm-memory.js';

export class CpuHead {
  readonly categorical: boolean;
  readonly squash: boolean;
  /** Actor outputs per row: logits or means. */
  readonly outputs: number;
  /** Action entries per row: branches or dims. */
  readonly actionSize: number;
  /** sum_d log scale_d of the tanh squash (0 otherwise). */
  readonly logScaleSum: number;
  private readonly nvec: number;
  /** loc [dims] then scale [dims] of the squash. */
  private readonly bounds: number;
  private readonly logStdOffset: number;

  constructor(policy: PolicySpec, layout: NetworkLayout) {
    const space = policy.actionSpace;
    this.categorical = space.kind !== 'box';
    this.squash = space.kind === 'box' && policy.network.distribution === 'tanh_normal';
    this.outputs = actorOutputSize(space);
    this.actionSize = actionSize(space);
    this.logStdOffset = layout.logStdOffset;
    this.nvec = allocBlock(this.actionSize * 4);
    this.bounds = allocBlock(this.actionSize * 8);
    let logScaleSum = 0;
    if (space.kind === 'box') {
      const bounds = new Float32Array(memoryBuffer(), this.bounds, 2 * space.size);
      for (let d = 0; d < space.size; d++) {
        bounds[d] = (space.high[d] + space.low[d]) / 2;
        bounds[space.size + d] = (space.high[d] - space.low[d]) / 2;
        logScaleSum += Math.log(bounds[space.size + d]);
      }
    } else {
      new Int32Array(memoryBuffer(), this.nvec, this.actionSize).set(space.kind === 'discrete' ? [space.n] : space.nvec);
    }
    this.logScaleSum = this.squash ? logScaleSum : 0;
  }

  /** Log-probs and entropies of the taken actions (rows of m). probs [m, outputs] is categorical scratch. */
  forward(m: number, params: number, actorOut: number, masks: number, actions: number, noise: number, samples: number, probs: number, logp: number, entropy: number): void {
    const w = wasm();
    if (this.categorical) {
      w.categoricalForward(m, actorOut, this.outputs, masks, actions, this.nvec, this.actionSize, probs, logp, entropy);
    } else {
      w.gaussianForward(m, this.outputs, actorOut, params + this.logStdOffset * 4, actions, this.squash, this.logScaleSum, noise, samples, logp, entropy);
    }
  }

  /** Head gradients from dL/dlogp and dL/dH: into dActorOut [m, outputs], and log_std's into grads. */
  backward(m: number, params: number, grads: number, actorOut: number, masks: number, actions: number, noise: number, samples: number, probs: number, gLogp: number, gEntropy: number, dActorOut: number): void {
    const w = wasm();
    if (this.categorical) {
      w.categoricalBackward(m, probs, this.outputs, masks, actions, this.nvec, this.actionSize, gLogp, gEntropy, dActorOut);
    } else {
      w.gaussianBackward(m, this.outputs, actorOut, params + this.logStdOffset * 4, actions, this.squash, noise, samples, gLogp, gEntropy, dActorOut, grads + this.logStdOffset * 4);
    }
  }

  /** Categorical: per row and branch, 1 when the branch's most likely allowed action is the row's, into out [m, branches]. */
  modeAccuracy(m: number, actorOut: number, masks: number, actions: number, out: number): void {
    wasm().categoricalModeAccuracy(m, actorOut, this.outputs, masks, actions, this.nvec, this.actionSize, out);
  }

  /** Picks actions for m rows (stored form: index or u) and their log-probs; squashed gets loc + scale tanh(u). */
  act(m: number, params: number, actorOut: number, masks: number, deterministic: boolean, rng: number, actions: number, squashed: number, logp: number): void {
    const w = wasm();
    if (this.categorical) {
      w.categoricalAct(m, actorOut, this.outputs, masks, this.nvec, this.actionSize, deterministic, rng, actions, logp);
    } else {
      w.gaussianAct(m, this.outputs, actorOut, params + this.logStdOffset * 4, this.squash, this.bounds, this.bounds + this.actionSize * 4, this.logScaleSum, deterministic, rng, actions, squashed, logp);
    }
  }

  dispose(): void {
    freeBlock(this.nvec);
    freeBlock(this.bounds);
  }
}
