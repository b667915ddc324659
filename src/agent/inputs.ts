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
  /**
   * numAgents 0/1 flags (act() only): the alive slots with 1 take a new decision, the others repeat their
   * last action and store nothing. Absent: each slot decides on its own clock (`decisionPeriod`). A slot
   * always decides on the first tick of an episode and after `requestDecision(slot)`.
   */
  decide?: Uint8Array;
  /**
   * numAgents 0/1 flags (predict() only): the rows whose episode starts with this observation. A recurrent
   * policy forgets predict()'s memory of them first (predict() keeps its own memory per row, apart from the
   * agent's play); a feed-forward policy has none to forget.
   */
  episodeStarts?: Uint8Array;
}

/** Options of `Agent.observe`. */
export interface ObserveOptions {
  /** numAgents x observation size: the last observation of each episode that ended (rows of other agents are ignored). */
  finalObservations?: Float32Array;
}

/** Options of `Agent.leave`. */
export interface LeaveOptions {
  /**
   * The episode was cut short (a time limit) rather than ended: it bootstraps from the value of
   * `finalObservation` (from 0 without one).
   * @default false (terminated)
   */
  truncated?: boolean;
  /** The agent's last observation (observation size floats), for a truncated episode's bootstrap. */
  finalObservation?: Float32Array;
}

const ACT_OPTIONS = ['masks', 'deterministic', 'decide'];
const PREDICT_OPTIONS = ['masks', 'deterministic', 'episodeStarts'];
/** The options observe() accepts. */
export const OBSERVE_OPTIONS = ['finalObservations'];

/**
 * Checks act()'s (allowDecide) or predict()'s options object: known keys, a boolean `deterministic`
 * (`decide` is the slots' to check), `episodeStarts` numAgents 0/1 flags.
 */
export function checkActOptions(options: ActOptions | undefined, allowDecide: boolean, numAgents = 0): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('options', 'an object', options);
  const known = allowDecide ? ACT_OPTIONS : PREDICT_OPTIONS;
  for (const key in options) if (!known.includes(key)) throw new UnknownOptionError(`options.${key}`, known, 'option');
  if (options.deterministic !== undefined && typeof options.deterministic !== 'boolean') fail('options.deterministic', 'a boolean', options.deterministic);
  if (options.episodeStarts !== undefined) checkFlags('options.episodeStarts', options.episodeStarts, numAgents);
}

/**
 * Checks act()'s observations and masks (when the space is masked) on the rows that act (`rows[e] === 1`;
 * every row when undefined: the others are not read); returns the masks.
 */
export function checkActInputs(observations: Float32Array, options: ActOptions | undefined, numAgents: number, observationSize: number, maskedSpace: ActionSpace | undefined, rows?: Uint8Array): Uint8Array | undefined {
  checkFinite('observations', observations, numAgents, observationSize, rows);
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
    if (rows !== undefined && rows[e] === 0) continue;
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

/** Checks a Float32Array of rows x perRow finite numbers (only the rows flagged in `only`, when given). */
export function checkFinite(field: string, value: Float32Array, rows: number, perRow: number, only?: Uint8Array): void {
  if (!(value instanceof Float32Array) || value.length !== rows * perRow) fail(field, `a Float32Array of length ${rows * perRow}`, value);
  for (let i = 0; i < value.length; i++) {
    if (!Number.isFinite(value[i]) && (only === undefined || only[Math.floor(i / perRow)] === 1)) fail(perRow === 1 ? `${field}[agent ${i}]` : `${field}[agent ${Math.floor(i / perRow)}, ${i % perRow}]`, 'a finite number', value[i]);
  }
}

/** Checks a Uint8Array of n 0/1 flags (only the rows flagged in `only`, when given). */
export function checkFlags(field: string, value: Uint8Array, n: number, only?: Uint8Array): void {
  if (!(value instanceof Uint8Array) || value.length !== n) fail(field, `a Uint8Array of length ${n} (0/1 flags)`, value);
  for (let e = 0; e < n; e++) if (value[e] > 1 && (only === undefined || only[e] === 1)) fail(`${field}[agent ${e}]`, '0 or 1', value[e]);
}
