// How backend results are compared to the oracle: per-entry |actual - expected| <= atol + rtol |expected|,
// with the worst entry named by its parameter (or stat) so a failure says where to look.
import type { LossStats } from '../../src/backend/trainer.js';
import { STAT_NAMES } from '../../src/backend/trainer.js';
import type { ParameterEntry } from '../../src/policy/network.js';

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Gradients and parameters after an update, per parameter. */
export const ORACLE_TOLERANCE: Readonly<Tolerance> = Object.freeze({ rtol: 1e-3, atol: 1e-5 });
/** Loss stats (float32 reductions over a few dozen rows). */
export const STATS_TOLERANCE: Readonly<Tolerance> = Object.freeze({ rtol: 1e-3, atol: 1e-5 });

/** `name[i]` of a flat index in a parameter layout. */
export function parameterName(layout: readonly ParameterEntry[], index: number): string {
  for (let k = layout.length - 1; k >= 0; k--) {
    if (index >= layout[k].offset) return `${layout[k].name}[${index - layout[k].offset}]`;
  }
  return `[${index}]`;
}

/**
 * null when every entry is within tolerance; otherwise a message naming the worst entry and how many are
 * out. Pass the parameter layout to name entries by parameter.
 */
export function mismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = ORACLE_TOLERANCE, layout?: readonly ParameterEntry[]): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let worst = -1, worstRatio = 0, out = 0;
  for (let i = 0; i < expected.length; i++) {
    const ratio = Math.abs(actual[i] - expected[i]) / (tol.atol + tol.rtol * Math.abs(expected[i]));
    if (!(ratio <= 1)) out++;
    if (!(ratio <= worstRatio)) { worstRatio = ratio; worst = i; }
  }
  if (out === 0) return null;
  const name = layout ? parameterName(layout, worst) : `[${worst}]`;
  return `${out} of ${expected.length} entries out of tolerance (rtol ${tol.rtol}, atol ${tol.atol}); worst ${name}: ${actual[worst]} vs ${expected[worst]}`;
}

/** null when every stat of `expected` is within tolerance of `actual`. */
export function statsMismatch(actual: LossStats, expected: LossStats, tol: Tolerance = STATS_TOLERANCE): string | null {
  const bad = STAT_NAMES.filter((name) => !(Math.abs(actual[name] - expected[name]) <= tol.atol + tol.rtol * Math.abs(expected[name])));
  return bad.length === 0 ? null : bad.map((name) => `${name}: ${actual[name]} vs ${expected[name]}`).join('; ');
}
