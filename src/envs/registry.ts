// Built-in envs by Gymnasium id, each wrapped in its registered time limit.
import { fail } from '../errors.js';
import { CartPole } from './cartpole.js';
import { CueRecall } from './cue-recall.js';
import { DuelVsBaseline } from './duel/vs-baseline.js';
import type { Env } from './env.js';
import { Pendulum } from './pendulum.js';
import { SelectObservation } from './select-observation.js';
import { TimeLimit } from './time-limit.js';

const REGISTRY: Record<string, () => Env> = {
  'CartPole-v1': () => new TimeLimit(new CartPole(), 500),
  'Pendulum-v1': () => new TimeLimit(new Pendulum(), 200),
  'PaddleDuel-v0': () => new DuelVsBaseline(),
  // The usual partially observed CartPole (POPGym's StatelessCartPole, sb3-contrib's CartPoleNoVel-v1 without
  // the zero padding): only cart position and pole angle, so the velocities must be inferred over time.
  'CartPoleNoVelocity-v1': () => new TimeLimit(new SelectObservation(new CartPole(), [0, 2]), 500),
  'CueRecall-v0': () => new CueRecall(),
};

/**
 * The ids `makeEnv` knows: `CartPole-v1`, `Pendulum-v1`, `PaddleDuel-v0` (a paddle duel against the scripted
 * baseline), and two that need memory (`network.memory`): `CartPoleNoVelocity-v1` (CartPole-v1 observing only
 * cart position and pole angle) and `CueRecall-v0` (a {@link CueRecall}: remember a cue over 5-20 steps).
 */
export const ENV_IDS: readonly string[] = Object.freeze(Object.keys(REGISTRY));

/**
 * A built-in env by its Gymnasium id, wrapped in its registered time limit (CartPole-v1 and
 * CartPoleNoVelocity-v1: 500 steps, Pendulum-v1: 200; PaddleDuel-v0, a {@link DuelVsBaseline}, and
 * CueRecall-v0, a {@link CueRecall}, end each episode themselves); an unknown id throws a `ValidationError`
 * listing the known ones. `CartPoleNoVelocity-v1` is `new TimeLimit(new SelectObservation(new CartPole(), [0, 2]), 500)`:
 * observation `Box(2)` (cart position, pole angle), the same dynamics, rewards and target (475) as CartPole-v1.
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
