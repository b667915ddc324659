// The envs that need memory. CartPoleNoVelocity-v1 is checked against CartPole-v1 stepped alongside it (the
// same episodes, two entries of each observation); CueRecall is checked, for any cue count, delay range, seed
// and actions, to follow its rules and to show nothing of the cue after the first step, the property that
// holds every memoryless policy to chance.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CartPole } from '../../src/envs/cartpole.js';
import { CueRecall } from '../../src/envs/cue-recall.js';
import { makeEnv } from '../../src/envs/registry.js';
import { SelectObservation } from '../../src/envs/select-observation.js';
import type { TimeLimit } from '../../src/envs/time-limit.js';
import { ValidationError } from '../../src/errors.js';
import { Box, Discrete } from '../../src/spaces.js';

describe('CartPoleNoVelocity-v1', () => {
  it('is CartPole-v1 seen through cart position and pole angle: same episodes, rewards, ends and 500-step limit', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 60 }), (seed, pattern) => {
      const partial = makeEnv('CartPoleNoVelocity-v1');
      const full = makeEnv('CartPole-v1');
      const first = partial.reset({ seed }).observation;
      const reference = full.reset({ seed }).observation;
      expect(Array.from(first)).toEqual([reference[0], reference[2]]);
      let length = 0;
      for (let t = 0; t < 600; t++) {
        const action = pattern[t % pattern.length];
        length++;
        const a = partial.step(action);
        const b = full.step(action);
        expect(Array.from(a.observation)).toEqual([b.observation[0], b.observation[2]]);
        expect([a.reward, a.terminated, a.truncated]).toEqual([b.reward, b.terminated, b.truncated]);
        if (a.terminated || a.truncated) {
          if (a.truncated) expect(length).toBe(500);
          length = 0;
          const restart = partial.reset().observation;
          const referenceRestart = full.reset().observation;
          expect(Array.from(restart)).toEqual([referenceRestart[0], referenceRestart[2]]);
        }
      }
    }), { numRuns: 25 });
  });

  it('observes Box(2) with the bounds of cart position and pole angle, and acts like CartPole-v1', () => {
    const env = makeEnv('CartPoleNoVelocity-v1');
    const full = new CartPole().observationSpace;
    expect(env.observationSpace).toEqual(Box(2, [full.low[0], full.low[2]], [full.high[0], full.high[2]]));
    expect(env.actionSpace).toEqual(Discrete(2));
    env.reset({ seed: 1 });
    expect(() => env.step(2)).toThrow(/CartPole-v1 action: expected 0 or 1, got 2/);
  });

  it('reaches 500 steps when balanced and is truncated there', () => {
    const env = makeEnv('CartPoleNoVelocity-v1') as TimeLimit;
    const inner = (env.env as SelectObservation).env as CartPole;
    env.reset({ seed: 0 });
    let steps = 0, result: ReturnType<typeof env.step>;
    do {
      inner.state.set([0, 0, 0, 0]);
      result = env.step(steps % 2);
      steps++;
    } while (!result.truncated && !result.terminated);
    expect([steps, result.truncated, result.terminated]).toEqual([500, true, false]);
  });
});

describe('SelectObservation', () => {
  it('keeps the chosen entries in the chosen order', () => {
    const env = new SelectObservation(new CartPole(), [3, 0]);
    const full = new CartPole();
    const obs = env.reset({ seed: 5 }).observation;
    const ref = full.reset({ seed: 5 }).observation;
    expect(Array.from(obs)).toEqual([ref[3], ref[0]]);
    expect(env.keep).toEqual([3, 0]);
  });

  it('rejects what it cannot keep, naming the field, the expected and the actual value', () => {
    const cartpole = new CartPole();
    expect(() => new SelectObservation(cartpole, [])).toThrow(ValidationError);
    expect(() => new SelectObservation(cartpole, [])).toThrow(/SelectObservation keep: expected a non-empty array of indices/);
    expect(() => new SelectObservation(cartpole, [0, 4])).toThrow(/SelectObservation keep\[1\]: expected an integer in \[0, 3\], got 4/);
    expect(() => new SelectObservation(cartpole, [2, 2])).toThrow(/SelectObservation keep\[1\]: expected an index not already kept, got 2/);
    expect(() => new SelectObservation(cartpole, [1.5])).toThrow(/SelectObservation keep\[0\]/);
    expect(() => new SelectObservation(new CueRecall(), [0]).observationSpace).not.toThrow();
    const discrete = { ...cartpole, observationSpace: Discrete(3), reset: () => cartpole.reset(), step: () => cartpole.step(0) };
    expect(() => new SelectObservation(discrete, [0])).toThrow(/SelectObservation env.observationSpace: expected a Box, got "discrete"/);
  });
});

/** One episode of `env` with `answer(t)` as the action at step t; every observation and reward it gave. */
function episode(env: CueRecall, seed: number | undefined, answer: (t: number, first: Float32Array) => number) {
  const first = Float32Array.from(env.reset(seed === undefined ? {} : { seed }).observation);
  const observations = [first];
  const rewards: number[] = [];
  for (let t = 0; ; t++) {
    const step = env.step(answer(t, first));
    rewards.push(step.reward);
    if (step.terminated) return { observations, rewards, cue: env.cue, delay: env.delay };
    expect(step.truncated).toBe(false);
    observations.push(Float32Array.from(step.observation));
  }
}

describe('CueRecall', () => {
  const options = fc.record({
    cues: fc.integer({ min: 2, max: 8 }),
    minDelay: fc.integer({ min: 0, max: 12 }),
    extra: fc.integer({ min: 0, max: 12 }),
  });

  it('shows the cue once, then only blanks and the question: nothing after the first step depends on the cue', () => {
    fc.assert(fc.property(options, fc.integer({ min: 0, max: 2 ** 31 }), fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 30 }), ({ cues, minDelay, extra }, seed, actions) => {
      const env = new CueRecall({ cues, minDelay, maxDelay: minDelay + extra });
      for (let k = 0; k < 4; k++) {
        const run = episode(env, k === 0 ? seed : undefined, (t) => actions[t % actions.length] % cues);
        expect(run.delay).toBeGreaterThanOrEqual(minDelay);
        expect(run.delay).toBeLessThanOrEqual(minDelay + extra);
        expect(run.observations.length).toBe(run.delay + 2);
        const oneHot = new Float32Array(cues + 1);
        oneHot[run.cue] = 1;
        expect(run.observations[0]).toEqual(oneHot);
        // What a memoryless policy sees from step 1 on is a function of the delay alone.
        run.observations.slice(1).forEach((o, t) => {
          const expected = new Float32Array(cues + 1);
          if (t + 1 === run.delay + 1) expected[cues] = 1;
          expect(o).toEqual(expected);
        });
        const answer = actions[(run.delay + 1) % actions.length] % cues;
        expect(run.rewards).toEqual([...new Array(run.delay + 1).fill(0), answer === run.cue ? 1 : 0]);
      }
    }), { numRuns: 200 });
  });

  it('rewards remembering every time and a fixed guess at the chance level (cues and delays uniform)', () => {
    const env = new CueRecall({ cues: 4, minDelay: 2, maxDelay: 6 });
    expect(env.chance).toBe(0.25);
    const episodes = 4000;
    const cueCounts = new Array(4).fill(0);
    const delayCounts = new Array(7).fill(0);
    const guessed = new Array(4).fill(0);
    env.reset({ seed: 9 });
    for (let i = 0; i < episodes; i++) {
      const remembered = episode(env, undefined, (_t, first) => first.indexOf(1));
      expect(remembered.rewards.at(-1)).toBe(1);
      cueCounts[remembered.cue]++;
      delayCounts[remembered.delay]++;
    }
    for (let guess = 0; guess < 4; guess++) {
      for (let i = 0; i < episodes / 4; i++) guessed[guess] += episode(env, undefined, () => guess).rewards.at(-1)!;
    }
    // Chi-square with 3 and 4 degrees of freedom stays below 20 with probability > 0.999.
    const chi = (counts: number[], expected: number) => counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi(cueCounts, episodes / 4)).toBeLessThan(20);
    expect(delayCounts.slice(0, 2)).toEqual([0, 0]);
    expect(chi(delayCounts.slice(2), episodes / 5)).toBeLessThan(20);
    // Each fixed answer: 1000 episodes at p = 0.25 (sd 0.0137), within 4 sd of chance.
    for (const wins of guessed) expect(Math.abs(wins / (episodes / 4) - 0.25)).toBeLessThan(0.055);
  });

  it('is reproducible for a seed, and registered as CueRecall-v0 (4 cues, delay 5-20)', () => {
    const a = new CueRecall(), b = new CueRecall();
    const runs = (env: CueRecall) => [episode(env, 3, () => 0), episode(env, undefined, () => 1)].map((r) => [r.cue, r.delay]);
    expect(runs(a)).toEqual(runs(b));
    const registered = makeEnv('CueRecall-v0') as CueRecall;
    expect([registered.cues, registered.minDelay, registered.maxDelay]).toEqual([4, 5, 20]);
    expect(registered.observationSpace).toEqual(Box(5, 0, 1));
    expect(registered.actionSpace).toEqual(Discrete(4));
    expect(new CueRecall({ minDelay: 30 }).maxDelay).toBe(30);
  });

  it('rejects bad options and actions, and steps outside an episode, naming the field', () => {
    expect(() => new CueRecall({ cues: 1 })).toThrow(/CueRecall options.cues: expected an integer in \[2, 1024\], got 1/);
    expect(() => new CueRecall({ minDelay: -1 })).toThrow(/CueRecall options.minDelay/);
    expect(() => new CueRecall({ minDelay: 4, maxDelay: 3 })).toThrow(/CueRecall options.maxDelay: expected an integer in \[4, 1000000\], got 3/);
    expect(() => new CueRecall({ delay: 3 } as never)).toThrow(/CueRecall options.delay/);
    const env = new CueRecall({ cues: 3, minDelay: 0, maxDelay: 0 });
    expect(() => env.step(0)).toThrow(/call reset\(\) before step\(\)/);
    env.reset({ seed: 1 });
    expect(() => env.step(3)).toThrow(/CueRecall action: expected an integer in \[0, 2\], got 3/);
    expect(() => env.step(0.5)).toThrow(/CueRecall action/);
    env.step(0);
    expect(env.step(1).terminated).toBe(true);
    expect(() => env.step(0)).toThrow(/call reset\(\) before step\(\)/);
  });
});
