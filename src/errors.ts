// The documented error classes, each with a stable `code`, and the helpers every public entry validates its
// input with: each error names the user's field, the expected value and the actual one, and is thrown before
// any state changes.

/** The stable codes of webppo's errors (`error.code`): match on these, not on messages. */
export type ErrorCode = 'E_VALIDATION' | 'E_UNKNOWN_OPTION' | 'E_STATE' | 'E_SIZE' | 'E_CHECKPOINT' | 'E_DEVICE_LOST' | 'E_ENV' | WorkerErrorCode;

/** The base of every error webppo throws on purpose; `code` tells them apart. */
export class WebppoError extends Error {
  /** The class's name, as `error.name` and stack traces show it. */
  override name = 'WebppoError';
  /** The stable code to match on; each subclass sets its own. */
  readonly code: ErrorCode = 'E_VALIDATION';
}

/**
 * `E_VALIDATION`: a bad argument or option. `field` is the user's name for it (`ppo.gamma`,
 * `observations[agent 3, 1]`), `expected` what would have been accepted, `actual` what was given.
 */
export class ValidationError extends WebppoError {
  /** The class's name, as `error.name` and stack traces show it. */
  override name = 'ValidationError';
  /** Always `E_VALIDATION`. */
  override readonly code: ErrorCode = 'E_VALIDATION';
  /** The message reads `field: expected <expected>, got <actual>`. */
  constructor(
    /** The user's name for the bad value (`ppo.gamma`, `observations[agent 3, 1]`). */
    readonly field: string,
    /** What would have been accepted. */
    readonly expected: string,
    /** What was given. */
    readonly actual: unknown,
  ) {
    super(`${field}: expected ${expected}, got ${describe(actual)}`);
  }
}

/** `E_UNKNOWN_OPTION`: an options object has a key webppo does not know (a typo); `accepted` lists the known ones. */
export class UnknownOptionError extends ValidationError {
  /** The class's name, as `error.name` and stack traces show it. */
  override name = 'UnknownOptionError';
  /** Always `E_UNKNOWN_OPTION`. */
  override readonly code: ErrorCode = 'E_UNKNOWN_OPTION';
  /**
   * @param field The unknown key's full path (`ppo.gama`); `actual` becomes its last segment.
   * @param accepted The keys the options object accepts.
   * @param noun What a key is called in the message (`field`, `option`); empty for a plain `one of ...`.
   */
  constructor(field: string, readonly accepted: readonly string[], noun = 'field') {
    super(field, noun ? `a known ${noun} (${accepted.join(', ')})` : `one of ${accepted.join(', ')}`, field.slice(field.lastIndexOf('.') + 1));
  }
}

/** `E_STATE`: a call at the wrong time (a second act() before observe(), an agent used after dispose()). */
export class StateError extends ValidationError {
  /** The class's name, as `error.name` and stack traces show it. */
  override name = 'StateError';
  /** Always `E_STATE`. */
  override readonly code: ErrorCode = 'E_STATE';
}

/**
 * `E_SIZE`: the sizes asked for need more memory than wasm memory (or a typed array) can hold; nothing was
 * allocated. `bytes` is what was needed, `limit` what fits.
 */
export class SizeError extends ValidationError {
  /** The class's name, as `error.name` and stack traces show it. */
  override name = 'SizeError';
  /** Always `E_SIZE`. */
  override readonly code: ErrorCode = 'E_SIZE';
  /**
   * @param field The option whose size is too large.
   * @param expected What would have fit.
   * @param actual What was given.
   * @param bytes The bytes the sizes asked for would need.
   * @param limit The bytes that fit (wasm memory's or a typed array's maximum).
   */
  constructor(field: string, expected: string, actual: unknown, readonly bytes: number, readonly limit: number) {
    super(field, expected, actual);
  }
}

/**
 * `E_CHECKPOINT`: bytes that are not a valid webppo checkpoint (truncated, corrupted, edited, or holding a
 * value no agent could have saved). `field` names the tensor or metadata field when one is to blame.
 */
export class CheckpointError extends WebppoError {
  /** The class's name, as `error.name` and stack traces show it. */
  override name = 'CheckpointError';
  /** Always `E_CHECKPOINT`. */
  override readonly code: ErrorCode = 'E_CHECKPOINT';
  /**
   * @param message What is wrong with the bytes.
   * @param field The tensor or metadata field to blame, when there is one.
   */
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

/** A value as an error message shows it: numbers as written (Infinity, NaN), objects by their keys or JSON. */
export function describe(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'bigint') return `${value}n (a bigint)`;
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length ?? value.byteLength}`;
  if (value instanceof ArrayBuffer) return `an ArrayBuffer of ${value.byteLength} bytes`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    const prefix = name && name !== 'Object' ? `a ${name} ` : 'an object ';
    return prefix + snippet(value);
  }
  return String(value);
}

function snippet(value: object): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // bounds as written, not null
      if (typeof v === 'bigint') return `${v}n`;
      if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>).map((x) => (Number.isFinite(x) ? x : String(x)));
      return v;
    });
  } catch {
    text = `{ ${Object.keys(value).join(', ')} }`;
  }
  if (text === undefined) text = `{ ${Object.keys(value).join(', ')} }`;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function fail(field: string, expected: string, actual: unknown): never {
  throw new ValidationError(field, expected, actual);
}

/** Throws a StateError: `field` is the call, `expected` what must come first. */
export function failState(field: string, expected: string, actual: unknown): never {
  throw new StateError(field, expected, actual);
}

/** A plain object (not null, not an array): the form every options argument takes. */
export function checkObject<T>(field: string, value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) fail(field, 'an object', value);
  return value;
}

/** An options object whose keys are all known: a typo is named with the accepted keys listed. */
export function checkKeys<T>(field: string, value: T, known: readonly string[], noun = 'field'): T {
  checkObject(field, value);
  for (const key of Object.keys(value as object)) {
    if (!known.includes(key)) throw new UnknownOptionError(`${field}.${key}`, known, noun);
  }
  return value;
}

/** Optional options: undefined becomes {}, anything else must be an object with known keys. */
export function checkOptions<T extends object>(field: string, value: T | undefined, known: readonly string[]): Partial<T> {
  if (value === undefined) return {};
  return checkKeys(field, value, known, 'option');
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

/** Why a training worker (trainInWorker) failed; each is a stable `code`. */
export type WorkerErrorCode =
  /** The worker script could not be loaded or threw (a wrong URL, a bundler that dropped the file, a crash). */
  | 'E_WORKER'
  /** A message between the page and the worker could not be deserialized. */
  | 'E_WORKER_MESSAGE'
  /** The worker did not answer within the start-up timeout. */
  | 'E_WORKER_START_TIMEOUT'
  /** The worker (a Node worker thread) exited while the trainer still used it. */
  | 'E_WORKER_EXITED'
  /** This runtime has no way to start a worker (neither Web Workers nor node:worker_threads). */
  | 'E_WORKER_UNSUPPORTED';

/**
 * A training worker failed: `Agent.create` / `Agent.load` reject with it instead of waiting forever, and an
 * agent whose worker dies mid-training rejects its pending and later updates with it.
 */
export class WorkerError extends WebppoError {
  /** The class's name, as `error.name` and stack traces show it. */
  override name = 'WorkerError';
  /**
   * @param code Why the worker failed.
   * @param message What happened; the error's message prefixes it with `webppo: trainInWorker: `.
   * @param options `cause`: the underlying error, when there is one.
   */
  constructor(
    override readonly code: WorkerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`webppo: trainInWorker: ${message}`, options);
  }
}
