// Staging for upload: the minibatches of a plan packed from a RolloutBuffer, each minibatch one contiguous
// block (assembly/gather.ts has the format), blocks 256-byte aligned so each can be bound at its offset.
import type { MinibatchPlan } from '../backend/trainer.js';
import { checkArray, checkInteger, checkOneOf, fail } from '../errors.js';
import { wasm } from '../init.js';
import { allocBlock, checkBlocks, freeBlock, memoryBuffer } from '../wasm-memory.js';
import type { RolloutBuffer } from './rollout-buffer.js';

/**
 * Byte offsets of each section inside one minibatch block.
 * @property observations rows x observationSize f32.
 * @property actions rows x actionSize (i32 or f32).
 * @property logProbs rows f32: log-probs under the acting policy.
 * @property values rows f32: values predicted when acting.
 * @property advantages rows f32.
 * @property returns rows f32.
 * @property weights rows f32: importance weights (1 without a prioritized plan).
 */
export interface StagingLayout {
  /** Rows in the minibatch (units x numSteps for segment plans). */
  rows: number;
  observations: number; actions: number; logProbs: number; values: number; advantages: number;
  returns: number; weights: number;
  /** u8 per logit, zero-padded to 4 bytes; absent (= bytes) without masks. */
  masks: number;
  /** Size of the block, and the distance between minibatch blocks (256-aligned). */
  bytes: number;
  /** Distance in bytes between the blocks of consecutive minibatches (256-aligned). */
  stride: number;
}

/** The byte layout of one minibatch block of `rows` rows, as {@link MinibatchStager} packs it. */
export function stagingLayout(rows: number, observationSize: number, actionSize: number, maskSize: number): StagingLayout {
  const f = rows * 4;
  const observations = 0, actions = observations + f * observationSize, logProbs = actions + f * actionSize;
  const values = logProbs + f, advantages = values + f, returns = advantages + f, weights = returns + f, masks = weights + f;
  const bytes = masks + Math.ceil((rows * maskSize) / 4) * 4;
  return { rows, observations, actions, logProbs, values, advantages, returns, weights, masks, bytes, stride: Math.ceil(bytes / 256) * 256 };
}

/** Packs plans into one reusable wasm staging block. */
export class MinibatchStager {
  private block = 0;
  private capacity = 0;

  /**
   * Every minibatch of `plan` from `buffer` (numEpochs x numMinibatches blocks, `layout.stride` apart).
   * The returned bytes view stays valid until the next stage() or wasm memory growth.
   * @property bytes Every minibatch block, a view over wasm memory.
   * @property layout Where each section sits in a block.
   */
  stage(buffer: RolloutBuffer, plan: MinibatchPlan): { bytes: Uint8Array; layout: StagingLayout } {
    const unit = checkOneOf('plan.unit', plan?.unit, ['rows', 'segments'] as const);
    const epochs = checkInteger('plan.numEpochs', plan.numEpochs, 1);
    const minibatches = checkInteger('plan.numMinibatches', plan.numMinibatches, 1);
    const units = checkInteger('plan.unitsPerMinibatch', plan.unitsPerMinibatch, 1);
    const count = unit === 'rows' ? buffer.numSteps * buffer.numEnvs : buffer.numEnvs;
    const indices = checkArray('plan.indices', plan.indices, Int32Array, epochs * minibatches * units);
    for (let i = 0; i < indices.length; i++) if (indices[i] < 0 || indices[i] >= count) fail(`plan.indices[${i}]`, `an index in [0, ${count - 1}]`, indices[i]);
    if (plan.weights !== undefined) checkArray('plan.weights', plan.weights, Float32Array, indices.length);
    const rowsPerUnit = unit === 'rows' ? 1 : buffer.numSteps;
    const layout = stagingLayout(units * rowsPerUnit, buffer.observationSize, buffer.actionSize, buffer.maskSize);
    const planBytes = indices.length * 8;
    this.reserve(layout.stride * epochs * minibatches + planBytes);
    // The plan's indices and weights ride at the end of the staging block.
    const planAt = this.block + layout.stride * epochs * minibatches;
    const heap = memoryBuffer();
    new Int32Array(heap, planAt, indices.length).set(indices);
    if (plan.weights) new Float32Array(heap, planAt + indices.length * 4, indices.length).set(plan.weights);
    const p = buffer.pointers();
    const w = wasm();
    for (let k = 0; k < epochs * minibatches; k++) {
      w.gatherMinibatch(planAt + k * units * 4, units, rowsPerUnit, buffer.numEnvs, p.observations, buffer.observationSize,
        p.actions, buffer.actionSize, p.logProbs, p.values, p.advantages, p.returns,
        plan.weights ? planAt + (indices.length + k * units) * 4 : 0, p.masks, buffer.maskSize, this.block + k * layout.stride);
    }
    return { bytes: new Uint8Array(memoryBuffer(), this.block, layout.stride * epochs * minibatches), layout };
  }

  /** Frees the staging block. */
  dispose(): void {
    freeBlock(this.block);
    this.block = 0;
    this.capacity = 0;
  }

  private reserve(bytes: number): void {
    if (bytes <= this.capacity) return;
    checkBlocks('plan', [bytes], `${bytes} bytes of staging`, this.capacity); // before the old block goes
    freeBlock(this.block);
    this.block = 0;
    this.block = allocBlock(bytes, true, 'plan');
    this.capacity = bytes;
  }
}
