// Standalone advantage math over caller-owned arrays (copied into wasm and back: not a hot path; the
// RolloutBuffer computes in place). Formulas: DESIGN.md "GAE with V-trace clipping".
import { checkArray, checkInteger, checkKeys, checkNumber, fail } from '../errors.js';
import { wasm } from '../init.js';
import { memoryBuffer } from '../wasm-memory.js';
import { copyOutFloat32, withBlocks } from './wasm-blocks.js';

/** Input of {@link computeAdvantages}: numSteps x numEnvs rows, time-major (row = t * numEnvs + e). */
export interface AdvantageInput {
  /** Reward of each row. */
  rewards: Float32Array;
  /** Value the critic predicted for each row's observation. */
  values: Float32Array;
  /** 0/1 per row: the episode ended in a terminal state (bootstrap from 0). */
  terminated: Uint8Array;
  /** 0/1 per row: the episode was cut short (bootstrap from `bootstrapValues`). */
  truncated: Uint8Array;
  /** Per row, the value of the final observation of a truncated episode (0 elsewhere). */
  bootstrapValues: Float32Array;
  /** numEnvs values of the observation after the last step. */
  lastValues: Float32Array;
  /** Time steps (T). */
  numSteps: number;
  /** Envs per time step (N). */
  numEnvs: number;
  /** Discount factor, in [0, 1]. */
  gamma: number;
  /** GAE lambda, in [0, 1]. */
  gaeLambda: number;
  /** Per-row importance ratios for V-trace; absent = 1 (plain GAE). */
  ratios?: Float32Array;
  /**
   * V-trace clip of the ratio weighting each TD error.
   * @default 1
   */
  rhoClip?: number;
  /**
   * V-trace clip of the ratio carrying the trace back in time.
   * @default 1
   */
  cClip?: number;
}

export interface AdvantageParameters {
  gamma: number;
  gaeLambda: number;
  rhoClip: number;
  cClip: number;
}

/** Checks gamma, gaeLambda and the clips; returns them with the clip defaults (1) filled in. */
export function checkAdvantageParameters(input: { gamma: unknown; gaeLambda: unknown; rhoClip?: unknown; cClip?: unknown }): AdvantageParameters {
  return {
    gamma: checkNumber('gamma', input.gamma, 0, 1),
    gaeLambda: checkNumber('gaeLambda', input.gaeLambda, 0, 1),
    rhoClip: input.rhoClip === undefined ? 1 : checkPositive('rhoClip', input.rhoClip),
    cClip: input.cClip === undefined ? 1 : checkPositive('cClip', input.cClip),
  };
}

export function checkPositive(field: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) fail(field, 'a finite number > 0', value);
  return value;
}

/** Ratios must be finite and > 0 (they are exp of a clamped log-ratio). */
export function checkRatios(field: string, ratios: unknown, rows: number): Float32Array {
  const array = checkArray(field, ratios, Float32Array, rows);
  for (let i = 0; i < rows; i++) if (!(array[i] > 0)) fail(`${field}[${i}]`, 'a ratio > 0', array[i]);
  return array;
}

export function checkFlags(field: string, flags: unknown, length: number): Uint8Array {
  const array = checkArray(field, flags, Uint8Array, length);
  for (let i = 0; i < length; i++) if (array[i] > 1) fail(`${field}[${i}]`, '0 or 1', array[i]);
  return array;
}

const ADVANTAGE_INPUT = ['rewards', 'values', 'terminated', 'truncated', 'bootstrapValues', 'lastValues', 'numSteps', 'numEnvs', 'gamma', 'gaeLambda', 'ratios', 'rhoClip', 'cClip'];

/**
 * Advantages (with V-trace when ratios are given) and returns = A + V computed with ratio 1, as DESIGN.md
 * defines them. Returns fresh arrays.
 * @property advantages One advantage per row.
 * @property returns One value target per row (advantages + values, ratio 1).
 */
export function computeAdvantages(input: AdvantageInput): { advantages: Float32Array; returns: Float32Array } {
  checkKeys('computeAdvantages(input)', input, ADVANTAGE_INPUT);
  const T = checkInteger('numSteps', input.numSteps, 1);
  const N = checkInteger('numEnvs', input.numEnvs, 1);
  const rows = T * N;
  const p = checkAdvantageParameters(input);
  const rewards = checkArray('rewards', input.rewards, Float32Array, rows);
  const values = checkArray('values', input.values, Float32Array, rows);
  const terminated = checkFlags('terminated', input.terminated, rows);
  const truncated = checkFlags('truncated', input.truncated, rows);
  const bootstrap = checkArray('bootstrapValues', input.bootstrapValues, Float32Array, rows);
  const lastValues = checkArray('lastValues', input.lastValues, Float32Array, N);
  const ratios = input.ratios === undefined ? undefined : checkRatios('ratios', input.ratios, rows);
  return withBlocks(({ alloc, copyIn }) => {
    const pr = copyIn(rewards), pv = copyIn(values), pt = copyIn(terminated), pu = copyIn(truncated);
    const pb = copyIn(bootstrap), pl = copyIn(lastValues);
    const pa = alloc(rows * 4), pret = alloc(rows * 4);
    const w = wasm();
    // Returns always come from the ratio-1 pass (DESIGN.md); with ratios, a second pass rewrites the advantages.
    w.gaeVtrace(T, N, pr, pv, pt, pu, pb, pl, 0, p.gamma, p.gaeLambda, p.rhoClip, p.cClip, pa, pret);
    if (ratios) w.gaeVtrace(T, N, pr, pv, pt, pu, pb, pl, copyIn(ratios), p.gamma, p.gaeLambda, p.rhoClip, p.cClip, pa, 0);
    return { advantages: copyOutFloat32(pa, rows), returns: copyOutFloat32(pret, rows) };
  });
}

/**
 * (A - mean) / (std + 1e-8) in place (std unbiased, 0 for one element). Arrays that lie in wasm memory, such
 * as RolloutBuffer.advantages, are normalized where they are; others are copied through wasm.
 */
export function normalizeAdvantages(advantages: Float32Array): Float32Array {
  const a = checkArray('advantages', advantages, Float32Array, (advantages as Float32Array)?.length ?? 0);
  if (a.length === 0) return a;
  withBlocks(({ address }) => {
    const ptr = address(a);
    wasm().normalizeAdvantages(ptr, a.length);
    if (ptr !== a.byteOffset || a.buffer !== memoryBuffer()) a.set(new Float32Array(memoryBuffer(), ptr, a.length));
  });
  return a;
}

/** 1 - var(R - V) / var(R); 0 when var(R) = 0. */
export function explainedVariance(values: Float32Array, returns: Float32Array): number {
  const v = checkArray('values', values, Float32Array, (values as Float32Array)?.length ?? 0);
  const r = checkArray('returns', returns, Float32Array, v.length);
  if (v.length === 0) return 0;
  return withBlocks(({ address }) => wasm().explainedVariance(address(v), address(r), v.length));
}
