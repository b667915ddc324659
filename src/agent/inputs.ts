// Checks of what the game passes to act() and observe(): each names the field, the row and the expected
// value, and runs before any state changes.
import { fail, UnknownOptionError } from '../errors.js';
import { logitCount, type ActionSpace } from '../spaces.js';

/** Options of `Agent.act` and `Agent.predict`. */
export interface ActOptions {
  /**
   * numAgents x logits action masks, 1 = allowed, at least one allowed action per branch. Required when the
   * agent was created with `masks: true`, rejected otherwise.
   */
  masks?: Uint8Array;
  /**
   * Take the most probable action (argmax; the mean of a Box action) instead of sampling.
   * @default false for act(), true for predict()
   */
  deterministic?: boolean;
}

/** Options of `Agent.observe`. */
export interface ObserveOptions {
  /** numAgents x observation size: the last observation of each episode that ended (rows of other agents are ignored). */
  finalObservations?: Float32Array;
}

const ACT_OPTIONS = ['masks', 'deterministic'];
/** The options observe() accepts. */
export const OBSERVE_OPTIONS = ['finalObservations'];

/** Checks act()'s observations, options and masks (when the space is masked); returns the masks. */
export function checkActInputs(observations: Float32Array, options: ActOptions | undefined, numAgents: number, observationSize: number, maskedSpace: ActionSpace | undefined): Uint8Array | undefined {
  checkFinite('observations', observations, numAgents, observationSize);
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('options', 'an object', options);
    for (const key in options) if (key !== 'masks' && key !== 'deterministic') throw new UnknownOptionError(`options.${key}`, ACT_OPTIONS, 'option');
    if (options.deterministic !== undefined && typeof options.deterministic !== 'boolean') fail('options.deterministic', 'a boolean', options.deterministic);
  }
  const masks = options?.masks;
  if (maskedSpace === undefined) {
    if (masks !== undefined) fail('masks', 'undefined (create the agent with masks: true to pass masks)', masks);
    return undefined;
  }
  const space = maskedSpace;
  const logits = logitCount(space);
  if (!(masks instanceof Uint8Array) || masks.length !== numAgents * logits) fail('masks', `a Uint8Array of length ${numAgents * logits}`, masks);
  const nvec = space.kind === 'discrete' ? [space.n] : space.kind === 'multi_discrete' ? space.nvec : [];
  for (let e = 0; e < numAgents; e++) {
    let base = e * logits;
    for (let b = 0; b < nvec.length; b++) {
      let allowed = 0;
      for (let k = 0; k < nvec[b]; k++) {
        const m = masks[base + k];
        if (m > 1) fail(`masks[agent ${e}, ${base - e * logits + k}]`, '0 or 1', m);
        allowed += m;
      }
      if (allowed === 0) fail(`masks[agent ${e}, branch ${b}]`, 'at least one allowed action', 'all masked');
      base += nvec[b];
    }
  }
  return masks;
}

/** Checks a Float32Array of rows x perRow finite numbers. */
export function checkFinite(field: string, value: Float32Array, rows: number, perRow: number): void {
  if (!(value instanceof Float32Array) || value.length !== rows * perRow) fail(field, `a Float32Array of length ${rows * perRow}`, value);
  for (let i = 0; i < value.length; i++) {
    if (!Number.isFinite(value[i])) fail(perRow === 1 ? `${field}[agent ${i}]` : `${field}[agent ${Math.floor(i / perRow)}, ${i % perRow}]`, 'a finite number', value[i]);
  }
}

/** Checks a Uint8Array of n 0/1 flags. */
export function checkFlags(field: string, value: Uint8Array, n: number): void {
  if (!(value instanceof Uint8Array) || value.length !== n) fail(field, `a Uint8Array of length ${n} (0/1 flags)`, value);
  for (let e = 0; e < n; e++) if (value[e] > 1) fail(`${field}[agent ${e}]`, '0 or 1', value[e]);
}
