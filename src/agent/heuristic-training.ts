// Heuristic steps trained on (setHeuristic's `train`): the slot decides like a policy slot (inference runs on
// its row, the step is stored), then its heuristic replaces the sampled action, and the step keeps the current
// policy's log-prob of the heuristic's action, scored by the same wasm kernels the trainer uses.
import { fail } from '../errors.js';
import type { DecisionRows } from './decisions.js';
import type { Inference } from './inference.js';
import type { HeuristicRecording } from './recording.js';
import type { Slots } from './slots.js';
import type { ActionSpace } from '../spaces.js';

/** Options of `agent.setHeuristic`. */
export interface HeuristicOptions {
  /**
   * Store the heuristic's steps and train on them, with the current policy's log-prob (and value) of the
   * heuristic's action.
   * @default false
   */
  train?: boolean;
}

/** How far inside the box a tanh_normal action is kept before it is mapped back through the squash. */
const EDGE = 1e-6;

/**
 * Runs the trained heuristics among the packed rows: each writes its slot's row of `held`, which replaces the
 * row's stored action (tanh_normal: mapped back through the squash) and game action; then every such row's
 * log-prob is the policy's of that action. Allocates nothing.
 */
export function scoreHeuristicRows(
  slots: Slots, rows: DecisionRows, inference: Inference, held: Int32Array | Float32Array, observations: Float32Array,
  input: Float32Array, masks: Uint8Array | undefined, rowMasks: Uint8Array | undefined, space: ActionSpace,
  distribution: string, recording: HeuristicRecording | undefined,
): void {
  const per = space.kind === 'box' ? space.size : space.kind === 'discrete' ? 1 : space.nvec.length;
  const logits = masks === undefined ? 0 : masks.length / slots.count;
  const squash = space.kind === 'box' && distribution === 'tanh_normal';
  const stored = inference.actions, game = inference.gameActions;
  let any = false;
  for (let j = 0; j < rows.count; j++) {
    const e = rows.slots[j], heuristic = slots.heuristics[e];
    if (heuristic === null || slots.trained[e] === 0) continue;
    any = true;
    heuristic(e, observations, held);
    let base = 0;
    for (let k = 0; k < per; k++) {
      const a = held[e * per + k];
      if (space.kind === 'box') {
        if (!Number.isFinite(a)) fail(`heuristic action (slot ${e}, ${k})`, 'a finite number', a);
        game[j * per + k] = a;
        if (squash) {
          const loc = (space.high[k] + space.low[k]) / 2, scale = (space.high[k] - space.low[k]) / 2;
          const y = Math.min(1 - EDGE, Math.max(-1 + EDGE, (a - loc) / scale));
          stored[j * per + k] = Math.atanh(y);
        }
        continue;
      }
      const n = space.kind === 'discrete' ? space.n : space.nvec[k];
      if (!Number.isInteger(a) || a < 0 || a >= n) fail(`heuristic action (slot ${e}, branch ${k})`, `an integer in [0, ${n - 1}]`, a);
      if (masks !== undefined && masks[e * logits + base + a] === 0) fail(`heuristic action (slot ${e}, branch ${k})`, 'an action the mask allows', a);
      stored[j * per + k] = a;
      base += n;
    }
    if (recording?.recorded[e] === 1) recording.decide(e, observations, held, masks);
  }
  if (!any) return;
  const scored = inference.evaluate(input, rowMasks);
  for (let j = 0; j < rows.count; j++) {
    const e = rows.slots[j];
    if (slots.heuristics[e] !== null && slots.trained[e] === 1) inference.logProbs[j] = scored[j];
  }
}
