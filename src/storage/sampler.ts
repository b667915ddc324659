// Prioritized sampling (DESIGN.md): p_i = priority_i^alpha, P_i = (p_i + 1e-6) / (sum p + 1e-6), draws with
// replacement proportional to p_i + 1e-6, weights w_i = (n P_i)^-beta. Runs in wasm (prefix sums + binary
// search) with the seeded PCG32 of src/rng.ts.
import { checkInteger, checkKeys, checkNumber, fail } from '../errors.js';
import { wasm } from '../init.js';
import { checkBlocks } from '../wasm-memory.js';
import { copyOutFloat32, copyOutInt32, seedU64, withBlocks } from './wasm-blocks.js';

/** The PCG32 stream every webppo plan draws from (the default of src/rng.ts). */
export const PLAN_STREAM = 54n;

/** Input of {@link samplePrioritized}. */
export interface PrioritizedInput {
  /** One non-negative priority per unit (row or segment), e.g. sum_t |A|. */
  priorities: Float32Array;
  /** Draws, with replacement. */
  count: number;
  /** Priority exponent: draw probability proportional to `priority^alpha` (0: uniform, weights 1). */
  alpha: number;
  /** Importance-weight exponent: `w = (n P)^-beta`. */
  beta: number;
  /** Seed of the PCG32 generator (a 64-bit bigint or a number). */
  seed: number | bigint;
}

/** Type and length only: the values are checked in wasm, where the draw reads them. */
export function checkPrioritiesType(field: string, priorities: unknown, length?: number): Float32Array {
  const given = priorities instanceof Float32Array ? priorities.length : 0;
  return checkArrayType(field, priorities, length ?? Math.max(1, given));
}

function checkArrayType(field: string, value: unknown, length: number): Float32Array {
  if (!(value instanceof Float32Array)) fail(field, `a Float32Array of length ${length}`, value);
  if (value.length !== length) fail(`${field}.length`, String(length), value.length);
  return value;
}

/**
 * Draws `count` indices with replacement, proportional to `priority^alpha + 1e-6` (Metta's prioritized
 * replay), with importance weights `(n P)^-beta`; prefix sums and binary search in wasm, O(log n) per draw.
 * Needs `await init()` first.
 * @property indices The drawn units.
 * @property weights The importance weight of each draw.
 */
export function samplePrioritized(input: PrioritizedInput): { indices: Int32Array; weights: Float32Array } {
  checkKeys('samplePrioritized(input)', input, ['priorities', 'count', 'alpha', 'beta', 'seed']);
  const priorities = checkPrioritiesType('priorities', input.priorities);
  const count = checkInteger('count', input.count, 1);
  const alpha = checkNumber('alpha', input.alpha, 0);
  const beta = checkNumber('beta', input.beta, 0, 1);
  const seed = seedU64('seed', input.seed);
  checkBlocks('count', [count * 4, count * 4, priorities.length * 8], count);
  return drawPrioritized(priorities, count, alpha, beta, seed);
}

/**
 * One wasm call over checked scalars; the priorities are read in place when they already lie in wasm memory
 * (such as RolloutBuffer.priorities()) and checked there (finite, >= 0) before any draw. Returns fresh arrays.
 */
export function drawPrioritized(priorities: Float32Array, count: number, alpha: number, beta: number, seed: bigint): { indices: Int32Array; weights: Float32Array } {
  return withBlocks(({ alloc, address }) => {
    const w = wasm();
    const pp = address(priorities);
    const bad = w.firstBelowOrNonFinite(pp, priorities.length, 0);
    if (bad >= 0) fail(`priorities[${bad}]`, 'a finite priority >= 0', priorities[bad]);
    const scratch = alloc(priorities.length * 8, false);
    const indices = alloc(count * 4, false), weights = alloc(count * 4, false);
    w.planPrioritized(priorities.length, pp, alpha, beta, count, seed, PLAN_STREAM, scratch, indices, weights);
    return { indices: copyOutInt32(indices, count), weights: copyOutFloat32(weights, count) };
  });
}
