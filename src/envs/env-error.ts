// The error train() rejects with when the env fails: it names the env and the step, and keeps the env's own
// error as `cause`.
import { type ErrorCode, WebppoError } from '../errors.js';

/** An env threw, or answered with something the agent cannot take (a NaN reward, a short observation). */
export class EnvError extends WebppoError {
  /** The class's name, as `error.name` and stack traces show it. */
  override name = 'EnvError';
  /** Stable code for programs. */
  override readonly code: ErrorCode = 'E_ENV';
  /**
   * The message names the env, the step and the env's own error, which is kept as `cause` (a
   * `ValidationError` naming the field, the expected and the actual value when the env's answer was rejected).
   * @param cause What the env threw, or why its answer was rejected.
   */
  constructor(
    /** The env, as train() could name it (its spec id, or its class name). */
    readonly env: string,
    /** Env steps train() had completed before the failing one (0 = the first step of this call). */
    readonly step: number,
    cause: unknown,
    /** The agent of a multi-agent env whose answer was rejected (`'prey_3'`), when one is to blame. */
    readonly agent?: string,
  ) {
    super(`env ${env} failed at step ${step}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * A readable name for an env: its Gymnasium-style spec id or its name, else its class name, looking through
 * a vector env's first copy and wrappers (such as TimeLimit) down to the env itself.
 */
export function envName(env: unknown): string {
  for (let depth = 0; depth < 8 && typeof env === 'object' && env !== null; depth++) {
    const named = env as { spec?: { id?: unknown }; id?: unknown; name?: unknown; envs?: unknown; env?: unknown };
    const id = named.spec?.id ?? named.id ?? named.name;
    if (typeof id === 'string' && id !== '') return `'${id}'`;
    const inner = Array.isArray(named.envs) ? named.envs[0] : named.env;
    if (typeof inner !== 'object' || inner === null) {
      const cls = (env as object).constructor?.name;
      return cls && cls !== 'Object' ? cls : 'without a name';
    }
    env = inner;
  }
  return 'without a name';
}
