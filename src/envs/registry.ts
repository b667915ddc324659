// Built-in envs by Gymnasium id, each wrapped in its registered time limit.
import { fail } from '../errors.js';
import { CartPole } from './cartpole.js';
import type { Env } from './env.js';
import { Pendulum } from './pendulum.js';
import { TimeLimit } from './time-limit.js';

const REGISTRY: Record<string, () => Env> = {
  'CartPole-v1': () => new TimeLimit(new CartPole(), 500),
  'Pendulum-v1': () => new TimeLimit(new Pendulum(), 200),
};

export const ENV_IDS: readonly string[] = Object.freeze(Object.keys(REGISTRY));

export function makeEnv(id: string): Env {
  const make = Object.hasOwn(REGISTRY, id) ? REGISTRY[id] : fail('env id', `one of ${ENV_IDS.join(', ')}`, id);
  return make();
}
