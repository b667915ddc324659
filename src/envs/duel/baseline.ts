// The scripted opponent of the paddle duel: it predicts where the ball will meet its paddle (walls included)
// and moves there at the paddle's speed, but only once the ball comes toward it past `reactAt` (a late
// reaction, as a human's), and it hits the ball off-center by a pseudo-random amount fixed for each approach
// (so its returns vary). It returns most balls; a player who aims steep shots to the far side beats it.
import { DUEL_ACTIONS } from './paddle-duel.js';
import { DUEL_PHYSICS, type DuelPhysics, foldY } from './physics.js';

/** Options of {@link duelBaseline}. */
export interface DuelBaselineOptions {
  /** The baseline reacts to a ball coming toward it once the ball's (mirrored) x is below this (default 0). */
  reactAt?: number;
  /** How far off its paddle's center it aims to hit, as a fraction of the half paddle (default 0.6). */
  aimSpread?: number;
  /** The physics of the duel it plays (default {@link DUEL_PHYSICS}). */
  physics?: DuelPhysics;
}

/**
 * The scripted baseline of {@link PaddleDuel}: an action (0 up, 1 stay, 2 down) for a side's mirrored
 * observation, so it plays either side. Deterministic and stateless.
 * @example
 * ```ts
 * import { PaddleDuel, duelBaseline } from 'webppo';
 * const env = new PaddleDuel();
 * let { observations } = env.reset({ seed: 1 });
 * while (env.agents.length > 0) {
 *   ({ observations } = env.step({ left: duelBaseline(observations.left), right: duelBaseline(observations.right) }));
 * }
 * ```
 */
export function duelBaseline(observation: ArrayLike<number>, options: DuelBaselineOptions = {}): number {
  const physics = options.physics ?? DUEL_PHYSICS;
  const reactAt = options.reactAt ?? 0;
  const aimSpread = options.aimSpread ?? 0.6;
  const x = observation[0];
  const y = observation[1];
  const vx = observation[2];
  const vy = observation[3];
  const own = observation[4];
  let target = 0; // wait in the middle
  if (vx < 0 && x < reactAt) {
    const face = -(physics.paddleX - physics.ballRadius);
    const contact = foldY(y + (vy * (face - x)) / vx, 1 - physics.ballRadius).y;
    target = contact - aimSpread * physics.paddleHalf * pseudoRandom(contact);
  }
  const deadband = (physics.paddleSpeed * physics.dt) / 2;
  return target > own + deadband ? DUEL_ACTIONS.up : target < own - deadband ? DUEL_ACTIONS.down : DUEL_ACTIONS.stay;
}

/** A number in [-1, 1] that looks random but depends only on `value` (the same every step of one approach). */
function pseudoRandom(value: number): number {
  const s = Math.sin(value * 12.9898 + 78.233) * 43758.5453;
  return 2 * (s - Math.floor(s)) - 1;
}
