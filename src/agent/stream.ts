// The rollout as a stream of trajectory stretches: closed steps fill the buffer column by column (column k's
// rows 0..T-1, then column k+1), so the Trainer contract (rows t * N + e, a column is a segment, lastValues
// per column) is unchanged. Where the next row of a column turns out not to be the step's successor (its
// stretch ended there without ending its episode, and another trajectory follows), the step is rewritten as
// truncated with bootstrapValues = its successor's value; at a column's end, that value is the column's
// lastValues. Both give GAE and V-trace exactly the successor's value as the step's target (next = bootstrap),
// and, like a lockstep rollout's end, stop the advantage tail there; when the same slot's next stretch follows
// right after in the column, nothing is cut.
import { CheckpointError, type Tensor, type TensorData } from '../policy/safetensors.js';
import type { RolloutBuffer } from '../storage/rollout-buffer.js';
import type { Trajectories } from './trajectories.js';

/** Where the stream gets empty buffers and hands full ones. */
export interface StreamSink {
  /** An empty buffer to fill next. */
  take(): RolloutBuffer;
  /**
   * A full buffer, its lastValues per column, the oldest policy version among its steps, and (recurrent
   * policies) its stored states [ceil(T / L), N, stateSize], which stay as they are until the buffer is taken again.
   */
  full(buffer: RolloutBuffer, lastValues: Float32Array, version: number, states: Float32Array | undefined): void;
}

/** A recurrent policy's stored states: their size and the sequence length L (a state every L steps of a column). */
export interface StreamMemory {
  stateSize: number;
  sequenceLength: number;
}

/**
 * Writes staged steps into rollout buffers in stream order; allocates nothing per step. With a recurrent policy
 * every stretch fills whole columns from their first row (the agent flushes only full stagings), and the state
 * entering every L-th row of a column goes beside the buffer, [ceil(T / L), N, stateSize] (Batch.hiddenStates).
 */
export class RolloutStream {
  private buffer: RolloutBuffer | undefined;
  /** Rows written into the current buffer (column * numSteps + t). */
  private written = 0;
  private oldest = Number.MAX_SAFE_INTEGER;
  /** The last row written, when it ended a stretch mid-column without ending its episode: cut unless its slot continues. */
  private pendingRow = -1;
  private pendingSlot = -1;
  private pendingNext = 0;
  readonly lastValues: Float32Array;
  /** Each buffer's stored states (recurrent policies), made with the buffer's first write and kept with it. */
  private readonly states = new WeakMap<RolloutBuffer, Float32Array>();

  constructor(private readonly numSteps: number, private readonly numEnvs: number, private readonly sink: StreamSink, private readonly memory?: StreamMemory) {
    this.lastValues = new Float32Array(numEnvs);
  }

  /** A buffer's stored states [ceil(T / L), N, stateSize] (recurrent policies; undefined otherwise). */
  statesOf(buffer: RolloutBuffer): Float32Array | undefined {
    const memory = this.memory;
    if (memory === undefined) return undefined;
    let states = this.states.get(buffer);
    if (states === undefined) {
      states = new Float32Array(Math.ceil(this.numSteps / memory.sequenceLength) * this.numEnvs * memory.stateSize);
      this.states.set(buffer, states);
    }
    return states;
  }

  /** Rows in the buffer being filled. */
  get rows(): number {
    return this.written;
  }

  /** The buffer being filled, if any. */
  get current(): RolloutBuffer | undefined {
    return this.buffer;
  }

  /** The oldest policy version among the rows written so far (MAX_SAFE_INTEGER when none). */
  get oldestVersion(): number {
    return this.oldest;
  }

  /**
   * Writes `count` closed steps of `slot` from staging row `first` on, in order, as one stretch of its
   * trajectory; `continues`: the first of them is the successor of the slot's last written step.
   */
  write(from: Trajectories, slot: number, first: number, count: number, continues: boolean): void {
    const T = this.numSteps, N = this.numEnvs;
    const { observationSize: obs, actionSize: act, maskSize: mask } = from.shape;
    if (this.pendingRow >= 0 && count > 0) {
      if (!(continues && this.pendingSlot === slot)) {
        const buffer = this.buffer!;
        buffer.truncated[this.pendingRow] = 1;
        buffer.bootstrapValues[this.pendingRow] = this.pendingNext;
      }
      this.pendingRow = -1;
      this.pendingSlot = -1;
    }
    const memory = this.memory;
    for (let j = 0; j < count; j++) {
      const buffer = this.buffer ??= this.sink.take();
      const src = first + j;
      const column = Math.floor(this.written / T), t = this.written - column * T;
      const row = t * N + column;
      if (memory !== undefined && t % memory.sequenceLength === 0) this.storeState(buffer, from, slot, src, t, column);
      const o = buffer.observations, a = buffer.actions;
      for (let i = 0; i < obs; i++) o[row * obs + i] = from.observations[src * obs + i];
      for (let i = 0; i < act; i++) a[row * act + i] = from.actions[src * act + i];
      if (mask > 0) {
        const m = buffer.masks!;
        for (let i = 0; i < mask; i++) m[row * mask + i] = from.masks[src * mask + i];
      }
      buffer.logProbs[row] = from.logProbs[src];
      buffer.values[row] = from.values[src];
      buffer.rewards[row] = from.rewards[src];
      const terminated = from.terminated[src], truncated = from.truncated[src];
      const done = terminated === 1 || truncated === 1;
      if (t === T - 1) {
        this.lastValues[column] = done ? 0 : from.next[src];
      } else if (j === count - 1 && !done) {
        // The stretch ends mid-column: whether the next row is its successor is known at the next write.
        this.pendingRow = row;
        this.pendingSlot = slot;
        this.pendingNext = from.next[src];
      }
      buffer.terminated[row] = terminated;
      buffer.truncated[row] = truncated;
      buffer.bootstrapValues[row] = from.bootstrapValues[src];
      if (from.versions[src] < this.oldest) this.oldest = from.versions[src];
      this.written++;
      if (this.written === T * N) {
        buffer.markFilled(T);
        const version = this.oldest;
        this.buffer = undefined;
        this.written = 0;
        this.oldest = Number.MAX_SAFE_INTEGER;
        this.sink.full(buffer, this.lastValues, version, this.statesOf(buffer));
      }
    }
  }

  /** Copies the state entering staged step `src` (which must start a stored sequence) to row t of the column. */
  private storeState(buffer: RolloutBuffer, from: Trajectories, slot: number, src: number, t: number, column: number): void {
    const { stateSize: S, sequenceLength: L } = this.memory!;
    const j = src - slot * from.shape.capacity;
    if (j % L !== 0) throw new Error('webppo: internal: a recurrent stretch does not start a column');
    const states = this.statesOf(buffer)!;
    const to = ((t / L) * this.numEnvs + column) * S, at = (slot * from.sequences + j / L) * S;
    for (let k = 0; k < S; k++) states[to + k] = from.states[at + k];
  }

  /** The rows written so far (stream order) and the stream's own state, as `stream.*` tensors; nothing when empty. */
  save(extra: Map<string, Tensor>, version: number): void {
    const buffer = this.buffer, rows = this.written;
    if (buffer === undefined || rows === 0) return;
    const T = this.numSteps, N = this.numEnvs;
    const gather = <A extends Float32Array | Int32Array | Uint8Array>(from: A, per: number): A => {
      const out = new (from.constructor as new (n: number) => A)(rows * per);
      for (let i = 0; i < rows; i++) {
        const row = (i % T) * N + Math.floor(i / T);
        for (let k = 0; k < per; k++) out[i * per + k] = from[row * per + k];
      }
      return out;
    };
    const put = (name: string, data: TensorData, per: number) => {
      const dtype = data instanceof Float32Array ? 'F32' : data instanceof Int32Array ? 'I32' : 'U8';
      extra.set(`stream.${name}`, { dtype, shape: per === 0 ? [rows] : [rows, per], data });
    };
    put('observations', gather(buffer.observations, buffer.observationSize), buffer.observationSize);
    put('actions', gather(buffer.actions, buffer.actionSize), buffer.actionSize);
    if (buffer.masks) put('masks', gather(buffer.masks, buffer.maskSize), buffer.maskSize);
    put('log_probs', gather(buffer.logProbs, 1), 0);
    put('values', gather(buffer.values, 1), 0);
    put('rewards', gather(buffer.rewards, 1), 0);
    put('bootstrap_values', gather(buffer.bootstrapValues, 1), 0);
    put('terminated', gather(buffer.terminated, 1), 0);
    put('truncated', gather(buffer.truncated, 1), 0);
    // Columns not yet complete hold an earlier rollout's values: saved as 0, so the bytes depend on this rollout only.
    const lastValues = this.lastValues.slice();
    lastValues.fill(0, Math.floor(rows / T));
    extra.set('stream.last_values', { dtype: 'F32', shape: [N], data: lastValues });
    const states = this.statesOf(buffer);
    if (states) extra.set('stream.hidden_states', { dtype: 'F32', shape: [states.length / (N * this.memory!.stateSize), N, this.memory!.stateSize], data: states.slice() });
    extra.set('stream.pending', { dtype: 'I32', shape: [3], data: Int32Array.of(this.pendingRow, this.pendingSlot, this.oldest < version ? 1 : 0) });
    extra.set('stream.pending_next', { dtype: 'F32', shape: [1], data: Float32Array.of(this.pendingNext) });
  }

  /** Writes back the rows `save` wrote (shapes already checked by the checkpoint reader; values checked here). */
  restore(extra: ReadonlyMap<string, Tensor>, version: number, check: (name: string, data: TensorData, per: number) => void): void {
    const observations = extra.get('stream.observations');
    if (!observations) return;
    const rows = observations.shape[0], T = this.numSteps, N = this.numEnvs;
    const buffer = this.buffer ??= this.sink.take();
    const scatter = (name: string, to: Float32Array | Int32Array | Uint8Array, per: number) => {
      const from = extra.get(`stream.${name}`)!.data as Float32Array | Int32Array | Uint8Array;
      check(`stream.${name}`, from, per);
      for (let i = 0; i < rows; i++) {
        const row = (i % T) * N + Math.floor(i / T);
        for (let k = 0; k < per; k++) to[row * per + k] = from[i * per + k];
      }
    };
    scatter('observations', buffer.observations, buffer.observationSize);
    scatter('actions', buffer.actions, buffer.actionSize);
    if (buffer.masks) scatter('masks', buffer.masks, buffer.maskSize);
    for (const [name, to] of [['log_probs', buffer.logProbs], ['values', buffer.values], ['rewards', buffer.rewards], ['bootstrap_values', buffer.bootstrapValues], ['terminated', buffer.terminated], ['truncated', buffer.truncated]] as const) scatter(name, to, 1);
    const states = this.statesOf(buffer);
    if (states) {
      const saved = extra.get('stream.hidden_states');
      if (saved === undefined || saved.data.length !== states.length) throw new CheckpointError(`checkpoint: tensor stream.hidden_states: expected F32 [${states.length / (N * this.memory!.stateSize)}, ${N}, ${this.memory!.stateSize}] (the stored states of a recurrent policy's rollout), got ${saved ? `[${saved.shape}]` : 'none'}`, 'stream.hidden_states');
      check('stream.hidden_states', saved.data, 1);
      states.set(saved.data as Float32Array);
    }
    const last = extra.get('stream.last_values')!.data as Float32Array;
    check('stream.last_values', last, 1);
    this.lastValues.set(last);
    const [row, slot, lagged] = extra.get('stream.pending')!.data as Int32Array;
    if (row !== -1 && !(row >= 0 && row < T * N && slot >= 0 && slot < N)) throw new CheckpointError(`checkpoint: tensor stream.pending: expected [-1, ...] or a row and slot in range, got [${row}, ${slot}]`, 'stream.pending');
    if (lagged !== 0 && lagged !== 1) throw new CheckpointError(`checkpoint: tensor stream.pending[2]: expected 0 or 1, got ${lagged}`, 'stream.pending');
    const next = extra.get('stream.pending_next')!.data as Float32Array;
    check('stream.pending_next', next, 1);
    this.pendingRow = row;
    this.pendingSlot = row === -1 ? -1 : slot;
    this.pendingNext = next[0];
    this.written = rows;
    this.oldest = lagged === 1 ? -1 : version;
  }
}
