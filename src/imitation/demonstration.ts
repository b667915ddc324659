// Demonstrations: the steps of heuristic-driven slots (a script or a human playing), kept for behaviour
// cloning. Steps are stored in fixed-size chunks, so recording for hours is bounded by `maxSteps` (the oldest
// chunk is reused for the newest, or recording stops) and a record() call allocates nothing unless it starts a
// new chunk. save() writes safetensors (demonstration-file.ts).
import { checkInteger, checkObject, checkOneOf, checkOptions, fail } from '../errors.js';
import { actionSize, flatSize, logitCount, validateSpace, type ActionSpace, type Space } from '../spaces.js';
import { encodeDemonstration } from './demonstration-file.js';

/** What a recorder is built from. */
export interface DemonstrationRecorderOptions {
  /** The observation space of the recorded slots (their observations are flat, flatSize(space) floats). */
  observationSpace: Space;
  /** Their action space. */
  actionSpace: ActionSpace;
  /**
   * The most steps kept, rounded up to whole chunks.
   * @default 1_000_000
   */
  maxSteps?: number;
  /**
   * Steps per storage chunk (memory grows one chunk at a time).
   * @default 4096
   */
  chunkSteps?: number;
  /**
   * Once `maxSteps` are held: 'drop_oldest' reuses the oldest chunk for new steps; 'stop' records no more.
   * @default 'drop_oldest'
   */
  whenFull?: 'drop_oldest' | 'stop';
}

/**
 * Recorded steps, flat and row-major (step i's observation is `observations[i * observationSize ...]`). Steps of
 * one slot are in time order; `slots` says which slot (row of the record() call) each step came from.
 */
export interface Demonstration {
  /** The recorded slots' observation space. */
  observationSpace: Space;
  /** Their action space. */
  actionSpace: ActionSpace;
  /** Recorded steps. */
  steps: number;
  /** steps x flatSize(observationSpace) */
  observations: Float32Array;
  /** steps x branches (Int32Array, categorical) or steps x dims (Float32Array, Box: the action the game got). */
  actions: Int32Array | Float32Array;
  /** steps x logits, 1 = allowed (categorical spaces only). */
  masks?: Uint8Array;
  /** The reward each step received. */
  rewards: Float32Array;
  /** 1 where the episode terminated at this step. */
  terminated: Uint8Array;
  /** 1 where the episode was truncated at this step. */
  truncated: Uint8Array;
  /** The slot each step came from. */
  slots: Int32Array;
}

interface Chunk {
  observations: Float32Array;
  actions: Int32Array | Float32Array;
  masks: Uint8Array | undefined;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  slots: Int32Array;
  length: number;
}

const OPTIONS = ['observationSpace', 'actionSpace', 'maxSteps', 'chunkSteps', 'whenFull'];

/**
 * Records the steps of heuristic-driven slots for behaviour cloning. Call `record` once per tick with the
 * tick's arrays (all slots, row-major, as the agent sees them) and which rows to keep.
 *
 * @example
 * const recorder = new DemonstrationRecorder({ observationSpace: Box(4), actionSpace: Discrete(2) });
 * recorder.record(observations, actions, undefined, rewards, terminated, truncated, [0]); // slot 0 is scripted
 * const bytes = recorder.save();
 */
export class DemonstrationRecorder {
  /** The recorded slots' observation space. */
  readonly observationSpace: Space;
  /** Their action space. */
  readonly actionSpace: ActionSpace;
  /** The most chunks held. */
  readonly maxChunks: number;
  /** Steps per storage chunk. */
  readonly chunkSteps: number;
  /** What happens once maxSteps are held. */
  readonly whenFull: 'drop_oldest' | 'stop';
  private readonly observationSize: number;
  private readonly actionSize: number;
  private readonly logits: number;
  private readonly nvec: readonly number[];
  /** Oldest first; the last one is being filled. */
  private readonly chunks: Chunk[] = [];
  private dropped = 0;

  /** @param options The spaces, the bound on steps held and the chunk size. */
  constructor(options: DemonstrationRecorderOptions) {
    checkObject('options', options);
    const o = checkOptions('options', options, OPTIONS);
    this.observationSpace = validateSpace('options.observationSpace', o.observationSpace);
    this.actionSpace = validateSpace('options.actionSpace', o.actionSpace);
    this.chunkSteps = o.chunkSteps === undefined ? 4096 : checkInteger('options.chunkSteps', o.chunkSteps, 1, 1 << 24);
    const maxSteps = o.maxSteps === undefined ? 1_000_000 : checkInteger('options.maxSteps', o.maxSteps, 1);
    this.maxChunks = Math.ceil(maxSteps / this.chunkSteps);
    this.whenFull = o.whenFull === undefined ? 'drop_oldest' : checkOneOf('options.whenFull', o.whenFull, ['drop_oldest', 'stop']);
    this.observationSize = flatSize(this.observationSpace);
    this.actionSize = actionSize(this.actionSpace);
    const space = this.actionSpace;
    this.logits = space.kind === 'box' ? 0 : logitCount(space);
    this.nvec = space.kind === 'discrete' ? [space.n] : space.kind === 'multi_discrete' ? space.nvec : [];
  }

  /** Steps held now. */
  get steps(): number {
    let n = 0;
    for (const chunk of this.chunks) n += chunk.length;
    return n;
  }

  /** Steps dropped to make room ('drop_oldest'), or refused once full ('stop'). */
  get droppedSteps(): number {
    return this.dropped;
  }

  /** Whether recording has stopped because `maxSteps` are held ('stop'). */
  get full(): boolean {
    return this.whenFull === 'stop' && this.chunks.length === this.maxChunks && this.chunks[this.chunks.length - 1].length === this.chunkSteps;
  }

  /**
   * Records one tick of the slots in `rows` (default: every row of the arrays): their observations, the actions
   * the heuristic took (Box: the action the game got), masks (categorical; absent = all allowed), rewards and
   * episode ends. Checks everything before storing anything; allocates only when a new chunk starts.
   * @returns Steps stored (fewer than the rows once a 'stop' recorder is full).
   */
  record(
    observations: Float32Array, actions: Int32Array | Float32Array, masks: Uint8Array | undefined, rewards: Float32Array,
    terminated: Uint8Array, truncated: Uint8Array, rows?: ArrayLike<number>,
  ): number {
    const count = this.check(observations, actions, masks, rewards, terminated, truncated, rows);
    let stored = 0;
    for (let k = 0; k < count; k++) {
      const chunk = this.writable();
      if (!chunk) {
        this.dropped += count - k;
        break;
      }
      const row = rows === undefined ? k : rows[k];
      const at = chunk.length;
      const obs = this.observationSize, act = this.actionSize, logits = this.logits;
      for (let i = 0; i < obs; i++) chunk.observations[at * obs + i] = observations[row * obs + i];
      for (let i = 0; i < act; i++) chunk.actions[at * act + i] = actions[row * act + i];
      if (chunk.masks) for (let i = 0; i < logits; i++) chunk.masks[at * logits + i] = masks ? masks[row * logits + i] : 1;
      chunk.rewards[at] = rewards[row];
      chunk.terminated[at] = terminated[row];
      chunk.truncated[at] = truncated[row];
      chunk.slots[at] = row;
      chunk.length++;
      stored++;
    }
    return stored;
  }

  /** Forgets every step (keeps the chunks' memory). */
  clear(): void {
    this.chunks.length = 0;
    this.dropped = 0;
  }

  /** The steps held, copied into flat arrays (oldest first). */
  toDemonstration(): Demonstration {
    const steps = this.steps;
    const obs = this.observationSize, act = this.actionSize, logits = this.logits;
    const out: Demonstration = {
      observationSpace: this.observationSpace, actionSpace: this.actionSpace, steps,
      observations: new Float32Array(steps * obs),
      actions: this.actionSpace.kind === 'box' ? new Float32Array(steps * act) : new Int32Array(steps * act),
      ...(logits > 0 ? { masks: new Uint8Array(steps * logits) } : {}),
      rewards: new Float32Array(steps), terminated: new Uint8Array(steps), truncated: new Uint8Array(steps), slots: new Int32Array(steps),
    };
    let at = 0;
    for (const c of this.chunks) {
      const n = c.length;
      out.observations.set(c.observations.subarray(0, n * obs), at * obs);
      out.actions.set(c.actions.subarray(0, n * act), at * act);
      if (out.masks && c.masks) out.masks.set(c.masks.subarray(0, n * logits), at * logits);
      out.rewards.set(c.rewards.subarray(0, n), at);
      out.terminated.set(c.terminated.subarray(0, n), at);
      out.truncated.set(c.truncated.subarray(0, n), at);
      out.slots.set(c.slots.subarray(0, n), at);
      at += n;
    }
    return out;
  }

  /** The steps held as a safetensors file (loadDemonstration reads it back exactly). */
  save(): Uint8Array {
    return encodeDemonstration(this.toDemonstration());
  }

  /** The chunk the next step goes into: a new one, the oldest one reused, or none (full, 'stop'). */
  private writable(): Chunk | undefined {
    const last = this.chunks[this.chunks.length - 1];
    if (last && last.length < this.chunkSteps) return last;
    if (this.chunks.length < this.maxChunks) {
      const chunk = this.newChunk();
      this.chunks.push(chunk);
      return chunk;
    }
    if (this.whenFull === 'stop') return undefined;
    const oldest = this.chunks.shift()!;
    this.dropped += oldest.length;
    oldest.length = 0;
    this.chunks.push(oldest);
    return oldest;
  }

  private newChunk(): Chunk {
    const n = this.chunkSteps;
    return {
      observations: new Float32Array(n * this.observationSize),
      actions: this.actionSpace.kind === 'box' ? new Float32Array(n * this.actionSize) : new Int32Array(n * this.actionSize),
      masks: this.logits > 0 ? new Uint8Array(n * this.logits) : undefined,
      rewards: new Float32Array(n), terminated: new Uint8Array(n), truncated: new Uint8Array(n), slots: new Int32Array(n),
      length: 0,
    };
  }

  /** Validates one record() call without allocating; returns how many rows it records. */
  private check(
    observations: Float32Array, actions: Int32Array | Float32Array, masks: Uint8Array | undefined, rewards: Float32Array,
    terminated: Uint8Array, truncated: Uint8Array, rows: ArrayLike<number> | undefined,
  ): number {
    if (!(rewards instanceof Float32Array)) fail('rewards', 'a Float32Array (one reward per row)', rewards);
    const total = rewards.length;
    const obs = this.observationSize, act = this.actionSize, logits = this.logits;
    if (!(observations instanceof Float32Array) || observations.length !== total * obs) fail('observations', `a Float32Array of ${total} x ${obs}`, observations);
    const box = this.actionSpace.kind === 'box';
    if (!(box ? actions instanceof Float32Array : actions instanceof Int32Array) || actions.length !== total * act) {
      fail('actions', `a${box ? ' Float32Array' : 'n Int32Array'} of ${total} x ${act}`, actions);
    }
    if (!(terminated instanceof Uint8Array) || terminated.length !== total) fail('terminated', `a Uint8Array of ${total}`, terminated);
    if (!(truncated instanceof Uint8Array) || truncated.length !== total) fail('truncated', `a Uint8Array of ${total}`, truncated);
    if (masks !== undefined) {
      if (box) fail('masks', 'undefined for a Box action space', masks);
      if (!(masks instanceof Uint8Array) || masks.length !== total * logits) fail('masks', `a Uint8Array of ${total} x ${logits}`, masks);
    }
    const count = rows === undefined ? total : rows.length;
    for (let k = 0; k < count; k++) {
      const row = rows === undefined ? k : rows[k];
      if (!Number.isInteger(row) || row < 0 || row >= total) fail(`rows[${k}]`, `a row in [0, ${total - 1}]`, row);
      for (let i = 0; i < obs; i++) if (!Number.isFinite(observations[row * obs + i])) fail(`observations[row ${row}, ${i}]`, 'a finite number', observations[row * obs + i]);
      if (!Number.isFinite(rewards[row])) fail(`rewards[${row}]`, 'a finite number', rewards[row]);
      if (terminated[row] > 1) fail(`terminated[${row}]`, '0 or 1', terminated[row]);
      if (truncated[row] > 1) fail(`truncated[${row}]`, '0 or 1', truncated[row]);
      if (box) {
        for (let i = 0; i < act; i++) if (!Number.isFinite(actions[row * act + i])) fail(`actions[row ${row}, ${i}]`, 'a finite number', actions[row * act + i]);
        continue;
      }
      let base = 0;
      for (let b = 0; b < act; b++) {
        const a = actions[row * act + b];
        if (a < 0 || a >= this.nvec[b]) fail(`actions[row ${row}, branch ${b}]`, `an integer in [0, ${this.nvec[b] - 1}]`, a);
        if (masks) {
          for (let i = 0; i < this.nvec[b]; i++) if (masks[row * logits + base + i] > 1) fail(`masks[row ${row}, ${base + i}]`, '0 or 1', masks[row * logits + base + i]);
          if (!masks[row * logits + base + a]) fail(`actions[row ${row}, branch ${b}]`, 'an action allowed by the mask', a);
        }
        base += this.nvec[b];
      }
    }
    return count;
  }
}

export { encodeDemonstration, loadDemonstration } from './demonstration-file.js';
