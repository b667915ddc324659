import { describe, expect, it } from 'vitest';
import { CartPole } from '../../src/envs/cartpole.js';
import { Pendulum } from '../../src/envs/pendulum.js';
import { makeEnv, ENV_IDS } from '../../src/envs/registry.js';
import { SyncVectorEnv, vectorize } from '../../src/envs/vector.js';
import type { Env } from '../../src/envs/env.js';

// Gymnasium's published CartPole-v1 step (cartpole.py), float64.
function cartpoleReference(s: number[], action: number): { next: number[]; terminated: boolean } {
  const g = 9.8, mc = 1.0, mp = 0.1, total = mc + mp, l = 0.5, pml = mp * l, tau = 0.02;
  const [x, xd, th, thd] = s;
  const force = action === 1 ? 10 : -10;
  const c = Math.cos(th), sn = Math.sin(th);
  const temp = (force + pml * thd * thd * sn) / total;
  const thacc = (g * sn - c * temp) / (l * (4 / 3 - (mp * c * c) / total));
  const xacc = temp - (pml * thacc * c) / total;
  const next = [x + tau * xd, xd + tau * xacc, th + tau * thd, thd + tau * thacc];
  const limit = (12 * 2 * Math.PI) / 360;
  return { next, terminated: Math.abs(next[0]) > 2.4 || Math.abs(next[2]) > limit };
}

// Gymnasium's published Pendulum-v1 step (pendulum.py), float64.
function pendulumReference(s: number[], torque: number): { next: number[]; reward: number } {
  const u = Math.max(-2, Math.min(2, torque));
  const [th, thd] = s;
  const norm = th + Math.PI - 2 * Math.PI * Math.floor((th + Math.PI) / (2 * Math.PI)) - Math.PI;
  const cost = norm ** 2 + 0.1 * thd ** 2 + 0.001 * u ** 2;
  const newThd = Math.max(-8, Math.min(8, thd + ((3 * 10) / 2 * Math.sin(th) + 3 * u) * 0.05));
  return { next: [th + newThd * 0.05, newThd], reward: -cost };
}

describe('CartPole-v1', () => {
  it('follows the published equations on fixed states and actions, float32 observations', () => {
    const env = new CartPole();
    env.reset({ seed: 0 });
    const states = [[0, 0, 0, 0], [0.01, -0.2, 0.03, 0.4], [-1.2, 1.5, -0.15, -2], [2.39, 1, 0.1, 0.5], [0.2, 0.1, 0.2, 1]];
    for (const s of states) {
      for (const action of [0, 1]) {
        env.reset({ seed: 1 });
        env.state.set(s);
        const step = env.step(action);
        const ref = cartpoleReference(s, action);
        for (let k = 0; k < 4; k++) expect(env.state[k]).toBeCloseTo(ref.next[k], 14);
        expect(step.observation).toEqual(Float32Array.from(ref.next));
        expect(step.terminated).toBe(ref.terminated);
        expect(step.reward).toBe(1);
        expect(step.truncated).toBe(false);
      }
    }
  });

  it('terminates past |x| 2.4 or |theta| 12 degrees, and rejects bad actions and steps after the end', () => {
    const env = new CartPole();
    env.reset({ seed: 3 });
    env.state.set([2.399, 1, 0, 0]);
    expect(env.step(1).terminated).toBe(true);
    expect(() => env.step(1)).toThrow(/reset\(\)/);
    env.reset();
    expect(() => env.step(2)).toThrow(/CartPole-v1 action: expected 0 or 1, got 2/);
  });

  it('draws the initial state uniformly in [-0.05, 0.05], reproducibly for a seed', () => {
    const a = new CartPole(), b = new CartPole();
    const first = Array.from(a.reset({ seed: 42 }).observation);
    expect(Array.from(b.reset({ seed: 42 }).observation)).toEqual(first);
    expect(Array.from(b.reset({ seed: 43 }).observation)).not.toEqual(first);
    for (let i = 0; i < 200; i++) for (const v of Array.from(a.reset().observation)) expect(Math.abs(v)).toBeLessThanOrEqual(0.05);
  });

  it('is truncated at 500 steps by makeEnv (a balanced pole never falls)', () => {
    const env = makeEnv('CartPole-v1');
    env.reset({ seed: 0 });
    const inner = (env as unknown as { env: CartPole }).env;
    let steps = 0, result: ReturnType<typeof env.step>;
    do {
      inner.state.set([0, 0, 0, 0]);
      result = env.step(steps % 2);
      steps++;
    } while (!result.truncated && !result.terminated);
    expect(steps).toBe(500);
    expect(result.truncated).toBe(true);
    expect(result.terminated).toBe(false);
  });
});

describe('Pendulum-v1', () => {
  it('follows the published equations, clipping torque and speed, with the angle normalized', () => {
    const env = new Pendulum();
    env.reset({ seed: 0 });
    const cases: [number[], number][] = [[[0, 0], 0], [[Math.PI, 0], 1], [[3, 7.9], 2.5], [[-4, -7.9], -3], [[10, 1], 0.7], [[-10, -1], -1.5]];
    for (const [s, u] of cases) {
      env.state.set(s);
      const step = env.step(Float32Array.of(u));
      const ref = pendulumReference(s, Math.fround(u));
      expect(env.state[0]).toBeCloseTo(ref.next[0], 13);
      expect(env.state[1]).toBeCloseTo(ref.next[1], 13);
      expect(step.reward).toBeCloseTo(ref.reward, 12);
      expect(step.observation).toEqual(Float32Array.of(Math.cos(ref.next[0]), Math.sin(ref.next[0]), ref.next[1]));
      expect(step.terminated).toBe(false);
    }
  });

  it('starts in theta in [-pi, pi], thdot in [-1, 1], and is truncated at 200 steps by makeEnv', () => {
    const env = makeEnv('Pendulum-v1');
    env.reset({ seed: 7 });
    const inner = (env as unknown as { env: Pendulum }).env;
    for (let i = 0; i < 100; i++) {
      env.reset();
      expect(Math.abs(inner.state[0])).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(inner.state[1])).toBeLessThanOrEqual(1);
    }
    env.reset();
    let steps = 0, result: ReturnType<typeof env.step>;
    do { result = env.step([0]); steps++; } while (!result.truncated);
    expect(steps).toBe(200);
    expect(() => env.step([Number.NaN])).toThrow(/Pendulum-v1 action/);
  });
});

describe('makeEnv and SyncVectorEnv', () => {
  it('knows the built-in ids and names the unknown one', () => {
    expect(ENV_IDS).toEqual(['CartPole-v1', 'Pendulum-v1', 'PaddleDuel-v0', 'CartPoleNoVelocity-v1', 'CueRecall-v0']);
    expect(() => makeEnv('Pong-v5')).toThrow(/env id: expected one of CartPole-v1, Pendulum-v1, PaddleDuel-v0, CartPoleNoVelocity-v1, CueRecall-v0, got "Pong-v5"/);
  });

  it('autoresets ended envs in the same step and exposes their final observation', () => {
    const venv = vectorize(() => makeEnv('CartPole-v1'), 3);
    const single = [0, 1, 2].map(() => makeEnv('CartPole-v1'));
    const { observation } = venv.reset({ seed: 10 });
    single.forEach((env, e) => expect(Array.from(observation.subarray(e * 4, e * 4 + 4))).toEqual(Array.from(env.reset({ seed: 10 + e }).observation)));
    const actions = new Int32Array(3).fill(1); // always right: episodes end early
    let sawEnd = false;
    for (let t = 0; t < 40; t++) {
      const out = venv.step(actions);
      single.forEach((env, e) => {
        const step = env.step(1);
        expect(out.terminated[e]).toBe(step.terminated ? 1 : 0);
        if (step.terminated) {
          sawEnd = true;
          expect(Array.from(out.info.finalObservation!.subarray(e * 4, e * 4 + 4))).toEqual(Array.from(step.observation));
          expect(Array.from(out.observation.subarray(e * 4, e * 4 + 4))).toEqual(Array.from(env.reset().observation));
        } else {
          expect(Array.from(out.observation.subarray(e * 4, e * 4 + 4))).toEqual(Array.from(step.observation));
        }
      });
    }
    expect(sawEnd).toBe(true);
  });

  it('accepts plain-object envs and rejects wrong action counts and observation sizes', () => {
    let x = 0;
    const plain: Env = {
      observationSpace: { kind: 'box', shape: [1], size: 1, low: new Float32Array([-1]), high: new Float32Array([1]) },
      actionSpace: { kind: 'discrete', n: 2 },
      reset: () => ({ observation: [x = 0], info: {} }),
      step: (a) => ({ observation: [x += a as number], reward: 1, terminated: x >= 3, truncated: false, info: {} }),
    };
    const venv = new SyncVectorEnv([plain]);
    venv.reset();
    expect(() => venv.step(new Int32Array(2))).toThrow(/actions.length: expected 1, got 2/);
    const bad = new SyncVectorEnv([{ ...plain, reset: () => ({ observation: [0, 0], info: {} }) }]);
    expect(() => bad.reset()).toThrow(/env\[0\].reset\(\).observation.length: expected 1, got 2/);
  });
});
