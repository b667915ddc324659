// An agent names its own fields (`numAgents`, `ppo.gamma`); inside a Behaviours container the user wrote them
// under `behaviours.<name>`, so errors are re-addressed to that path, keeping their class, code and details.
import { CheckpointError, describe, ValidationError } from '../errors.js';

/**
 * The same error with its field under `prefix` (`numAgents` -> `behaviours.hunter.numAgents`; an agent's
 * `options.<key>` for an unknown key -> `behaviours.hunter.<key>`). Errors without a field come back as they are.
 */
export function prefixField<E>(error: E, prefix: string): E {
  if (!(error instanceof ValidationError)) return error;
  const field = `${prefix}.${error.field.replace(/^options\./, '')}`;
  const message = `${field}: expected ${error.expected}, got ${describe(error.actual)}`;
  return copyError(error, { field, message });
}

/**
 * A checkpoint error about one behaviour's part: the message says which behaviour, and `field` names the
 * tensor or metadata field as the container file spells it (`hunter.actor.0.weight`).
 */
export function checkpointErrorOf(error: unknown, name: string): unknown {
  if (!(error instanceof CheckpointError)) return error;
  const message = error.message.replace(/^checkpoint: /, `checkpoint: behaviour ${name}: `);
  return new CheckpointError(message.startsWith('checkpoint:') ? message : `checkpoint: behaviour ${name}: ${message}`, error.field === undefined ? name : `${name}.${error.field}`);
}

/** A copy of `error` (same prototype, so the same class and code) with some properties replaced. */
function copyError<E extends Error>(error: E, changes: { field: string; message: string }): E {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error)) as E, error, { field: changes.field });
  Object.defineProperty(copy, 'message', { value: changes.message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(copy, 'stack', { value: `${copy.name}: ${changes.message}\n${(error.stack ?? '').split('\n').slice(1).join('\n')}`, writable: true, configurable: true, enumerable: false });
  if (error.cause !== undefined) Object.defineProperty(copy, 'cause', { value: error.cause, writable: true, configurable: true, enumerable: false });
  return copy;
}
