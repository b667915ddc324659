// A table of recurrent states in wasm memory, one row per slot ([rows, stateSize] f32), owned by whoever keeps
// the slots (an agent's play and predict memories, a self-play opponent's slots). CpuPolicy copies rows between
// it and its acting rows by slot index inside wasm, so no state passes through JS on the hot path.
import { allocBlock, freeBlock, ViewSet } from '../../wasm-memory.js';

/** @internal Recurrent states per slot in a wasm block; `data` views it (re-viewed after wasm memory grows). */
export class StateTable {
  /** Byte offset of row 0 in wasm memory (0 when the table is empty). */
  readonly ptr: number;
  private view = new Float32Array(0);
  /** Views of the first rows, one per row count, made on first use and dropped when memory grows. */
  private readonly firstRows: Float32Array[] = [];
  private readonly views: ViewSet;
  /** Floats the view spans (0 once freed, so a late read sees an empty table, not someone else's memory). */
  private floats: number;

  /**
   * @param rows - Slots the table holds.
   * @param stateSize - Floats of one slot's state (0: an empty table, nothing allocated).
   * @param field - What a failed allocation names.
   */
  constructor(readonly rows: number, readonly stateSize: number, field = 'states') {
    this.floats = rows * stateSize;
    this.ptr = this.floats === 0 ? 0 : allocBlock(this.floats * 4, true, field);
    this.views = new ViewSet((buffer) => {
      this.view = new Float32Array(buffer, this.ptr, this.floats);
      this.firstRows.length = 0;
    });
  }

  /** Every slot's state [rows, stateSize]: a view valid until wasm memory grows (read it again then). */
  get data(): Float32Array {
    this.views.refresh();
    return this.view;
  }

  /** The first `count` rows, a view cached per count (no allocation after the first call at a count). */
  first(count: number): Float32Array {
    this.views.refresh();
    return (this.firstRows[count] ??= this.view.subarray(0, count * this.stateSize));
  }

  /** Zeroes `row`'s state, or every row's without one. */
  reset(row?: number): void {
    const data = this.data;
    if (row === undefined) data.fill(0);
    else data.fill(0, row * this.stateSize, (row + 1) * this.stateSize);
  }

  /** Frees the block; the table cannot be used afterwards. */
  free(): void {
    freeBlock(this.ptr);
    (this as { ptr: number }).ptr = 0;
    this.floats = 0;
    this.view = new Float32Array(0);
    this.firstRows.length = 0;
  }
}
