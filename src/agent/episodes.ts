// Each slot's running episode: its raw return and length until it ends, then one 'episode' event.
import type { AgentEmitter } from './events.js';
import type { AgentCounters } from './updates.js';

/** Per-slot episode returns and lengths (preallocated), and the episode count. */
export class EpisodeTallies {
  /** Raw (unscaled) return of each slot's episode so far. */
  readonly returns: Float64Array;
  /** Ticks of each slot's episode so far. */
  readonly lengths: Int32Array;

  constructor(slots: number, private readonly events: AgentEmitter, private readonly counters: AgentCounters) {
    this.returns = new Float64Array(slots);
    this.lengths = new Int32Array(slots);
  }

  /** Counts the slot's finished episode, tells the listeners, and starts its tallies over. */
  end(slot: number, terminated: boolean): void {
    this.counters.episodes++;
    if (this.events.has('episode')) {
      this.events.emit('episode', { agent: slot, return: this.returns[slot], length: this.lengths[slot], terminated, steps: this.counters.steps });
    }
    this.reset(slot);
  }

  /** The slot's tallies start over without an episode end. */
  reset(slot: number): void {
    this.returns[slot] = 0;
    this.lengths[slot] = 0;
  }
}
