// Pendulum-v1 with Gymnasium's dynamics: swing a pendulum up with a torque in [-2, 2]; reward
// -(angle^2 + 0.1 thdot^2 + 0.001 u^2) with the angle normalized to [-pi, pi); never terminates.
import { checkNumber, fail } from '../errors.js';
import { PCG32 } from '../rng.js';
import { Box } from '../spaces.js';
import type { Env, EnvAction, ResetResult, StepResult } from './env.js';

const MAX_SPEED = 8;
const MAX_TORQUE = 2;
const DT = 0.05;
const G = 10.0;
const M = 1.0;
const L = 1.0;

/** Python's ((x + pi) % (2 pi)) - pi: the modulo takes the divisor's sign. */
export function angleNormalize(x: number): number {
  const period = 2 * Math.PI;
  return (((x + Math.PI) % period) + period) % period - Math.PI;
}

/**
 * Pendulum with Gymnasium's Pendulum-v1 dynamics: swing up and balance with a torque in [-2, 2]; reward
 * `-(theta^2 + 0.1 theta_dot^2 + 0.001 u^2)`. `makeEnv('Pendulum-v1')` wraps it in a 200-step {@link TimeLimit}.
 */
export class Pendulum implements Env {
  /** `Box(3)`: cos(theta), sin(theta), angular velocity (bounded by 8). */
  readonly observationSpace = Box(3, [-1, -1, -MAX_SPEED], [1, 1, MAX_SPEED]);
  /** `Box(1, -2, 2)`: the torque. */
  readonly actionSpace = Box(1, -MAX_TORQUE, MAX_TORQUE);
  /** [theta, theta_dot] */
  readonly state = new Float64Array(2);
  private rng = new PCG32(0);

  /** Starts an episode (angle uniform in [-pi, pi], velocity in [-1, 1]); a seed re-seeds the generator. */
  reset(options: { seed?: number } = {}): ResetResult {
    if (options.seed !== undefined) this.rng = new PCG32(options.seed);
    this.state[0] = -Math.PI + 2 * Math.PI * this.rng.nextFloat();
    this.state[1] = -1 + 2 * this.rng.nextFloat();
    return { observation: this.observation(), info: {} };
  }

  /** Applies the torque (clipped to [-2, 2]) for one 0.05 s step. */
  step(action: EnvAction): StepResult {
    const raw = typeof action === 'number' ? action : action.length === 1 ? action[0] : fail('Pendulum-v1 action', 'one torque', action);
    checkNumber('Pendulum-v1 action', raw);
    const u = Math.min(MAX_TORQUE, Math.max(-MAX_TORQUE, raw));
    const [th, thDot] = this.state;
    const cost = angleNormalize(th) ** 2 + 0.1 * thDot ** 2 + 0.001 * u ** 2;
    let newThDot = thDot + ((3 * G) / (2 * L) * Math.sin(th) + (3.0 / (M * L ** 2)) * u) * DT;
    newThDot = Math.min(MAX_SPEED, Math.max(-MAX_SPEED, newThDot));
    this.state[0] = th + newThDot * DT;
    this.state[1] = newThDot;
    return { observation: this.observation(), reward: -cost, terminated: false, truncated: false, info: {} };
  }

  private observation(): Float32Array {
    return Float32Array.of(Math.cos(this.state[0]), Math.sin(this.state[0]), this.state[1]);
  }
}
