// Schedules for hyperparameters that change over training (learning rate, entropy coefficient, clip): plain
// JSON-able objects, so a checkpoint keeps them. `progress` is the fraction of training done, in [0, 1].
import { checkKeys, checkNumber, fail } from './errors.js';

/**
 * A value that changes over training, by progress p in [0, 1] (steps done / totalSteps): a plain number
 * (constant), or one of the objects {@link constant}, {@link linear} and {@link cosine} build. JSON-able, so
 * checkpoints keep it.
 * @property kind `'constant'`, `'linear'` or `'cosine'`.
 * @property value The constant's value.
 * @property from Value at progress 0.
 * @property to Value at progress 1.
 */
export type Schedule =
  | number
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'linear'; readonly from: number; readonly to: number }
  | { readonly kind: 'cosine'; readonly from: number; readonly to: number };

/** Schedules for the hyperparameters that may change during training; absent ones stay as configured. */
export interface Schedules {
  /** Replaces `ppo.learningRate` and its anneal. */
  learningRate?: Schedule;
  /** Replaces `ppo.entropyCoef`. */
  entropyCoef?: Schedule;
  /** Replaces `ppo.clipEpsilon` (in [0, 1], symmetric). */
  clipEpsilon?: Schedule;
}

/** A schedule that stays at `value`. */
export const constant = (value: number): Schedule => Object.freeze({ kind: 'constant', value });
/** A schedule going linearly from `from` (progress 0) to `to` (progress 1). */
export const linear = (from: number, to: number): Schedule => Object.freeze({ kind: 'linear', from, to });
/** Half a cosine from `from` (progress 0) to `to` (progress 1). */
export const cosine = (from: number, to: number): Schedule => Object.freeze({ kind: 'cosine', from, to });

/** A schedule's value at `progress` (clamped to [0, 1]). */
export function scheduleValue(schedule: Schedule, progress: number): number {
  const p = Math.min(1, Math.max(0, progress));
  if (typeof schedule === 'number') return schedule;
  switch (schedule.kind) {
    case 'constant': return schedule.value;
    case 'linear': return schedule.from + (schedule.to - schedule.from) * p;
    case 'cosine': return schedule.to + (schedule.from - schedule.to) * 0.5 * (1 + Math.cos(Math.PI * p));
  }
}

export function validateSchedule(field: string, schedule: unknown, min = 0, max = Infinity): Schedule {
  if (typeof schedule === 'number') return checkNumber(field, schedule, min, max);
  const s = schedule as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null) fail(field, 'a number or a schedule (constant, linear, cosine)', schedule);
  if (s.kind === 'constant') checkNumber(`${field}.value`, s.value, min, max);
  else if (s.kind === 'linear' || s.kind === 'cosine') {
    checkNumber(`${field}.from`, s.from, min, max);
    checkNumber(`${field}.to`, s.to, min, max);
  } else fail(`${field}.kind`, "'constant' | 'linear' | 'cosine'", s.kind);
  return schedule as Schedule;
}

const LIMITS: Record<keyof Schedules, [number, number]> = { learningRate: [0, Infinity], entropyCoef: [0, Infinity], clipEpsilon: [0, 1] };

export function validateSchedules(schedules: unknown, field = 'schedules'): Schedules {
  if (schedules === undefined) return {};
  checkKeys(field, schedules, Object.keys(LIMITS), '');
  const out: Schedules = {};
  for (const [key, value] of Object.entries(schedules as object)) {
    if (!(key in LIMITS)) fail(`${field}.${key}`, 'one of learningRate, entropyCoef, clipEpsilon', key);
    if (value === undefined) continue;
    const [min, max] = LIMITS[key as keyof Schedules];
    out[key as keyof Schedules] = validateSchedule(`${field}.${key}`, value, min, max);
  }
  return out;
}
