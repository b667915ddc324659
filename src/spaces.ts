// Gymnasium-style spaces: what a game observes and what it lets the agent do.
import { checkInteger, checkKeys, fail } from './errors.js';

/**
 * `n` choices, 0 to n - 1 (build it with {@link Discrete}).
 * @property kind Always `'discrete'`.
 * @property n Number of choices.
 */
export interface DiscreteSpace { readonly kind: 'discrete'; readonly n: number }
/**
 * Several independent categorical branches, branch b with `nvec[b]` choices (build it with {@link MultiDiscrete}).
 * @property kind Always `'multi_discrete'`.
 * @property nvec Choices per branch.
 */
export interface MultiDiscreteSpace { readonly kind: 'multi_discrete'; readonly nvec: readonly number[] }
/** A box of floats with per-element bounds (build it with {@link Box}). */
export interface BoxSpace {
  /** Always `'box'`. */
  readonly kind: 'box';
  /** Dimensions, e.g. `[4]` or `[2, 3]`. */
  readonly shape: readonly number[];
  /** Product of shape: the number of floats per row. */
  readonly size: number;
  /** Lower bound of each element (may be -Infinity). */
  readonly low: Float32Array;
  /** Upper bound of each element (may be Infinity). */
  readonly high: Float32Array;
}
/** Any space: {@link BoxSpace}, {@link DiscreteSpace} or {@link MultiDiscreteSpace}. */
export type Space = DiscreteSpace | MultiDiscreteSpace | BoxSpace;
/** A space used for actions (any {@link Space}). */
export type ActionSpace = Space;

/** `n` choices (n >= 1): actions are indices in an Int32Array. */
export function Discrete(n: number): DiscreteSpace {
  return Object.freeze({ kind: 'discrete', n: checkInteger('Discrete(n)', n, 1) });
}

/** Independent categorical branches, `nvec[b]` choices each: actions are one index per branch. */
export function MultiDiscrete(nvec: readonly number[]): MultiDiscreteSpace {
  if (!Array.isArray(nvec) || nvec.length === 0) fail('MultiDiscrete(nvec)', 'a non-empty array of integers >= 1', nvec);
  nvec.forEach((n, i) => checkInteger(`MultiDiscrete(nvec)[${i}]`, n, 1));
  return Object.freeze({ kind: 'multi_discrete', nvec: Object.freeze([...nvec]) });
}

/** A box of floats: `Box(4)`, `Box([2, 3])`, or with bounds `Box(1, -2, 2)` (scalars broadcast). */
export function Box(shape: number | readonly number[], low: number | ArrayLike<number> = -Infinity, high: number | ArrayLike<number> = Infinity): BoxSpace {
  const dims = typeof shape === 'number' ? [shape] : [...shape];
  if (dims.length === 0) fail('Box(shape)', 'a size or a non-empty array of sizes', shape);
  dims.forEach((d, i) => checkInteger(`Box(shape)[${i}]`, d, 1));
  const size = dims.reduce((a, b) => a * b, 1);
  const lowArray = bounds('Box(low)', low, size);
  const highArray = bounds('Box(high)', high, size);
  for (let i = 0; i < size; i++) {
    if (!(lowArray[i] < highArray[i])) fail(`Box(low, high)[${i}]`, 'low < high', `low ${lowArray[i]}, high ${highArray[i]}`);
  }
  return Object.freeze({ kind: 'box', shape: Object.freeze(dims), size, low: lowArray, high: highArray });
}

function bounds(field: string, value: number | ArrayLike<number>, size: number): Float32Array {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) fail(field, 'a number or an array of numbers', value);
    return new Float32Array(size).fill(value);
  }
  if (value.length !== size) fail(`${field}.length`, String(size), value.length);
  const array = Float32Array.from(value);
  array.forEach((v, i) => { if (Number.isNaN(v)) fail(`${field}[${i}]`, 'a number', v); });
  return array;
}

/** Floats per observation row. Discrete observations are one-hot encoded by the caller. */
export function flatSize(space: Space): number {
  switch (space.kind) {
    case 'box': return space.size;
    case 'discrete': return space.n;
    case 'multi_discrete': return space.nvec.reduce((a, b) => a + b, 0);
  }
}

/** Entries per action row: one int per categorical branch, or one float per continuous dimension. */
export function actionSize(space: ActionSpace): number {
  switch (space.kind) {
    case 'box': return space.size;
    case 'discrete': return 1;
    case 'multi_discrete': return space.nvec.length;
  }
}

/** Logits per row (sum of branch sizes) for categorical spaces; 0 for boxes. Masks have this many entries. */
export function logitCount(space: ActionSpace): number {
  switch (space.kind) {
    case 'box': return 0;
    case 'discrete': return space.n;
    case 'multi_discrete': return space.nvec.reduce((a, b) => a + b, 0);
  }
}

const KEYS = { discrete: ['kind', 'n'], multi_discrete: ['kind', 'nvec'], box: ['kind', 'shape', 'size', 'low', 'high'] } as const;

/**
 * Checks a space as thoroughly as the constructors do, whether it came from them or was written by hand
 * (`{ kind: 'discrete', n: 4 }`): kind, known keys only, integer sizes >= 1, a Box's size, bounds (Float32Array,
 * no NaN, low < high). Returns it unchanged; every entry that takes a space calls this.
 */
export function validateSpace(field: string, value: unknown): Space {
  if (!isSpace(value)) fail(field, 'a space (Box, Discrete or MultiDiscrete)', value);
  const space = value as Space;
  checkKeys(field, space, KEYS[space.kind]);
  switch (space.kind) {
    case 'discrete':
      checkInteger(`${field}.n`, space.n, 1);
      break;
    case 'multi_discrete':
      if (!Array.isArray(space.nvec) || space.nvec.length === 0) fail(`${field}.nvec`, 'a non-empty array of integers >= 1', space.nvec);
      space.nvec.forEach((n, i) => checkInteger(`${field}.nvec[${i}]`, n, 1));
      break;
    case 'box': {
      if (!Array.isArray(space.shape) || space.shape.length === 0) fail(`${field}.shape`, 'a non-empty array of sizes', space.shape);
      space.shape.forEach((d, i) => checkInteger(`${field}.shape[${i}]`, d, 1));
      const size = space.shape.reduce((a, b) => a * b, 1);
      if (space.size !== size) fail(`${field}.size`, `the product of shape (${size})`, space.size);
      for (const bound of ['low', 'high'] as const) {
        const array = space[bound];
        if (!(array instanceof Float32Array) || array.length !== size) fail(`${field}.${bound}`, `a Float32Array of length ${size} (Box() makes one)`, array);
      }
      for (let i = 0; i < size; i++) {
        if (!(space.low[i] < space.high[i])) fail(`${field}.low/high[${i}]`, 'low < high (no NaN)', `low ${space.low[i]}, high ${space.high[i]}`);
      }
    }
  }
  return space;
}

/** Whether the value names a known space kind (validateSpace checks the rest). */
export function isSpace(value: unknown): value is Space {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'discrete' || kind === 'multi_discrete' || kind === 'box';
}
