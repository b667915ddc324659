// Recording heuristic-driven slots into a DemonstrationRecorder: each decision a heuristic takes is held
// (the raw observation it saw, its action, the mask) while its rewards add up, and goes to the recorder when
// the slot decides again or its episode ends. Every buffer is allocated when recording starts.
import type { DemonstrationRecorder } from '../imitation/demonstration.js';

/** The heuristic decisions of a set of slots, on their way to a recorder. */
export class HeuristicRecording {
  /** 1 = this slot's heuristic decisions are recorded. */
  readonly recorded: Uint8Array;
  private readonly observations: Float32Array;
  private readonly actions: Int32Array | Float32Array;
  private readonly masks: Uint8Array | undefined;
  private readonly rewards: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  /** 1 = the slot holds a decision not yet recorded. */
  private readonly open: Uint8Array;
  /** [slot] per slot: the rows argument of recorder.record. */
  private readonly rowOf: Int32Array[];

  constructor(readonly recorder: DemonstrationRecorder, slots: readonly number[], numAgents: number, private readonly observationSize: number, private readonly actionSize: number, private readonly maskSize: number, categorical: boolean) {
    this.recorded = new Uint8Array(numAgents);
    for (const slot of slots) this.recorded[slot] = 1;
    this.observations = new Float32Array(numAgents * observationSize);
    this.actions = categorical ? new Int32Array(numAgents * actionSize) : new Float32Array(numAgents * actionSize);
    this.masks = maskSize > 0 ? new Uint8Array(numAgents * maskSize) : undefined;
    this.rewards = new Float32Array(numAgents);
    this.terminated = new Uint8Array(numAgents);
    this.truncated = new Uint8Array(numAgents);
    this.open = new Uint8Array(numAgents);
    this.rowOf = Array.from({ length: numAgents }, (_, e) => Int32Array.of(e));
  }

  /** A heuristic decided for `slot`: the slot's previous decision is recorded, this one is held. */
  decide(slot: number, observations: Float32Array, actions: Int32Array | Float32Array, masks: Uint8Array | undefined): void {
    if (this.open[slot] === 1) this.emit(slot, 0, 0);
    const o = this.observationSize, a = this.actionSize, m = this.maskSize;
    for (let k = 0; k < o; k++) this.observations[slot * o + k] = observations[slot * o + k];
    for (let k = 0; k < a; k++) this.actions[slot * a + k] = actions[slot * a + k];
    if (this.masks !== undefined) for (let k = 0; k < m; k++) this.masks[slot * m + k] = masks === undefined ? 1 : masks[slot * m + k];
    this.rewards[slot] = 0;
    this.open[slot] = 1;
  }

  /** A raw reward for the slot's held decision (observe() and addReward()). */
  reward(slot: number, reward: number): void {
    if (this.open[slot] === 1) this.rewards[slot] += reward;
  }

  /** The slot's episode ended: its held decision is recorded with the end. */
  end(slot: number, terminated: boolean, truncated: boolean): void {
    if (this.open[slot] === 1) this.emit(slot, terminated ? 1 : 0, truncated ? 1 : 0);
  }

  /** The slot's held decision is taken back (cancelStep): it is not recorded. */
  drop(slot: number): void {
    this.open[slot] = 0;
  }

  /** Recording stops: each held decision is recorded as the end of its stretch (truncated). */
  close(): void {
    for (let e = 0; e < this.open.length; e++) this.end(e, false, true);
  }

  private emit(slot: number, terminated: number, truncated: number): void {
    this.terminated[slot] = terminated;
    this.truncated[slot] = truncated;
    this.open[slot] = 0;
    this.recorder.record(this.observations, this.actions, this.masks, this.rewards, this.terminated, this.truncated, this.rowOf[slot]);
  }
}
