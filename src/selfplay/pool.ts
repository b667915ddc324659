// The snapshot pool: up to `window` frozen copies of the learning policy, each with its own ELO rating.
// Slots fill in order and then wrap (ML-Agents' snapshot counter), so a new snapshot replaces the oldest.
// A snapshot's array is never written after it is taken: a replaced snapshot still playing as an opponent
// keeps its parameters.

/** One frozen copy of the learning policy. */
export interface Snapshot {
  /** The policy's flat parameters when the snapshot was taken (never written afterwards). */
  readonly parameters: Float32Array;
  /** Its rating: the learner's when taken, then moved by the games played against it. */
  elo: number;
}

/** A fixed-size ring of snapshots. */
export class SnapshotPool {
  private readonly slots: Snapshot[] = [];
  private nextSlot = 0;

  /**
   * @param window - Most snapshots kept.
   * @param parameterCount - Floats per snapshot (the network's parameter count).
   */
  constructor(readonly window: number, readonly parameterCount: number) {}

  /** Snapshots held (1 to window once the first is saved). */
  get size(): number {
    return this.slots.length;
  }

  /** The slot the next save writes: the first empty one, then the oldest. */
  get next(): number {
    return this.nextSlot;
  }

  /** The snapshot in slot `index` (0 <= index < size). */
  at(index: number): Snapshot {
    const snapshot = this.slots[index];
    if (snapshot === undefined) throw new RangeError(`snapshot pool: no slot ${index} (size ${this.slots.length})`);
    return snapshot;
  }

  /** Saves a copy of `parameters` rated `elo` into the next slot; returns the slot. */
  save(parameters: Float32Array, elo: number): number {
    if (parameters.length !== this.parameterCount) throw new RangeError(`snapshot pool: expected ${this.parameterCount} parameters, got ${parameters.length}`);
    return this.put(parameters.slice(), elo);
  }

  /** @internal Replaces the whole pool (restore; already validated): the arrays are kept, not copied. */
  restore(snapshots: readonly Snapshot[], next: number): void {
    this.slots.length = 0;
    this.slots.push(...snapshots);
    this.nextSlot = next;
  }

  private put(parameters: Float32Array, elo: number): number {
    const slot = this.nextSlot;
    this.slots[slot] = { parameters, elo };
    this.nextSlot = (slot + 1) % this.window;
    return slot;
  }
}
