// The rollout buffer: numSteps x numEnvs rows of one update, stored in one wasm block so advantages, plans
// and staging run in wasm over the same memory the game writes into. Typed-array views are re-made only
// after wasm memory grows. Adding a step copies it into a one-step staging area, checks it there in wasm
// (SIMD, no per-element JavaScript loop) and only then copies it into its rows: a rejected step changes
// nothing, and nothing is allocated.
import type { Batch } from '../backend/trainer.js';
import { checkBoolean, checkInteger, checkKeys, fail, failState } from '../errors.js';
import { wasm } from '../init.js';
import { actionSize, logitCount, type ActionSpace, validateSpace } from '../spaces.js';
import { allocBlock, freeBlock, memoryBuffer, ViewSet } from '../wasm-memory.js';
import { checkAdvantageParameters } from './advantages.js';

/** Options of `RolloutBuffer.create`. */
export interface RolloutBufferOptions {
  /** Time steps the buffer holds (T). */
  numSteps: number;
  /** Envs (agents) per time step (N). */
  numEnvs: number;
  /** Floats per observation row. */
  observationSize: number;
  /** The action space (decides the action type and width per row). */
  actionSpace: ActionSpace;
  /** Store action masks (categorical spaces): rows x logits, 1 = allowed. */
  masks?: boolean;
}

/** What the agent knows when it acts: one row per env. */
export interface ActingStep {
  /** numEnvs x observationSize observations the agent acted on. */
  observations: Float32Array;
  /** Int32Array for Discrete / MultiDiscrete (rows x branches), Float32Array for Box. */
  actions: Int32Array | Float32Array;
  /** Log-probability of each action under the acting policy. */
  logProbs: Float32Array;
  /** Value the critic predicted for each observation. */
  values: Float32Array;
  /** rows x logits, 1 = allowed; for a buffer created with masks, absent = every action allowed. */
  masks?: Uint8Array;
}

/** What the game reports after the actions: one entry per env. */
export interface OutcomeStep {
  /** Reward of each env. */
  rewards: Float32Array;
  /** 0/1 flags (Uint8Array only). */
  terminated: Uint8Array;
  /** 0/1 flags (Uint8Array only): the episode was cut short. */
  truncated: Uint8Array;
  /** Value of the final observation of truncated envs; absent = 0 (a truncation then bootstraps like a termination). */
  bootstrapValues?: Float32Array;
}

/** One whole time step: what the agent saw and did, and what the game answered. */
export type RolloutStep = ActingStep & OutcomeStep;

/** Options of `RolloutBuffer.computeAdvantages`. */
export interface BufferAdvantageOptions {
  /** numEnvs values of the observation after the last step. */
  lastValues: Float32Array;
  /** Discount factor, in [0, 1]. */
  gamma: number;
  /** GAE lambda, in [0, 1]. */
  gaeLambda: number;
  /**
   * V-trace clip of the ratio weighting each TD error.
   * @default 1
   */
  rhoClip?: number;
  /**
   * V-trace clip of the ratio carrying the trace back in time.
   * @default 1
   */
  cClip?: number;
  /** Per-row V-trace ratios; absent = 1. Returns are always computed with ratio 1. */
  ratios?: Float32Array;
}

/** The per-row fields, as byte offsets (each section 16-byte aligned for v128 access). */
interface Table {
  observations: number; actions: number; logProbs: number; values: number; rewards: number;
  bootstrapValues: number; terminated: number; truncated: number; masks: number;
}

interface Views {
  observations: Float32Array; actions: Int32Array | Float32Array; logProbs: Float32Array; values: Float32Array;
  rewards: Float32Array; bootstrapValues: Float32Array; terminated: Uint8Array; truncated: Uint8Array; masks: Uint8Array;
}

export type BufferPointers = Readonly<Table & { advantages: number; returns: number; ratios: number; priorities: number; lastValues: number }>;

/** Where each section of a buffer lies (byte offsets, 16-byte aligned) and its size, computed in f64. */
function bufferLayout(rows: number, numEnvs: number, observationSize: number, actionSize: number, maskSize: number, branches: number) {
  let at = 0;
  const take = (bytes: number) => { const offset = at; at += Math.ceil(bytes / 16) * 16; return offset; };
  const table = (n: number): Table => ({
    observations: take(n * observationSize * 4), actions: take(n * actionSize * 4),
    logProbs: take(n * 4), values: take(n * 4), rewards: take(n * 4), bootstrapValues: take(n * 4),
    terminated: take(n), truncated: take(n), masks: take(n * maskSize),
  });
  const rowTable = table(rows);
  const stage = table(numEnvs);
  const extra = {
    advantages: take(rows * 4), returns: take(rows * 4), ratios: take(rows * 4), priorities: take(rows * 4),
    lastValues: take(numEnvs * 4), nvec: take(branches * 4),
  };
  return { rows: rowTable, stage, extra, bytes: at };
}

/** Bytes of wasm memory one RolloutBuffer with these options holds (options already validated). */
export function rolloutBufferBytes(options: RolloutBufferOptions): number {
  const space = options.actionSpace;
  const branches = space.kind === 'discrete' ? 1 : space.kind === 'multi_discrete' ? space.nvec.length : 0;
  return bufferLayout(options.numSteps * options.numEnvs, options.numEnvs, options.observationSize, actionSize(space), options.masks ? logitCount(space) : 0, branches).bytes;
}

/**
 * The rollout storage of one update: numSteps x numEnvs rows in one wasm block, time-major. Adding a step
 * checks it in wasm first (a rejected step changes nothing) and allocates nothing; the getters are views over
 * wasm memory (valid until the next memory growth: read them again rather than keeping them). Create it with
 * `RolloutBuffer.create` after `await init()`, and `dispose()` it.
 */
export class RolloutBuffer {
  /** Time steps the buffer holds (T). */
  readonly numSteps: number;
  /** Envs per time step (N). */
  readonly numEnvs: number;
  /** Floats per observation row. */
  readonly observationSize: number;
  /** The action space. */
  readonly actionSpace: ActionSpace;
  /** Whether the buffer stores action masks. */
  readonly hasMasks: boolean;
  /** Entries per action row, and mask entries (logits) per row (0 without masks). */
  readonly actionSize: number;
  /** Mask entries (logits) per row; 0 without masks. */
  readonly maskSize: number;

  private ptr: number;
  private readonly bytes: number;
  private readonly rowCount: number;
  private readonly nvec: readonly number[];
  /** Offsets: the rows, the one-step staging area, and the rest. */
  private readonly rowTable: Table;
  private readonly stageTable: Table;
  private readonly extra: { advantages: number; returns: number; ratios: number; priorities: number; lastValues: number; nvec: number };
  private cursor = 0;
  private acted = false;
  private readonly views: ViewSet;
  private rowsView!: Views;
  private stageView!: Views;
  private extraView!: { advantages: Float32Array; returns: Float32Array; ratios: Float32Array; priorities: Float32Array; lastValues: Float32Array };

  private constructor(options: RolloutBufferOptions, masks: boolean) {
    this.numSteps = options.numSteps;
    this.numEnvs = options.numEnvs;
    this.observationSize = options.observationSize;
    this.actionSpace = options.actionSpace;
    this.hasMasks = masks;
    this.actionSize = actionSize(this.actionSpace);
    this.maskSize = masks ? logitCount(this.actionSpace) : 0;
    const space = this.actionSpace;
    this.nvec = space.kind === 'discrete' ? [space.n] : space.kind === 'multi_discrete' ? space.nvec : [];
    this.rowCount = this.numSteps * this.numEnvs;
    const layout = bufferLayout(this.rowCount, this.numEnvs, this.observationSize, this.actionSize, this.maskSize, this.nvec.length);
    this.rowTable = layout.rows;
    this.stageTable = layout.stage;
    this.extra = layout.extra;
    this.bytes = layout.bytes;
    this.ptr = allocBlock(this.bytes, true, 'numSteps x numEnvs');
    this.views = new ViewSet((buffer) => this.build(buffer));
    this.views.refresh();
    new Int32Array(memoryBuffer(), this.ptr + this.extra.nvec, this.nvec.length).set(this.nvec);
  }

  /** A buffer for numSteps x numEnvs rows; needs `await init()` first. */
  static create(options: RolloutBufferOptions): RolloutBuffer {
    checkKeys('RolloutBuffer.create(options)', options, ['numSteps', 'numEnvs', 'observationSize', 'actionSpace', 'masks']);
    checkInteger('numSteps', options.numSteps, 1);
    checkInteger('numEnvs', options.numEnvs, 1);
    checkInteger('observationSize', options.observationSize, 1);
    validateSpace('actionSpace', options.actionSpace);
    const masks = options.masks === undefined ? false : checkBoolean('masks', options.masks);
    if (masks && options.actionSpace.kind === 'box') fail('masks', 'false for a Box action space', masks);
    wasm();
    return new RolloutBuffer(options, masks);
  }

  private build(memory: ArrayBuffer): void {
    const p = this.ptr;
    const f32 = (offset: number, length: number) => new Float32Array(memory, p + offset, length);
    const u8 = (offset: number, length: number) => new Uint8Array(memory, p + offset, length);
    const views = (t: Table, rows: number): Views => ({
      observations: f32(t.observations, rows * this.observationSize),
      actions: this.actionSpace.kind === 'box' ? f32(t.actions, rows * this.actionSize) : new Int32Array(memory, p + t.actions, rows * this.actionSize),
      logProbs: f32(t.logProbs, rows), values: f32(t.values, rows), rewards: f32(t.rewards, rows),
      bootstrapValues: f32(t.bootstrapValues, rows), terminated: u8(t.terminated, rows), truncated: u8(t.truncated, rows),
      masks: u8(t.masks, rows * this.maskSize),
    });
    this.rowsView = views(this.rowTable, this.rowCount);
    this.stageView = views(this.stageTable, this.numEnvs);
    const x = this.extra, rows = this.rowCount;
    this.extraView = {
      advantages: f32(x.advantages, rows), returns: f32(x.returns, rows), ratios: f32(x.ratios, rows),
      priorities: f32(x.priorities, rows), lastValues: f32(x.lastValues, this.numEnvs),
    };
  }

  private live(): void {
    if (this.ptr === 0) failState('RolloutBuffer', 'a live buffer', 'used after dispose()');
    this.views.refresh();
  }

  /** rows x observationSize observations (a view over wasm memory). */
  get observations(): Float32Array { this.live(); return this.rowsView.observations; }
  /** rows x actionSize actions: Int32Array for categorical spaces, Float32Array for boxes (a view). */
  get actions(): Int32Array | Float32Array { this.live(); return this.rowsView.actions; }
  /** Log-probability of each row's action (a view). */
  get logProbs(): Float32Array { this.live(); return this.rowsView.logProbs; }
  /** Value predicted for each row (a view). */
  get values(): Float32Array { this.live(); return this.rowsView.values; }
  /** Reward of each row (a view). */
  get rewards(): Float32Array { this.live(); return this.rowsView.rewards; }
  /** 0/1 per row: terminated (a view). */
  get terminated(): Uint8Array { this.live(); return this.rowsView.terminated; }
  /** 0/1 per row: truncated (a view). */
  get truncated(): Uint8Array { this.live(); return this.rowsView.truncated; }
  /** Value of the final observation of each truncated row, else 0 (a view). */
  get bootstrapValues(): Float32Array { this.live(); return this.rowsView.bootstrapValues; }
  /** rows x maskSize action masks, or undefined for a buffer without masks (a view). */
  get masks(): Uint8Array | undefined { this.live(); return this.hasMasks ? this.rowsView.masks : undefined; }
  /** Advantages written by `computeAdvantages` (a view). */
  get advantages(): Float32Array { this.live(); return this.extraView.advantages; }
  /** Returns (advantages + values, ratio 1) written by `computeAdvantages` (a view). */
  get returns(): Float32Array { this.live(); return this.extraView.returns; }
  /** numEnvs values of the observation after the last step, as given to `computeAdvantages` (a view). */
  get lastValues(): Float32Array { this.live(); return this.extraView.lastValues; }
  /** Complete steps stored (both halves in). */
  get step(): number { return this.cursor; }
  /** Whether all numSteps steps are stored. */
  get full(): boolean { return this.cursor === this.numSteps; }

  /** One whole time step for all envs. */
  add(step: RolloutStep): void {
    this.checkActing(step);
    this.checkOutcome(step, true);
    this.writeActing();
    this.writeOutcome(step.bootstrapValues !== undefined);
  }

  /** The first half of a step: what the agent saw and did. */
  addActing(step: ActingStep): void {
    this.checkActing(step);
    this.writeActing();
  }

  /** Forgets a first half that will get no answer (the game failed): the next addActing fills the same step. */
  discardActing(): void {
    this.live();
    this.acted = false;
  }

  /** The second half: what the game answered; the step then counts. */
  addOutcome(step: OutcomeStep): void {
    this.checkOutcome(step, false);
    this.writeOutcome(step.bootstrapValues !== undefined);
  }

  /**
   * Marks the first `steps` time steps as stored, for a buffer filled directly through its views (the agent
   * writes whole trajectory stretches column by column, checked when they were acted and observed).
   */
  markFilled(steps: number): void {
    this.live();
    checkInteger('steps', steps, 0, this.numSteps);
    this.cursor = steps;
    this.acted = false;
  }

  /** Empties the buffer for the next rollout (rows are overwritten as steps come in). */
  reset(): void {
    this.live();
    this.cursor = 0;
    this.acted = false;
  }

  /** Frees the wasm block; the buffer cannot be used afterwards. */
  dispose(): void {
    freeBlock(this.ptr);
    this.ptr = 0;
  }

  /**
   * Fills advantages and returns over the full buffer in wasm: GAE with V-trace clipping when ratios are
   * given; returns = A + V with ratio 1 (DESIGN.md).
   */
  computeAdvantages(options: BufferAdvantageOptions): void {
    this.live();
    if (typeof options !== 'object' || options === null) fail('computeAdvantages(options)', 'an object', options);
    if (!this.full) fail('buffer.step', `${this.numSteps} (a full buffer)`, this.cursor);
    const p = checkAdvantageParameters(options);
    const lastValues = options.lastValues;
    this.checkType('lastValues', lastValues, Float32Array, this.numEnvs);
    for (let e = 0; e < this.numEnvs; e++) if (!Number.isFinite(lastValues[e])) fail(`lastValues[env ${e}]`, 'a finite number', lastValues[e]);
    const w = wasm(), b = this.ptr, r = this.rowTable, x = this.extra;
    const ratios = options.ratios;
    if (ratios !== undefined) {
      // The ratios block is scratch (not part of the stored rollout), so it can hold them while they are checked.
      this.checkType('ratios', ratios, Float32Array, this.rowCount);
      this.extraView.ratios.set(ratios);
      const bad = w.firstNotPositive(b + x.ratios, this.rowCount);
      if (bad >= 0) fail(`ratios[${bad}]`, 'a finite ratio > 0', ratios[bad]);
    }
    this.extraView.lastValues.set(lastValues);
    const T = this.numSteps, N = this.numEnvs;
    // Returns always come from the ratio-1 pass (DESIGN.md); with ratios, a second pass rewrites the advantages.
    w.gaeVtrace(T, N, b + r.rewards, b + r.values, b + r.terminated, b + r.truncated, b + r.bootstrapValues, b + x.lastValues,
      0, p.gamma, p.gaeLambda, p.rhoClip, p.cClip, b + x.advantages, b + x.returns);
    if (ratios !== undefined) {
      w.gaeVtrace(T, N, b + r.rewards, b + r.values, b + r.terminated, b + r.truncated, b + r.bootstrapValues, b + x.lastValues,
        b + x.ratios, p.gamma, p.gaeLambda, p.rhoClip, p.cClip, b + x.advantages, 0);
    }
  }

  /** Priorities for prioritized plans: |A| per row, or sum_t |A| per env segment (a view, valid until the next call). */
  priorities(unit: 'rows' | 'segments'): Float32Array {
    this.live();
    const at = this.ptr + this.extra.priorities, advantages = this.ptr + this.extra.advantages;
    if (unit === 'rows') {
      wasm().rowPriorities(advantages, this.rowCount, at);
      return this.extraView.priorities;
    }
    if (unit !== 'segments') fail('unit', "'rows' or 'segments'", unit);
    wasm().segmentPriorities(advantages, this.numSteps, this.numEnvs, at);
    return this.extraView.priorities.subarray(0, this.numEnvs);
  }

  /** The stored rollout as the trainer's Batch: views over wasm memory, no copies. */
  batch(): Batch {
    this.live();
    const v = this.rowsView, x = this.extraView;
    const batch: Batch = {
      numSteps: this.numSteps, numEnvs: this.numEnvs, observations: v.observations, actions: v.actions,
      logProbs: v.logProbs, values: v.values, advantages: x.advantages, returns: x.returns, rewards: v.rewards,
      terminated: v.terminated, truncated: v.truncated, bootstrapValues: v.bootstrapValues, lastValues: x.lastValues,
    };
    if (this.hasMasks) batch.masks = v.masks;
    return batch;
  }

  /** Wasm addresses of the stored arrays, for wasm-side consumers (staging, the CPU trainer). */
  pointers(): BufferPointers {
    this.live();
    const b = this.ptr, r = this.rowTable, x = this.extra;
    return {
      observations: b + r.observations, actions: b + r.actions, logProbs: b + r.logProbs, values: b + r.values,
      rewards: b + r.rewards, bootstrapValues: b + r.bootstrapValues, terminated: b + r.terminated, truncated: b + r.truncated,
      masks: b + r.masks, advantages: b + x.advantages, returns: b + x.returns, ratios: b + x.ratios,
      priorities: b + x.priorities, lastValues: b + x.lastValues,
    };
  }

  // ---- checks (type and length in JavaScript, values in wasm over the staging area), then writes ----

  private where(field: string, index: number, perEnv: number): string {
    const env = Math.floor(index / perEnv);
    return `${field}[env ${env}${perEnv > 1 ? `, ${index % perEnv}` : ''}] at step ${this.cursor}`;
  }

  private checkType(field: string, value: unknown, type: { readonly name: string; prototype: unknown }, length: number, note = ''): void {
    if (!(value instanceof (type as unknown as abstract new () => unknown))) fail(field, `a ${type.name} of length ${length}${note}`, value);
    const actual = (value as ArrayLike<number>).length;
    if (actual !== length) fail(`${field}.length`, String(length), actual);
  }

  /** Copies floats into the staging area and checks them there. */
  private stageFloats(field: string, value: Float32Array, into: Float32Array, offset: number, perEnv: number): void {
    this.checkType(field, value, Float32Array, this.numEnvs * perEnv);
    into.set(value);
    const bad = wasm().firstNonFinite(this.ptr + offset, into.length);
    if (bad >= 0) fail(this.where(field, bad, perEnv), 'a finite number', value[bad]);
  }

  private stageFlags(field: string, value: Uint8Array, into: Uint8Array, offset: number): void {
    this.checkType(field, value, Uint8Array, this.numEnvs, ' of 0/1 flags (boolean arrays are not accepted)');
    into.set(value);
    const bad = wasm().firstFlagAbove1(this.ptr + offset, this.numEnvs);
    if (bad >= 0) fail(this.where(field, bad, 1), '0 or 1', value[bad]);
  }

  private checkActing(step: ActingStep): void {
    this.live();
    if (typeof step !== 'object' || step === null) fail('step', 'an object', step);
    if (this.acted) fail('addActing', `addOutcome for step ${this.cursor} first`, 'a second addActing');
    if (this.full) fail('addActing', `a buffer with room (step < ${this.numSteps}); call reset() after the update`, `step ${this.cursor}`);
    const s = this.stageView, t = this.stageTable, N = this.numEnvs;
    this.stageFloats('observations', step.observations, s.observations, t.observations, this.observationSize);
    this.stageFloats('logProbs', step.logProbs, s.logProbs, t.logProbs, 1);
    this.stageFloats('values', step.values, s.values, t.values, 1);
    if (this.actionSpace.kind === 'box') {
      this.stageFloats('actions', step.actions as Float32Array, s.actions as Float32Array, t.actions, this.actionSize);
      if (step.masks !== undefined) fail('masks', 'undefined for a Box action space', step.masks);
      return;
    }
    this.checkType('actions', step.actions, Int32Array, N * this.actionSize);
    if (this.hasMasks) {
      // A step without masks allows every action (a game may mask only some steps).
      if (step.masks === undefined) s.masks.fill(1);
      else {
        this.checkType('masks', step.masks, Uint8Array, N * this.maskSize);
        s.masks.set(step.masks);
      }
    } else if (step.masks !== undefined) {
      fail('masks', 'undefined (the buffer was created without masks)', step.masks);
    }
    s.actions.set(step.actions);
    const branches = this.actionSize;
    const bad = wasm().firstBadAction(this.ptr + t.actions, N, branches, this.ptr + this.extra.nvec,
      this.hasMasks ? this.ptr + t.masks : 0, this.maskSize);
    if (bad >= 0) {
      const a = step.actions[bad], n = this.nvec[bad % branches];
      if (a < 0 || a >= n) fail(this.where('actions', bad, branches), `an integer in [0, ${n - 1}]`, a);
      fail(this.where('actions', bad, branches), 'an action the mask allows', a);
    }
    if (bad <= -2 - N * branches) {
      // A mask value other than 0/1 in this branch (found here, off the hot path): name its index.
      const entry = -2 - N * branches - bad, row = Math.floor(entry / branches);
      let from = 0;
      for (let b = 0; b < entry % branches; b++) from += this.nvec[b];
      for (let k = from; k < from + this.nvec[entry % branches]; k++) {
        const m = s.masks[row * this.maskSize + k];
        if (m > 1) fail(`masks[env ${row}, ${k}] at step ${this.cursor}`, '0 or 1', m);
      }
    }
    if (bad <= -2) fail(this.where('masks', -2 - bad, branches), 'at least one allowed action per branch', 'all masked');
  }

  private checkOutcome(step: OutcomeStep, withActing: boolean): void {
    this.live();
    if (typeof step !== 'object' || step === null) fail('step', 'an object', step);
    if (!withActing && !this.acted) fail('addOutcome', `addActing for step ${this.cursor} first`, 'no actions for this step');
    const s = this.stageView, t = this.stageTable;
    this.stageFloats('rewards', step.rewards, s.rewards, t.rewards, 1);
    this.stageFlags('terminated', step.terminated, s.terminated, t.terminated);
    this.stageFlags('truncated', step.truncated, s.truncated, t.truncated);
    if (step.bootstrapValues !== undefined) this.stageFloats('bootstrapValues', step.bootstrapValues, s.bootstrapValues, t.bootstrapValues, 1);
  }

  private writeActing(): void {
    const v = this.rowsView, s = this.stageView, row = this.cursor * this.numEnvs;
    v.observations.set(s.observations, row * this.observationSize);
    v.actions.set(s.actions, row * this.actionSize);
    v.logProbs.set(s.logProbs, row);
    v.values.set(s.values, row);
    if (this.hasMasks) v.masks.set(s.masks, row * this.maskSize);
    this.acted = true;
  }

  private writeOutcome(hasBootstrap: boolean): void {
    const v = this.rowsView, s = this.stageView, N = this.numEnvs, row = this.cursor * N;
    v.rewards.set(s.rewards, row);
    v.terminated.set(s.terminated, row);
    v.truncated.set(s.truncated, row);
    if (hasBootstrap) v.bootstrapValues.set(s.bootstrapValues, row);
    else v.bootstrapValues.fill(0, row, row + N);
    this.acted = false;
    this.cursor++;
  }
}
