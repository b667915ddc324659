// The rollout buffer: numSteps x numEnvs rows of one update, stored in one wasm block so advantages, plans
// and staging run in wasm over the same memory the game writes into. Typed-array views are re-made only
// after wasm memory grows; adding a step validates first, then copies with TypedArray.set (no allocation).
import type { Batch } from '../backend/trainer.js';
import { checkBoolean, checkInteger, fail } from '../errors.js';
import { wasm } from '../init.js';
import { actionSize, isSpace, logitCount, type ActionSpace } from '../spaces.js';
import { allocBlock, freeBlock, ViewSet } from '../wasm-memory.js';
import { checkAdvantageParameters, checkRatios } from './advantages.js';

export interface RolloutBufferOptions {
  numSteps: number;
  numEnvs: number;
  /** Floats per observation row. */
  observationSize: number;
  actionSpace: ActionSpace;
  /** Store action masks (categorical spaces): rows x logits, 1 = allowed. */
  masks?: boolean;
}

/** What the agent knows when it acts: one row per env. */
export interface ActingStep {
  observations: Float32Array;
  actions: Int32Array | Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
  masks?: Uint8Array;
}

/** What the game reports after the actions: one entry per env. */
export interface OutcomeStep {
  rewards: Float32Array;
  /** 0/1 flags (Uint8Array only). */
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** Value of the final observation of truncated envs; absent = 0 (a truncation then bootstraps like a termination). */
  bootstrapValues?: Float32Array;
}

export type RolloutStep = ActingStep & OutcomeStep;

export interface BufferAdvantageOptions {
  /** numEnvs values of the observation after the last step. */
  lastValues: Float32Array;
  gamma: number;
  gaeLambda: number;
  rhoClip?: number;
  cClip?: number;
  /** Per-row V-trace ratios; absent = 1. Returns are always computed with ratio 1. */
  ratios?: Float32Array;
}

/** Byte layout of the one block: each section 16-byte aligned for v128 access. */
interface Layout {
  observations: number; actions: number; logProbs: number; values: number; rewards: number;
  bootstrapValues: number; advantages: number; returns: number; ratios: number; priorities: number;
  lastValues: number; terminated: number; truncated: number; masks: number; bytes: number;
}

function layout(rows: number, numEnvs: number, observationSize: number, perAction: number, logits: number): Layout {
  let at = 0;
  const take = (bytes: number) => { const offset = at; at += Math.ceil(bytes / 16) * 16; return offset; };
  const l = {
    observations: take(rows * observationSize * 4), actions: take(rows * perAction * 4),
    logProbs: take(rows * 4), values: take(rows * 4), rewards: take(rows * 4), bootstrapValues: take(rows * 4),
    advantages: take(rows * 4), returns: take(rows * 4), ratios: take(rows * 4), priorities: take(rows * 4),
    lastValues: take(numEnvs * 4), terminated: take(rows), truncated: take(rows), masks: take(rows * logits),
  };
  return { ...l, bytes: at };
}

export class RolloutBuffer {
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionSpace: ActionSpace;
  readonly hasMasks: boolean;
  /** Entries per action row and mask entries (logits) per row. */
  readonly actionSize: number;
  readonly maskSize: number;

  private ptr: number;
  private readonly layout: Layout;
  private readonly nvec: readonly number[];
  private readonly rows: number;
  private cursor = 0;
  private acted = false;
  private readonly views: ViewSet;
  private v!: {
    observations: Float32Array; actions: Int32Array | Float32Array; logProbs: Float32Array; values: Float32Array;
    rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array; bootstrapValues: Float32Array;
    masks: Uint8Array | undefined; advantages: Float32Array; returns: Float32Array; ratios: Float32Array;
    priorities: Float32Array; lastValues: Float32Array;
  };

  private constructor(options: RolloutBufferOptions, masks: boolean) {
    this.numSteps = options.numSteps;
    this.numEnvs = options.numEnvs;
    this.observationSize = options.observationSize;
    this.actionSpace = options.actionSpace;
    this.hasMasks = masks;
    this.actionSize = actionSize(this.actionSpace);
    this.maskSize = masks ? logitCount(this.actionSpace) : 0;
    this.nvec = this.actionSpace.kind === 'discrete' ? [this.actionSpace.n] : this.actionSpace.kind === 'multi_discrete' ? this.actionSpace.nvec : [];
    this.rows = this.numSteps * this.numEnvs;
    this.layout = layout(this.rows, this.numEnvs, this.observationSize, this.actionSize, this.maskSize);
    this.ptr = allocBlock(this.layout.bytes);
    this.views = new ViewSet((buffer) => this.build(buffer));
    this.views.refresh();
  }

  /** A buffer for numSteps x numEnvs rows; needs `await init()` first. */
  static create(options: RolloutBufferOptions): RolloutBuffer {
    if (typeof options !== 'object' || options === null) fail('RolloutBuffer.create(options)', 'an object', options);
    checkInteger('numSteps', options.numSteps, 1);
    checkInteger('numEnvs', options.numEnvs, 1);
    checkInteger('observationSize', options.observationSize, 1);
    if (!isSpace(options.actionSpace)) fail('actionSpace', 'a space (Discrete, MultiDiscrete or Box)', options.actionSpace);
    const masks = options.masks === undefined ? false : checkBoolean('masks', options.masks);
    if (masks && options.actionSpace.kind === 'box') fail('masks', 'false for a Box action space', masks);
    const rows = options.numSteps * options.numEnvs;
    if (rows * Math.max(options.observationSize, actionSize(options.actionSpace), 1) * 4 > 2 ** 31) {
      fail('numSteps x numEnvs', 'a buffer under 2 GiB', rows);
    }
    wasm();
    return new RolloutBuffer(options, masks);
  }

  private build(buffer: ArrayBuffer): void {
    const l = this.layout, p = this.ptr, rows = this.rows;
    const f32 = (offset: number, length: number) => new Float32Array(buffer, p + offset, length);
    const u8 = (offset: number, length: number) => new Uint8Array(buffer, p + offset, length);
    this.v = {
      observations: f32(l.observations, rows * this.observationSize),
      actions: this.actionSpace.kind === 'box' ? f32(l.actions, rows * this.actionSize) : new Int32Array(buffer, p + l.actions, rows * this.actionSize),
      logProbs: f32(l.logProbs, rows), values: f32(l.values, rows), rewards: f32(l.rewards, rows),
      terminated: u8(l.terminated, rows), truncated: u8(l.truncated, rows), bootstrapValues: f32(l.bootstrapValues, rows),
      masks: this.hasMasks ? u8(l.masks, rows * this.maskSize) : undefined,
      advantages: f32(l.advantages, rows), returns: f32(l.returns, rows), ratios: f32(l.ratios, rows),
      priorities: f32(l.priorities, rows), lastValues: f32(l.lastValues, this.numEnvs),
    };
  }

  private live() {
    if (this.ptr === 0) throw new Error('RolloutBuffer: used after dispose()');
    this.views.refresh();
    return this.v;
  }

  get observations(): Float32Array { return this.live().observations; }
  get actions(): Int32Array | Float32Array { return this.live().actions; }
  get logProbs(): Float32Array { return this.live().logProbs; }
  get values(): Float32Array { return this.live().values; }
  get rewards(): Float32Array { return this.live().rewards; }
  get terminated(): Uint8Array { return this.live().terminated; }
  get truncated(): Uint8Array { return this.live().truncated; }
  get bootstrapValues(): Float32Array { return this.live().bootstrapValues; }
  get masks(): Uint8Array | undefined { return this.live().masks; }
  get advantages(): Float32Array { return this.live().advantages; }
  get returns(): Float32Array { return this.live().returns; }
  get lastValues(): Float32Array { return this.live().lastValues; }
  /** Complete steps stored (both halves in). */
  get step(): number { return this.cursor; }
  get full(): boolean { return this.cursor === this.numSteps; }

  /** One whole time step for all envs. */
  add(step: RolloutStep): void {
    this.checkActing(step);
    this.checkOutcome(step, true);
    this.writeActing(step);
    this.writeOutcome(step);
  }

  /** The first half of a step: what the agent saw and did. */
  addActing(step: ActingStep): void {
    this.checkActing(step);
    this.writeActing(step);
  }

  /** The second half: what the game answered; the step then counts. */
  addOutcome(step: OutcomeStep): void {
    this.checkOutcome(step, false);
    this.writeOutcome(step);
  }

  /** Empties the buffer for the next rollout (contents are overwritten as steps come in). */
  reset(): void {
    this.live();
    this.cursor = 0;
    this.acted = false;
  }

  dispose(): void {
    freeBlock(this.ptr);
    this.ptr = 0;
  }

  /**
   * Fills advantages and returns over the full buffer in wasm: GAE with V-trace clipping when ratios are
   * given; returns = A + V with ratio 1 (DESIGN.md).
   */
  computeAdvantages(options: BufferAdvantageOptions): void {
    const v = this.live();
    if (typeof options !== 'object' || options === null) fail('computeAdvantages(options)', 'an object', options);
    if (!this.full) fail('buffer.step', `${this.numSteps} (a full buffer)`, this.cursor);
    const p = checkAdvantageParameters(options);
    this.checkFloats('lastValues', options.lastValues, 1, false);
    const ratios = options.ratios === undefined ? undefined : checkRatios('ratios', options.ratios, this.rows);
    v.lastValues.set(options.lastValues);
    const l = this.layout, b = this.ptr;
    const run = (ratiosPtr: number, returnsPtr: number) => wasm().gaeVtrace(
      this.numSteps, this.numEnvs, b + l.rewards, b + l.values, b + l.terminated, b + l.truncated, b + l.bootstrapValues,
      b + l.lastValues, ratiosPtr, p.gamma, p.gaeLambda, p.rhoClip, p.cClip, b + l.advantages, returnsPtr);
    run(0, b + l.returns);
    if (ratios) {
      v.ratios.set(ratios);
      run(b + l.ratios, 0);
    }
  }

  /** Priorities for prioritized plans: |A| per row, or sum_t |A| per env segment (a view, valid until the next call). */
  priorities(unit: 'rows' | 'segments'): Float32Array {
    const v = this.live();
    const at = this.ptr + this.layout.priorities;
    if (unit === 'rows') {
      wasm().rowPriorities(this.ptr + this.layout.advantages, this.rows, at);
      return v.priorities;
    }
    if (unit !== 'segments') fail('unit', "'rows' or 'segments'", unit);
    wasm().segmentPriorities(this.ptr + this.layout.advantages, this.numSteps, this.numEnvs, at);
    return v.priorities.subarray(0, this.numEnvs);
  }

  /** The stored rollout as the trainer's Batch: views over wasm memory, no copies. */
  batch(): Batch {
    const v = this.live();
    const batch: Batch = {
      numSteps: this.numSteps, numEnvs: this.numEnvs, observations: v.observations, actions: v.actions,
      logProbs: v.logProbs, values: v.values, advantages: v.advantages, returns: v.returns, rewards: v.rewards,
      terminated: v.terminated, truncated: v.truncated, bootstrapValues: v.bootstrapValues, lastValues: v.lastValues,
    };
    if (v.masks) batch.masks = v.masks;
    return batch;
  }

  /** Wasm addresses of the stored arrays, for wasm-side consumers (gather, the CPU trainer). */
  pointers(): Readonly<Record<Exclude<keyof Layout, 'bytes'>, number>> {
    this.live();
    const { bytes: _, ...offsets } = this.layout;
    const base = this.ptr;
    return Object.fromEntries(Object.entries(offsets).map(([k, o]) => [k, base + o])) as Record<Exclude<keyof Layout, 'bytes'>, number>;
  }

  // ---- validation (before any write) and writes ----

  private where(field: string, env: number, k: number, perEnv: number): string {
    return `${field}[env ${env}${perEnv > 1 ? `, ${k}` : ''}] at step ${this.cursor}`;
  }

  private checkLength(field: string, value: unknown, type: { name: string; prototype: unknown }, length: number, note = ''): void {
    if (!(value instanceof (type as unknown as Function))) fail(field, `a ${type.name} of length ${length}${note}`, value);
    const actual = (value as ArrayLike<number>).length;
    if (actual !== length) fail(`${field}.length`, String(length), actual);
  }

  private checkFloats(field: string, value: unknown, perEnv: number, atStep = true): void {
    this.checkLength(field, value, Float32Array, this.numEnvs * perEnv);
    const array = value as Float32Array;
    for (let i = 0; i < array.length; i++) {
      if (!Number.isFinite(array[i])) {
        const e = Math.floor(i / perEnv);
        fail(atStep ? this.where(field, e, i % perEnv, perEnv) : `${field}[env ${e}]`, 'a finite number', array[i]);
      }
    }
  }

  private checkFlags(field: string, value: unknown): void {
    this.checkLength(field, value, Uint8Array, this.numEnvs, ' of 0/1 flags (boolean arrays are not accepted)');
    const array = value as Uint8Array;
    for (let e = 0; e < array.length; e++) if (array[e] > 1) fail(this.where(field, e, 0, 1), '0 or 1', array[e]);
  }

  private checkActing(step: ActingStep): void {
    this.live();
    if (typeof step !== 'object' || step === null) fail('step', 'an object', step);
    if (this.acted) fail('addActing', `addOutcome for step ${this.cursor} first`, 'a second addActing');
    if (this.full) fail('addActing', `a buffer with room (step < ${this.numSteps}); call reset() after the update`, `step ${this.cursor}`);
    const N = this.numEnvs;
    this.checkFloats('observations', step.observations, this.observationSize);
    this.checkFloats('logProbs', step.logProbs, 1);
    this.checkFloats('values', step.values, 1);
    if (this.actionSpace.kind === 'box') {
      this.checkFloats('actions', step.actions, this.actionSize);
    } else {
      this.checkLength('actions', step.actions, Int32Array, N * this.actionSize);
      const actions = step.actions as Int32Array;
      const branches = this.actionSize;
      for (let i = 0; i < actions.length; i++) {
        const n = this.nvec[i % branches];
        if (actions[i] < 0 || actions[i] >= n) fail(this.where('actions', Math.floor(i / branches), i % branches, branches), `an integer in [0, ${n - 1}]`, actions[i]);
      }
    }
    if (!this.hasMasks) {
      if (step.masks !== undefined) fail('masks', 'undefined (the buffer was created without masks)', step.masks);
      return;
    }
    this.checkLength('masks', step.masks, Uint8Array, N * this.maskSize);
    const masks = step.masks as Uint8Array;
    const actions = step.actions as Int32Array;
    for (let e = 0; e < N; e++) {
      let base = e * this.maskSize;
      for (let b = 0; b < this.nvec.length; b++) {
        let allowed = 0;
        for (let k = 0; k < this.nvec[b]; k++) allowed += masks[base + k] ? 1 : 0;
        if (allowed === 0) fail(this.where('masks', e, b, this.nvec.length), 'at least one allowed action per branch', 'all masked');
        const a = actions[e * this.actionSize + b];
        if (!masks[base + a]) fail(this.where('actions', e, b, this.actionSize), 'an action the mask allows', a);
        base += this.nvec[b];
      }
    }
  }

  private checkOutcome(step: OutcomeStep, withActing: boolean): void {
    this.live();
    if (typeof step !== 'object' || step === null) fail('step', 'an object', step);
    if (!withActing && !this.acted) fail('addOutcome', `addActing for step ${this.cursor} first`, 'no actions for this step');
    this.checkFloats('rewards', step.rewards, 1);
    this.checkFlags('terminated', step.terminated);
    this.checkFlags('truncated', step.truncated);
    if (step.bootstrapValues !== undefined) this.checkFloats('bootstrapValues', step.bootstrapValues, 1);
  }

  private writeActing(step: ActingStep): void {
    const v = this.v, N = this.numEnvs, row = this.cursor * N;
    v.observations.set(step.observations, row * this.observationSize);
    v.actions.set(step.actions, row * this.actionSize);
    v.logProbs.set(step.logProbs, row);
    v.values.set(step.values, row);
    if (v.masks && step.masks) v.masks.set(step.masks, row * this.maskSize);
    this.acted = true;
  }

  private writeOutcome(step: OutcomeStep): void {
    const v = this.v, N = this.numEnvs, row = this.cursor * N;
    v.rewards.set(step.rewards, row);
    v.terminated.set(step.terminated, row);
    v.truncated.set(step.truncated, row);
    if (step.bootstrapValues) v.bootstrapValues.set(step.bootstrapValues, row);
    else v.bootstrapValues.fill(0, row, row + N);
    this.acted = false;
    this.cursor++;
  }
}
