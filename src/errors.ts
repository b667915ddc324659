// Every public entry validates its input with these helpers, so every error names the field, the
// expected value and the actual one, and is thrown before any state changes.

/**
 * Thrown for bad input, before any state changes: names the field, what was expected and what was given
 * (`numAgents: expected an integer >= 1, got 0`).
 */
export class ValidationError extends Error {
  /** Always `'ValidationError'`. */
  override name = 'ValidationError';
  /**
   * @param field - The input at fault, as the caller named it (`ppo.gamma`, `observations[agent 3, 1]`).
   * @param expected - What would have been accepted.
   * @param actual - The value that was given.
   */
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${field}: expected ${expected}, got ${describe(actual)}`);
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return String(value);
}

export function fail(field: string, expected: string, actual: unknown): never {
  throw new ValidationError(field, expected, actual);
}

export function checkInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

export function checkNumber(field: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(field, `a finite number in [${min}, ${max}]`, value);
  }
  return value;
}

export function checkBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(field, 'a boolean', value);
  return value;
}

export function checkOneOf<T extends string>(field: string, value: unknown, options: readonly T[]): T {
  if (typeof value !== 'string' || !options.includes(value as T)) fail(field, `one of ${options.map((o) => `'${o}'`).join(' | ')}`, value);
  return value as T;
}

type TypedArrayConstructor = Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor | Float64ArrayConstructor;

/** Checks an array's type and length, and (for floats) that every value is finite; names the first bad index. */
export function checkArray<T extends TypedArrayConstructor>(field: string, value: unknown, type: T, length: number, rowSize = 1): InstanceType<T> {
  if (!(value instanceof type)) fail(field, `a ${type.name} of length ${length}`, value);
  const array = value as InstanceType<T>;
  if (array.length !== length) fail(`${field}.length`, String(length), array.length);
  if (type === Float32Array || type === Float64Array) {
    for (let i = 0; i < array.length; i++) {
      if (!Number.isFinite(array[i])) fail(rowSize === 1 ? `${field}[${i}]` : `${field}[row ${Math.floor(i / rowSize)}, ${i % rowSize}]`, 'a finite number', array[i]);
    }
  }
  return array;
}
