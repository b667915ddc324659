// Cuts CPU training work into slices that fit a time budget. The trainer's update is a sequence of steps:
// atomic ones (gather, loss, optimizer) and row chunks (forward, backward) whose size the pacer picks from
// the measured cost per row of this machine and this network, so a slice ends before the budget does
// without any tuning. With an infinite budget every step takes all its rows at once.

const now = (): number => performance.now();

/** Plans with the measured cost times this, so a chunk that runs a little slow still fits. */
const MARGIN = 1.15;
/** Weight of the newest measurement in the running cost estimate. */
const LEARN = 0.3;

export class Pacer {
  /** Slices begun, and the longest one (ms), since the last reset. */
  slices = 0;
  longestSliceMs = 0;
  private budgetMs = Infinity;
  private sliceStart = 0;
  private worked = false;
  /** Estimated ms per unit, per kind of step; kept across updates (the network does not change). */
  private readonly cost = new Map<string, number>();

  resetStats(): void {
    this.slices = 0;
    this.longestSliceMs = 0;
  }

  beginSlice(budgetMs: number): void {
    this.budgetMs = budgetMs;
    this.sliceStart = now();
    this.worked = false;
    this.slices++;
  }

  endSlice(): void {
    this.longestSliceMs = Math.max(this.longestSliceMs, now() - this.sliceStart);
  }

  /**
   * How many of the `remaining` units of `kind` to run now: all of them without a budget, else as many as fit
   * in what is left of the slice, in multiples of `granule` (atomic steps: granule = remaining). 0 means end the
   * slice first. A fresh slice always makes progress (at least one granule), so work never stalls.
   */
  take(kind: string, remaining: number, granule = remaining): number {
    if (this.budgetMs === Infinity) return remaining;
    const perUnit = this.cost.get(kind);
    const step = Math.min(granule, remaining);
    if (perUnit === undefined) return this.worked ? 0 : step; // measure alone first
    const left = this.budgetMs - (now() - this.sliceStart);
    const fit = Math.floor(left / (perUnit * MARGIN) / step) * step;
    if (fit >= remaining) return remaining;
    if (fit > 0) return fit;
    return this.worked ? 0 : step;
  }

  /** Records that `units` of `kind` took `ms`. */
  done(kind: string, units: number, ms: number): void {
    this.worked = true;
    const measured = ms / Math.max(1, units);
    const old = this.cost.get(kind);
    this.cost.set(kind, old === undefined ? measured : old + LEARN * (measured - old));
  }
}

/** Runs `work` on `count` units of `kind` once the pacer lets it, measuring it; yields to end a slice. */
export function* paced(pacer: Pacer, kind: string, total: number, granule: number, work: (start: number, count: number) => void): Generator<void, void, void> {
  for (let start = 0; start < total;) {
    const count = pacer.take(kind, total - start, granule);
    if (count === 0) {
      yield;
      continue;
    }
    const t = now();
    work(start, count);
    pacer.done(kind, count, now() - t);
    start += count;
  }
}
