// CartPole-v1 with Gymnasium's dynamics (Barto, Sutton & Anderson 1983, explicit Euler, tau 0.02): a pole
// on a cart pushed left (0) or right (1) by 10 N; +1 per step including the terminating one; terminated
// when |x| > 2.4 or |theta| > 12 degrees. Float64 state, float32 observations, as Gymnasium does.
import { fail } from '../errors.js';
import { PCG32 } from '../rng.js';
import { Box, Discrete } from '../spaces.js';
import type { Env, EnvAction, ResetResult, StepResult } from './env.js';

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_CART + MASS_POLE;
const LENGTH = 0.5; // half the pole's length
const POLE_MASS_LENGTH = MASS_POLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
export const CARTPOLE_THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
export const CARTPOLE_X_THRESHOLD = 2.4;

/**
 * CartPole with Gymnasium's CartPole-v1 dynamics: push the cart left (0) or right (1), +1 per step, terminated
 * when the cart leaves [-2.4, 2.4] or the pole tilts past 12 degrees. No time limit of its own:
 * `makeEnv('CartPole-v1')` wraps it in a 500-step {@link TimeLimit}.
 */
export class CartPole implements Env {
  /** `Box(4)`: cart position, cart velocity, pole angle, pole angular velocity. */
  readonly observationSpace = Box(4,
    [-CARTPOLE_X_THRESHOLD * 2, -Infinity, -CARTPOLE_THETA_THRESHOLD * 2, -Infinity],
    [CARTPOLE_X_THRESHOLD * 2, Infinity, CARTPOLE_THETA_THRESHOLD * 2, Infinity]);
  /** `Discrete(2)`: push left (0) or right (1). */
  readonly actionSpace = Discrete(2);
  /** [x, x_dot, theta, theta_dot] */
  readonly state = new Float64Array(4);
  private rng = new PCG32(0);
  private done = true;

  /** Starts an episode (state uniform in [-0.05, 0.05]); a seed re-seeds the generator. */
  reset(options: { seed?: number } = {}): ResetResult {
    if (options.seed !== undefined) this.rng = new PCG32(options.seed);
    for (let i = 0; i < 4; i++) this.state[i] = -0.05 + 0.1 * this.rng.nextFloat();
    this.done = false;
    return { observation: Float32Array.from(this.state), info: {} };
  }

  /** Applies the action for one 0.02 s step. */
  step(action: EnvAction): StepResult {
    if (action !== 0 && action !== 1) fail('CartPole-v1 action', '0 or 1', action);
    if (this.done) throw new Error('CartPole-v1: call reset() before step() (the episode has ended)');
    let [x, xDot, theta, thetaDot] = this.state;
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + POLE_MASS_LENGTH * thetaDot ** 2 * sin) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sin - cos * temp) / (LENGTH * (4.0 / 3.0 - (MASS_POLE * cos ** 2) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
    x += TAU * xDot;
    xDot += TAU * xAcc;
    theta += TAU * thetaDot;
    thetaDot += TAU * thetaAcc;
    this.state.set([x, xDot, theta, thetaDot]);
    const terminated = x < -CARTPOLE_X_THRESHOLD || x > CARTPOLE_X_THRESHOLD
      || theta < -CARTPOLE_THETA_THRESHOLD || theta > CARTPOLE_THETA_THRESHOLD;
    this.done = terminated;
    return { observation: Float32Array.from(this.state), reward: 1, terminated, truncated: false, info: {} };
  }
}
