// Behaviour names: they key the options, the events and the checkpoint, where each one prefixes its
// behaviour's tensor and metadata names (`hunter.actor.0.weight`), so they must stay plain identifiers.
import { fail } from '../errors.js';

/** A behaviour name: a letter, then up to 63 letters, digits, `_` or `-` (no `.`: it separates the prefix). */
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** What a valid name looks like, as error messages say it. */
export const NAME_RULE = 'a letter, then up to 63 letters, digits, _ or -';

/** Whether `name` may name a behaviour. */
export function isBehaviourName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/**
 * The names of a `{ name: value }` map, checked: at least one, each a valid name. Object keys are unique
 * by construction, so a list (from a checkpoint) is checked for repeats as well.
 */
export function checkBehaviourNames(field: string, names: readonly unknown[]): string[] {
  if (names.length === 0) fail(field, 'at least one behaviour', 'none');
  const seen = new Set<string>();
  for (const name of names) {
    if (!isBehaviourName(name)) fail(field, `behaviour names of ${NAME_RULE}`, name);
    if (seen.has(name)) fail(field, 'unique behaviour names', `${name} twice`);
    seen.add(name);
  }
  return [...seen];
}
