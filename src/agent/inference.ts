// The agent's view of wasm inference (CpuPolicy): preallocated outputs for all agents, a critic-only
// evaluation for bootstrap values, and the sampling generator's state for checkpoints. A recurrent policy's
// memory lives here, per slot, in two independent sets: the agent's own play (act, and the values it
// bootstraps from) and predict()'s. The policy's acting rows are loaded from a set before each pass and, when
// the pass is a step of play, written back, so packed rows (slots that do not decide keep their state) and
// the two sets never disturb each other.
import { CpuPolicy } from '../backend/cpu/inference.js';
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
  /** The agent's own play: each slot's recurrent state [numAgents, stateSize]. */
  readonly playStates: Float32Array;
  /** predict()'s own recurrent state per slot [numAgents, stateSize]. */
  readonly predictStates: Float32Array;
  /** The state each row of the last act() entered its step with [rows, stateSize] (what a rollout stores). */
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
  // The first rows of the action (and entering state) arrays, one view per row count, made on first use.
  const actionRows: (Int32Array | Float32Array)[] = [];
  const stateRows: Float32Array[] = [];
  const perAction = actionSize(policy.actionSpace);
  const S = cpu.stateSize;
  const playStates = new Float32Array(numAgents * S);
  const predictStates = new Float32Array(numAgents * S);
  const entering = new Float32Array(numAgents * S);
  const one = new Int32Array(1);
  const rowsOf = (observations: Float32Array) => observations.length / policy.observationSize;
  return {
    actions: main.actions,
    gameActions: main.squashedActions ?? main.actions,
    logProbs: main.logProbs,
    values: main.values,
    stateSize: S,
    playStates,
    predictStates,
    entering,
    act(observations, masks, isDeterministic, slots) {
      const rows = rowsOf(observations);
      if (S > 0) {
        for (let j = 0; j < rows; j++) {
          const from = (slots === undefined ? j : slots[j]) * S;
          for (let k = 0; k < S; k++) entering[j * S + k] = playStates[from + k];
        }
        cpu.loadStates(entering, undefined, rows);
      }
      actOptions.masks = masks;
      actOptions.deterministic = isDeterministic;
      cpu.actPrevalidated(observations, main, actOptions);
      if (S > 0) cpu.storeStates(playStates, slots, rows);
    },
    predict(observations, masks, isDeterministic) {
      const rows = rowsOf(observations);
      if (S > 0) cpu.loadStates(predictStates, undefined, rows);
      actOptions.masks = masks;
      actOptions.deterministic = isDeterministic;
      cpu.actPrevalidated(observations, main, actOptions);
      if (S > 0) cpu.storeStates(predictStates, undefined, rows);
    },
    evaluate(observations, masks) {
      const rows = rowsOf(observations);
      const actions = actionRows[rows] ??= main.actions.subarray(0, rows * perAction);
      const states = S === 0 ? undefined : stateRows[rows] ??= entering.subarray(0, rows * S);
      cpu.evaluate(observations, actions, scratch, masks, states);
      return scratch.logProbs;
    },
    criticValues(observations, slot) {
      if (S > 0) {
        if (slot === undefined) {
          cpu.loadStates(playStates, undefined, rowsOf(observations));
        } else {
          one[0] = slot;
          cpu.loadStates(playStates, one, 1);
        }
      }
      // A deterministic act draws no random numbers; only its values are used, and its states are not kept.
      cpu.actPrevalidated(observations, scratch, deterministic);
      return scratch.values;
    },
    resetPlay(slot) {
      if (slot === undefined) playStates.fill(0);
      else playStates.fill(0, slot * S, (slot + 1) * S);
    },
    resetPredict(flags) {
      if (flags === undefined) {
        predictStates.fill(0);
        return;
      }
      for (let e = 0; e < numAgents; e++) if (flags[e] !== 0) predictStates.fill(0, e * S, (e + 1) * S);
    },
    setParameters: (flat) => cpu.setParameters(flat),
    getRngState: () => cpu.getRngState().join(':'),
    setRngState(state) {
      const [s, inc] = state.split(':').map((part) => BigInt(part));
      cpu.setRngState([s, inc]);
    },
    dispose: () => cpu.dispose(),
  };
}
