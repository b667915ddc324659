// The agent's view of wasm inference (CpuPolicy): preallocated outputs for all agents, a critic-only
// evaluation for bootstrap values, and the sampling generator's state for checkpoints.
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
  act(observations: Float32Array, masks: Uint8Array | undefined, deterministic: boolean): void;
  /**
   * Re-scores the first rows of `actions` (stored form; the caller may have replaced some since act) given
   * these observation rows (and masks rows): returns their log-probs (a view valid until the next call; the
   * act() outputs stay as they are). Draws nothing, allocates nothing after the first call at a row count.
   */
  evaluate(observations: Float32Array, masks: Uint8Array | undefined): Float32Array;
  /** Values of these observations (a view valid until the next call); draws nothing. */
  criticValues(observations: Float32Array): Float32Array;
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
  // The first rows of the action array, one view per row count, made on first use.
  const actionRows: (Int32Array | Float32Array)[] = [];
  const perAction = actionSize(policy.actionSpace);
  return {
    actions: main.actions,
    gameActions: main.squashedActions ?? main.actions,
    logProbs: main.logProbs,
    values: main.values,
    act(observations, masks, isDeterministic) {
      actOptions.masks = masks;
      actOptions.deterministic = isDeterministic;
      cpu.actPrevalidated(observations, main, actOptions);
    },
    evaluate(observations, masks) {
      const rows = observations.length / policy.observationSize;
      const actions = actionRows[rows] ??= main.actions.subarray(0, rows * perAction);
      cpu.evaluate(observations, actions, scratch, masks);
      return scratch.logProbs;
    },
    criticValues(observations) {
      // A deterministic act draws no random numbers; only its values are used.
      cpu.actPrevalidated(observations, scratch, deterministic);
      return scratch.values;
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
