// Schedules for hyperparameters that change over training (learning rate, entropy coefficient, clip): plain
// JSON-able objects, so a checkpoint keeps them. `progress` is the fraction of training done, in [0, 1].
import { checkKeys, checkNumber, fail } from './errors.js';

export type Schedule =
  | number
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'linear'; readonly from: number; readonly to: number }
  | { readonly kind: 'cosine'; readonly from: number; readonly to: number };

export interface Schedules {
  learningRate?: Schedule;
  entropyCoef?: Schedule;
  clipEpsilon?: Schedule;
}

export const constant = (value: number): Schedule => Object.freeze({ kind: 'constant', value });
export const linear = (from: number, to: number): Schedule => Object.freeze({ kind: 'linear', from, to });
/** Half a cosine from `from` (progress 0) to `to` (progress 1). */
export const cosine = (from: number, to: number): Schedule => Object.freeze({ kind: 'cosine', from, to });

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
