// Built-in envs by Gymnasium id, each wrapped in its registered time limit.
import { fail } from '../errors.js';
import { CartPole } from './cartpole.js';
import { DuelVsBaseline } from './duel/vs-baseline.js';
import type { Env } from './env.js';
import { Pendulum } from './pendulum.js';
import { TimeLimit } from './time-limit.js';

const REGISTRY: Record<string, () => Env> = {
  'CartPole-v1': () => new TimeLimit(new CartPole(), 500),
  'Pendulum-v1': () => new TimeLimit(new Pendulum(), 200),
  'PaddleDuel-v0': () => new DuelVsBaseline(),
};

/** The ids `makeEnv` knows: `CartPole-v1`, `Pendulum-v1` and `PaddleDuel-v0` (a paddle duel against the scripted baseline). */
export const ENV_IDS: readonly string[] = Object.freeze(Object.keys(REGISTRY));

/**
 * A built-in env by its Gymnasium id, wrapped in its registered time limit (CartPole-v1: 500 steps,
 * Pendulum-v1: 200; PaddleDuel-v0, a {@link DuelVsBaseline}, ends each game itself); an unknown id throws a `ValidationError` listing the known ones.
 * @example
 * ```ts
 * import { makeEnv } from 'webppo';
 * const env = makeEnv('CartPole-v1');
 * const { observation } = env.reset({ seed: 1 });
 * const { reward, terminated } = env.step(0);
 * ```
 */
export function makeEnv(id: string): Env {
  const make = Object.hasOwn(REGISTRY, id) ? REGISTRY[id] : fail('env id', `one of ${ENV_IDS.join(', ')}`, id);
  return make();
}
