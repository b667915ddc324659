// The paddle duel's world: a 2 x 2 field (x and y in [-1, 1]), the left paddle's face at x = -paddleX and the
// right one's at +paddleX, one ball bouncing off the top and bottom walls. Motion is integrated exactly within
// a step (straight lines folded at the walls), so the contact point on a paddle is exact and a player (or the
// baseline) can predict it.

/** The duel's physical constants (lengths in field units, the field being 2 x 2; speeds per second). */
export interface DuelPhysics {
  /** Seconds per step (fixed). */
  readonly dt: number;
  /** Half the paddle's length. */
  readonly paddleHalf: number;
  /** Distance of each paddle's face from the center line (the goal lines are at x = +-1). */
  readonly paddleX: number;
  /** The paddle's speed when moving. */
  readonly paddleSpeed: number;
  /** The ball's radius. */
  readonly ballRadius: number;
  /** The ball's speed after a serve. */
  readonly serveSpeed: number;
  /** The ball's speed grows by this factor at every paddle hit ... */
  readonly speedup: number;
  /** ... up to this speed. */
  readonly maxSpeed: number;
  /** Angle from the horizontal (radians) of a ball leaving a paddle's very end; the center sends it straight. */
  readonly maxBounceAngle: number;
  /** Serves leave the center at an angle uniform in [-serveAngle, serveAngle] (radians). */
  readonly serveAngle: number;
}

/** The default physics of {@link PaddleDuel} (tuned so the baseline returns most balls yet can be beaten by aiming). */
export const DUEL_PHYSICS: DuelPhysics = Object.freeze({
  dt: 1 / 30,
  paddleHalf: 0.15,
  paddleX: 0.95,
  paddleSpeed: 1.0,
  ballRadius: 0.025,
  serveSpeed: 1.2,
  speedup: 1.05,
  maxSpeed: 1.8,
  maxBounceAngle: (55 * Math.PI) / 180,
  serveAngle: (30 * Math.PI) / 180,
});

/**
 * Folds an unbounded straight-line y back into the field between walls at +-limit, as repeated reflections do.
 * Returns the folded y and the sign the vertical velocity ends with (1 unchanged, -1 flipped).
 */
export function foldY(y: number, limit: number): { y: number; sign: number } {
  const period = 4 * limit;
  const m = (((y + limit) % period) + period) % period;
  return m <= 2 * limit ? { y: m - limit, sign: 1 } : { y: 3 * limit - m, sign: -1 };
}
