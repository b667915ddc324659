import { beforeAll, describe, expect, it } from 'vitest';
import { init, wasm } from '../../src/init.js';
import { ValidationError } from '../../src/errors.js';
import { Box, Discrete, MultiDiscrete } from '../../src/spaces.js';
import { validateBatch } from '../../src/backend/validate.js';
import { RolloutBuffer, type RolloutStep } from '../../src/storage/rollout-buffer.js';
import { allocBlock, freeBlock } from '../../src/wasm-memory.js';
import { gaeReference, maxRelativeError, mulberry32, returnsReference } from './references.js';

beforeAll(() => init());

const N = 5, OBS = 3, T = 4;

/** A valid step for a MultiDiscrete([3, 2]) buffer with masks; env e at step t takes actions (t+e) % 3, e % 2. */
function step(t: number, rand = mulberry32(t + 1)): RolloutStep {
  const masks = new Uint8Array(N * 5).fill(1);
  masks[1 * 5 + ((t + 1) % 3 === 0 ? 1 : 0)] = 0; // env 1 forbids an action it does not take
  return {
    observations: Float32Array.from({ length: N * OBS }, () => rand() * 2 - 1),
    actions: Int32Array.from({ length: N * 2 }, (_, i) => (i % 2 === 0 ? (t + i / 2) % 3 : ((i - 1) / 2) % 2)),
    logProbs: Float32Array.from({ length: N }, () => -rand()),
    values: Float32Array.from({ length: N }, () => rand()),
    masks,
    rewards: Float32Array.from({ length: N }, () => rand() - 0.5),
    terminated: Uint8Array.from({ length: N }, (_, e) => (e === 2 && t === 1 ? 1 : 0)),
    truncated: Uint8Array.from({ length: N }, (_, e) => (e === 3 && t === 2 ? 1 : 0)),
    bootstrapValues: Float32Array.from({ length: N }, () => rand()),
  };
}

const make = () => RolloutBuffer.create({ numSteps: T, numEnvs: N, observationSize: OBS, actionSpace: MultiDiscrete([3, 2]), masks: true });

/** Everything observable about a buffer, copied. */
function snapshot(b: RolloutBuffer) {
  return {
    step: b.step, full: b.full,
    arrays: [b.observations, b.actions, b.logProbs, b.values, b.rewards, b.terminated, b.truncated, b.bootstrapValues, b.masks!, b.advantages, b.returns]
      .map((a) => Array.from(a)),
  };
}

describe('RolloutBuffer', () => {
  it('validates create options', () => {
    const ok = { numSteps: 2, numEnvs: 2, observationSize: 1, actionSpace: Discrete(2) };
    expect(() => RolloutBuffer.create({ ...ok, numSteps: 0 })).toThrow(/numSteps: expected an integer >= 1, got 0/);
    expect(() => RolloutBuffer.create({ ...ok, numEnvs: 1.5 })).toThrow(/numEnvs/);
    expect(() => RolloutBuffer.create({ ...ok, observationSize: -1 })).toThrow(/observationSize/);
    expect(() => RolloutBuffer.create({ ...ok, actionSpace: { kind: 'weird' } as never })).toThrow(/actionSpace: expected a space/);
    expect(() => RolloutBuffer.create({ ...ok, actionSpace: Box(2), masks: true })).toThrow(/masks: expected false for a Box action space/);
    expect(() => RolloutBuffer.create({ ...ok, masks: 1 as never })).toThrow(/masks: expected a boolean/);
  });

  it('stores whole steps and halves time-major, counting a step once both halves are in', () => {
    const b = make();
    const steps = [0, 1, 2, 3].map((t) => step(t));
    b.add(steps[0]);
    expect(b.step).toBe(1);
    b.addActing(steps[1]);
    expect(b.step).toBe(1);
    b.addOutcome(steps[1]);
    b.add(steps[2]);
    b.add({ ...steps[3], bootstrapValues: undefined, masks: undefined });
    expect(b.step).toBe(4);
    expect(b.full).toBe(true);
    for (let t = 0; t < T; t++) {
      const s = steps[t];
      expect(Array.from(b.observations.subarray(t * N * OBS, (t + 1) * N * OBS))).toEqual(Array.from(s.observations));
      expect(Array.from(b.actions.subarray(t * N * 2, (t + 1) * N * 2))).toEqual(Array.from(s.actions));
      // A step without masks is stored as all allowed.
      expect(Array.from(b.masks!.subarray(t * N * 5, (t + 1) * N * 5))).toEqual(t === 3 ? new Array(N * 5).fill(1) : Array.from(s.masks!));
      for (const k of ['logProbs', 'values', 'rewards', 'terminated', 'truncated'] as const) {
        expect(Array.from(b[k].subarray(t * N, (t + 1) * N))).toEqual(Array.from(s[k]));
      }
      expect(Array.from(b.bootstrapValues.subarray(t * N, (t + 1) * N))).toEqual(t === 3 ? [0, 0, 0, 0, 0] : Array.from(s.bootstrapValues!));
    }
    expect(b.actions).toBeInstanceOf(Int32Array);
    b.reset();
    expect(b.step).toBe(0);
    expect(b.full).toBe(false);
    b.dispose();
  });

  it('computes advantages in place (GAE and V-trace) and hands out a Batch of views', () => {
    const b = make();
    for (let t = 0; t < T; t++) b.add(step(t));
    const lastValues = Float32Array.from([0.5, -1, 2, 0, 1]);
    const ratios = Float32Array.from({ length: T * N }, (_, i) => 0.5 + (i % 7) * 0.25);
    const c = {
      numSteps: T, numEnvs: N, rewards: b.rewards.slice(), values: b.values.slice(), terminated: b.terminated.slice(),
      truncated: b.truncated.slice(), bootstrapValues: b.bootstrapValues.slice(), lastValues, gamma: 0.9, lambda: 0.8, rhoClip: 1.2, cClip: 0.9, ratios,
    };
    b.computeAdvantages({ lastValues, gamma: 0.9, gaeLambda: 0.8, rhoClip: 1.2, cClip: 0.9, ratios });
    expect(maxRelativeError(b.advantages, gaeReference(c))).toBeLessThan(1e-5);
    expect(maxRelativeError(b.returns, returnsReference(c))).toBeLessThan(1e-5);
    expect(Array.from(b.lastValues)).toEqual(Array.from(lastValues));

    const rowP = b.priorities('rows');
    expect(Array.from(rowP)).toEqual(Array.from(b.advantages, Math.abs));
    const segP = b.priorities('segments');
    for (let e = 0; e < N; e++) {
      let sum = 0;
      for (let t = 0; t < T; t++) sum += Math.abs(b.advantages[t * N + e]);
      expect(segP[e]).toBeCloseTo(sum, 5);
    }

    const batch = b.batch();
    const memory = wasm().memory.buffer;
    for (const view of [batch.observations, batch.actions, batch.logProbs, batch.values, batch.advantages, batch.returns, batch.masks!,
      batch.rewards!, batch.terminated!, batch.truncated!, batch.bootstrapValues!, batch.lastValues!]) expect(view.buffer).toBe(memory);
    expect(batch.advantages).toEqual(b.advantages);
    validateBatch(batch, { observationSize: OBS, actionSpace: MultiDiscrete([3, 2]) } as never);
    b.dispose();
  });

  it('refuses computeAdvantages on a partial buffer and bad options, leaving it unchanged', () => {
    const b = make();
    b.add(step(0));
    const before = snapshot(b);
    expect(() => b.computeAdvantages({ lastValues: new Float32Array(N), gamma: 0.99, gaeLambda: 0.95 })).toThrow(/buffer\.step: expected 4 \(a full buffer\), got 1/);
    for (let t = 1; t < T; t++) b.add(step(t));
    const full = snapshot(b);
    expect(() => b.computeAdvantages({ lastValues: new Float32Array(N).fill(NaN), gamma: 0.99, gaeLambda: 0.95 })).toThrow(/lastValues\[env 0\]: expected a finite number, got NaN/);
    expect(() => b.computeAdvantages({ lastValues: new Float32Array(N), gamma: 0.99, gaeLambda: 0.95, ratios: new Float32Array(3) })).toThrow(/ratios\.length/);
    expect(() => b.computeAdvantages({ lastValues: new Float32Array(N), gamma: -1, gaeLambda: 0.95 })).toThrow(/gamma/);
    const ratios = new Float32Array(T * N).fill(1);
    ratios[7] = 0;
    expect(() => b.computeAdvantages({ lastValues: new Float32Array(N), gamma: 0.99, gaeLambda: 0.95, ratios })).toThrow(/^ratios\[7\]: expected a finite ratio > 0, got 0$/);
    ratios[7] = Infinity;
    expect(() => b.computeAdvantages({ lastValues: new Float32Array(N), gamma: 0.99, gaeLambda: 0.95, ratios })).toThrow(/^ratios\[7\]/);
    expect(snapshot(b)).toEqual(full);
    expect(before.step).toBe(1);
    b.dispose();
  });

  describe('rejects bad steps naming field and row, leaving the buffer unchanged', () => {
    const cases: [string, (s: RolloutStep) => unknown, RegExp][] = [
      ['rewards NaN', (s) => { s.rewards[3] = NaN; }, /^rewards\[env 3\] at step 1: expected a finite number, got NaN$/],
      ['rewards wrong type', (s) => { s.rewards = [0, 0, 0, 0, 0] as never; }, /^rewards: expected a Float32Array of length 5, got an array of length 5$/],
      ['values Infinity', (s) => { s.values[0] = Infinity; }, /^values\[env 0\] at step 1: expected a finite number, got Infinity$/],
      ['values wrong length', (s) => { s.values = new Float32Array(4); }, /^values\.length: expected 5, got 4$/],
      ['observations NaN', (s) => { s.observations[2 * OBS + 1] = NaN; }, /^observations\[env 2, 1\] at step 1: expected a finite number/],
      ['logProbs -Infinity', (s) => { s.logProbs[4] = -Infinity; }, /^logProbs\[env 4\] at step 1/],
      ['bootstrapValues NaN', (s) => { s.bootstrapValues![1] = NaN; }, /^bootstrapValues\[env 1\] at step 1/],
      ['action out of range', (s) => { (s.actions as Int32Array)[2 * 2] = 3; }, /^actions\[env 2, 0\] at step 1: expected an integer in \[0, 2\], got 3$/],
      ['negative action', (s) => { (s.actions as Int32Array)[4 * 2 + 1] = -1; }, /^actions\[env 4, 1\] at step 1: expected an integer in \[0, 1\], got -1$/],
      ['float actions for a categorical space', (s) => { s.actions = new Float32Array(10); }, /^actions: expected a Int32Array of length 10/],
      ['mask forbids the taken action', (s) => { s.masks![0 * 5 + (s.actions as Int32Array)[0]] = 0; }, /^actions\[env 0, 0\] at step 1: expected an action the mask allows/],
      ['a branch with every action masked', (s) => { s.masks!.fill(0, 3 * 5 + 3, 3 * 5 + 5); }, /^masks\[env 3, 1\] at step 1: expected at least one allowed action per branch/],
      ['masks of the wrong length', (s) => { s.masks = new Uint8Array(24).fill(1); }, /^masks\.length: expected 25, got 24$/],
      ['terminated as booleans', (s) => { s.terminated = [false, false, false, false, false] as never; }, /^terminated: expected a Uint8Array of length 5 of 0\/1 flags \(boolean arrays are not accepted\)/],
      ['truncated flag 2', (s) => { s.truncated[1] = 2; }, /^truncated\[env 1\] at step 1: expected 0 or 1, got 2$/],
      ['not an object', () => null, /^step: expected an object/],
    ];
    for (const [name, corrupt, message] of cases) {
      it(name, () => {
        const b = make();
        b.add(step(0));
        const before = snapshot(b);
        const bad = step(1);
        const replaced = corrupt(bad);
        const input = replaced === null ? null : bad;
        let error: unknown;
        try { b.add(input as never); } catch (e) { error = e; }
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as Error).message).toMatch(message);
        expect(snapshot(b)).toEqual(before);
        // The same input through the halves: whichever half holds the bad field rejects it, unchanged.
        let acted = true;
        try { b.addActing(input as never); } catch (e) { acted = false; expect((e as Error).message).toMatch(message); }
        const mid = snapshot(b);
        if (!acted) expect(mid).toEqual(before);
        expect(() => b.addOutcome(input as never)).toThrow(acted ? message : /./);
        expect(snapshot(b)).toEqual(mid);
        expect(b.step).toBe(1);
        b.dispose();
      });
    }

    it('overfilling, halves out of order, and masks on a maskless buffer', () => {
      const b = make();
      for (let t = 0; t < T; t++) b.add(step(t));
      const full = snapshot(b);
      expect(() => b.add(step(0))).toThrow(/^addActing: expected a buffer with room \(step < 4\); call reset\(\) after the update, got "step 4"$/);
      expect(() => b.addActing(step(0))).toThrow(ValidationError);
      expect(() => b.addOutcome(step(0))).toThrow(/^addOutcome: expected addActing for step 4 first/);
      expect(snapshot(b)).toEqual(full);
      b.reset();
      b.addActing(step(0));
      const acted = snapshot(b);
      expect(() => b.addActing(step(0))).toThrow(/^addActing: expected addOutcome for step 0 first/);
      expect(() => b.add(step(0))).toThrow(/^addActing: expected addOutcome for step 0 first/);
      expect(snapshot(b)).toEqual(acted);
      b.dispose();

      const plain = RolloutBuffer.create({ numSteps: 2, numEnvs: N, observationSize: OBS, actionSpace: MultiDiscrete([3, 2]) });
      const before = Array.from(plain.observations);
      expect(() => plain.add(step(0))).toThrow(/^masks: expected undefined \(the buffer was created without masks\)/);
      expect(plain.step).toBe(0);
      expect(Array.from(plain.observations)).toEqual(before);
      plain.dispose();
    });
  });

  it('Box actions are floats, checked for finiteness only', () => {
    const b = RolloutBuffer.create({ numSteps: 2, numEnvs: 2, observationSize: 1, actionSpace: Box(2, -1, 1) });
    const s = {
      observations: new Float32Array(2), actions: Float32Array.from([5, -5, 0.5, 0]), logProbs: new Float32Array(2), values: new Float32Array(2),
      rewards: new Float32Array(2), terminated: new Uint8Array(2), truncated: new Uint8Array(2),
    };
    b.add(s);
    expect(b.actions).toBeInstanceOf(Float32Array);
    expect(Array.from(b.actions.subarray(0, 4))).toEqual([5, -5, 0.5, 0]);
    expect(() => b.add({ ...s, actions: Float32Array.from([0, NaN, 0, 0]) })).toThrow(/^actions\[env 0, 1\] at step 1: expected a finite number, got NaN$/);
    expect(() => b.add({ ...s, actions: new Int32Array(4) })).toThrow(/^actions: expected a Float32Array of length 4/);
    expect(() => b.add({ ...s, masks: new Uint8Array(4) })).toThrow(/^masks: expected undefined for a Box action space/);
    expect(b.step).toBe(1);
    b.dispose();
    expect(() => b.rewards).toThrow(/used after dispose/);
  });

  it('add allocates no wasm memory and keeps its views (no growth over many adds)', () => {
    const b = RolloutBuffer.create({ numSteps: 64, numEnvs: 32, observationSize: 8, actionSpace: Discrete(4) });
    const s = {
      observations: new Float32Array(32 * 8).fill(0.25), actions: new Int32Array(32).fill(3), logProbs: new Float32Array(32).fill(-1),
      values: new Float32Array(32), rewards: new Float32Array(32).fill(1), terminated: new Uint8Array(32), truncated: new Uint8Array(32),
    };
    for (let t = 0; t < 64; t++) b.add(s); // warm-up
    b.reset();
    const memory = wasm().memory;
    const buffer = memory.buffer, bytes = buffer.byteLength;
    const rewards = b.rewards;
    for (let round = 0; round < 20; round++) {
      for (let t = 0; t < 64; t++) {
        b.addActing(s);
        b.addOutcome(s);
      }
      b.reset();
    }
    expect(memory.buffer).toBe(buffer);
    expect(memory.buffer.byteLength).toBe(bytes);
    expect(b.rewards).toBe(rewards);
    b.dispose();
  });

  it('views follow wasm memory growth', () => {
    const b = make();
    b.add(step(0));
    const old = b.rewards;
    const expected = Array.from(old.subarray(0, N));
    const big = allocBlock(64 * 1024 * 1024);
    try {
      expect(old.length).toBe(0); // detached by the growth
      expect(Array.from(b.rewards.subarray(0, N))).toEqual(expected);
      b.add(step(1));
      expect(b.step).toBe(2);
    } finally {
      freeBlock(big);
      b.dispose();
    }
  });
});
