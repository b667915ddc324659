// The agent's view of wasm inference (CpuPolicy): preallocated outputs for all agents, a critic-only
// evaluation for bootstrap values, and the sampling generator's state for checkpoints. A recurrent policy's
// memory lives here, per slot, in two independent tables in wasm memory: the agent's own play (act, and the
// values it bootstraps from) and predict()'s. The policy's acting rows are loaded from a table before each pass
// and, when the pass is a step of play, written back (row copies by slot index inside wasm), so packed rows
// (slots that do not decide keep their state) and the two tables never disturb each other.
import { CpuPolicy } from '../backend/cpu/inference.js';
import { StateTable } from '../backend/cpu/state-table.js';
import type { PolicySpec } from '../policy/network.js';
import { actionSize } from '../spaces.js';

export interface Inference {
  /** Stored form: indices (categorical) or pre-squash u (Box). */
  readonly actions: Int32Array | Float32Array;
  /** What the game gets: the same array, or loc + scale tanh(u) for tanh_normal. */
  readonly gameActions: Int32Array | Float32Array;
  readonly logProbs: Float32Array;
  readonly values: Float32Array;
  /** Floats of one slot's recurrent state (0: a feed-forward policy, and the sets below are empty). */
  readonly stateSize: number;
  /** The agent's own play: each slot's recurrent state [numAgents, stateSize] (a view over wasm memory: read it again after memory grows). */
  readonly playStates: Float32Array;
  /** predict()'s own recurrent state per slot [numAgents, stateSize] (a view over wasm memory, as playStates). */
  readonly predictStates: Float32Array;
  /** The state each row of the last act() entered its step with [rows, stateSize] (what a rollout stores; a view over wasm memory, as playStates). */
  readonly entering: Float32Array;
  /**
   * A step of play for the observation rows given: row j is slot `slots[j]` (row j is slot j without it); a
   * recurrent policy starts each row from its slot's play state and keeps the state it carries out.
   */
  act(observations: Float32Array, masks: Uint8Array | undefined, deterministic: boolean, slots?: Int32Array): void;
  /** Actions for every slot from predict()'s states (carried); writes the same outputs as act. */
  predict(observations: Float32Array, masks: Uint8Array | undefined, deterministic: boolean): void;
  /**
   * Re-scores the first rows of `actions` (stored form; the caller may have replaced some since act) given
   * these observation rows (and masks rows) of the last act(), each from the state it entered that act with:
   * returns their log-probs (a view valid until the next call; the act() outputs stay as they are). Draws
   * nothing, allocates nothing after the first call at a row count.
   */
  evaluate(observations: Float32Array, masks: Uint8Array | undefined): Float32Array;
  /**
   * Values of these observations (a view valid until the next call), one row per slot (or the one row of
   * `slot`), each from its slot's play state, which stays as it was; draws nothing.
   */
  criticValues(observations: Float32Array, slot?: number): Float32Array;
  /** Forgets a slot's play memory (its episode ended, or its slot was freed or taken); all slots without one. */
  resetPlay(slot?: number): void;
  /** Forgets predict()'s memory of the slots whose flag is 1 (all without flags). */
  resetPredict(flags?: Uint8Array): void;
  setParameters(flat: Float32Array): void;
  getRngState(): string;
  setRngState(state: string): void;
  dispose(): void;
}

interface Outputs {
  actions: Int32Array | Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
  squashedActions?: Float32Array;
}

export function createInference(policy: PolicySpec, numAgents: number, seed: number, parameters: Float32Array): Inference {
  const cpu = new CpuPolicy(policy, { seed, parameters, maxAgents: numAgents });
  const categorical = policy.actionSpace.kind !== 'box';
  const squash = policy.actionSpace.kind === 'box' && policy.network.distribution === 'tanh_normal';
  const outputs = (): Outputs => {
    const perRow = numAgents * actionSize(policy.actionSpace);
    const out: Outputs = {
      actions: categorical ? new Int32Array(perRow) : new Float32Array(perRow),
      logProbs: new Float32Array(numAgents),
      values: new Float32Array(numAgents),
    };
    if (squash) out.squashedActions = new Float32Array(perRow);
    return out;
  };
  const main = outputs();
  const scratch = outputs();
  const actOptions: { masks?: Uint8Array; deterministic: boolean } = { masks: undefined, deterministic: false };
  const deterministic = { deterministic: true };
  // The first rows of the action arrays, one view per row count, made on first use.
  const actionRows: (Int32Array | Float32Array)[] = [];
  const perAction = actionSize(policy.actionSpace);
  const S = cpu.stateSize;
  let play: StateTable, predictions: StateTable, entering: StateTable;
  try {
    play = new StateTable(numAgents, S, 'numAgents');
    predictions = new StateTable(numAgents, S, 'numAgents');
    entering = new StateTable(numAgents, S, 'numAgents');
  } catch (error) {
    for (const table of [play!, predictions!]) table?.free();
    cpu.dispose();
    throw error;
  }
  const one = new Int32Array(1);
  const rowsOf = (observations: Float32Array) => observations.length / policy.observationSize;
  return {
    actions: main.actions,
    gameActions: main.squashedActions ?? main.actions,
    logProbs: main.logProbs,
    values: main.values,
    stateSize: S,
    get playStates() { return play.data; },
    get predictStates() { return predictions.data; },
    get entering() { return entering.data; },
    act(observations, masks, isDeterministic, slots) {
      const rows = rowsOf(observations);
      if (S > 0) {
        // The slots' states into the acting rows, and a record of them as they entered the step.
        cpu.loadStates(play, slots, rows);
        cpu.storeStates(entering, undefined, rows);
      }
      actOptions.masks = masks;
      actOptions.deterministic = isDeterministic;
      cpu.actPrevalidated(observations, main, actOptions);
      if (S > 0) cpu.storeStates(play, slots, rows);
    },
    predict(observations, masks, isDeterministic) {
      const rows = rowsOf(observations);
      if (S > 0) cpu.loadStates(predictions, undefined, rows);
      actOptions.masks = masks;
      actOptions.deterministic = isDeterministic;
      cpu.actPrevalidated(observations, main, actOptions);
      if (S > 0) cpu.storeStates(predictions, undefined, rows);
    },
    evaluate(observations, masks) {
      const rows = rowsOf(observations);
      const actions = actionRows[rows] ??= main.actions.subarray(0, rows * perAction);
      const states = S === 0 ? undefined : entering.first(rows);
      cpu.evaluate(observations, actions, scratch, masks, states);
      return scratch.logProbs;
    },
    criticValues(observations, slot) {
      if (S > 0) {
        if (slot === undefined) {
          cpu.loadStates(play, undefined, rowsOf(observations));
        } else {
          one[0] = slot;
          cpu.loadStates(play, one, 1);
        }
      }
      // A deterministic act draws no random numbers; only its values are used, and its states are not kept.
      cpu.actPrevalidated(observations, scratch, deterministic);
      return scratch.values;
    },
    resetPlay: (slot) => play.reset(slot),
    resetPredict(flags) {
      if (flags === undefined) {
        predictions.reset();
        return;
      }
      for (let e = 0; e < numAgents; e++) if (flags[e] !== 0) predictions.reset(e);
    },
    setParameters: (flat) => cpu.setParameters(flat),
    getRngState: () => cpu.getRngState().join(':'),
    setRngState(state) {
      const [s, inc] = state.split(':').map((part) => BigInt(part));
      cpu.setRngState([s, inc]);
    },
    dispose() {
      cpu.dispose();
      play.free();
      predictions.free();
      entering.free();
    },
  };
}
