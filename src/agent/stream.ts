// The rollout as a stream of trajectory stretches: closed steps fill the buffer column by column (column k's
// rows 0..T-1, then column k+1), so the Trainer contract (rows t * N + e, a column is a segment, lastValues
// per column) is unchanged. Where the next row of a column turns out not to be the step's successor (its
// stretch ended there without ending its episode, and another trajectory follows), the step is rewritten as
// truncated with bootstrapValues = its successor's value; at a column's end, that value is the column's
// lastValues. Both give GAE and V-trace exactly the successor's value as the step's target (next = bootstrap),
// and, like a lockstep rollout's end, stop the advantage tail there; when the same slot's next stretch follows
// right after in the column, nothing is cut.
import type { RolloutBuffer } from '../storage/rollout-buffer.js';
import type { Trajectories } from './trajectories.js';

/** Where the stream gets empty buffers and hands full ones. */
export interface StreamSink {
  /** An empty buffer to fill next. */
  take(): RolloutBuffer;
  /** A full buffer, its lastValues per column, and the oldest policy version among its steps. */
  full(buffer: RolloutBuffer, lastValues: Float32Array, version: number): void;
}

/** Writes staged steps into rollout buffers in stream order; allocates nothing per step. */
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

  constructor(private readonly numSteps: number, private readonly numEnvs: number, private readonly sink: StreamSink) {
    this.lastValues = new Float32Array(numEnvs);
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
    }
    for (let j = 0; j < count; j++) {
      const buffer = this.buffer ??= this.sink.take();
      const src = first + j;
      const column = Math.floor(this.written / T), t = this.written - column * T;
      const row = t * N + column;
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
        this.sink.full(buffer, this.lastValues, version);
      }
    }
  }
}
