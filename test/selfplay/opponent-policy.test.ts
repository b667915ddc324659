// OpponentPolicy: actions for the listed slots equal a fresh CpuPolicy's on the same rows (sampled draws
// included), for discrete, masked multi-discrete and squashed Box spaces; switching parameters copies them
// in; a policy that normalizes does it with the statistics frozen with its parameters; acting allocates no
// wasm memory and keeps its arrays; bad input is named and changes nothing.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import { init, wasm } from '../../src/init.js';
import { initialParameters } from '../../src/policy/init.js';
import { networkLayout, type PolicySpec, resolveNetworkSpec } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { readSafetensors, type Tensor, writeSafetensors } from '../../src/policy/safetensors.js';
import { OpponentPolicy, SelfPlay } from '../../src/selfplay/index.js';
import { frozenPolicy } from '../../src/selfplay/opponent-policy.js';
import { type ActionSpace, actionSize, Box, Discrete, logitCount, MultiDiscrete } from '../../src/spaces.js';

beforeAll(async () => {
  await init();
});

const SLOTS = 9;

function spec(actionSpace: ActionSpace, distribution: 'normal' | 'tanh_normal' = 'normal'): PolicySpec {
  return { observationSize: 5, actionSpace, network: resolveNetworkSpec({ hidden: [16, 8], distribution }) };
}

function randomObservations(seed: number): Float32Array {
  const rng = new PCG32(seed, 9);
  return Float32Array.from({ length: SLOTS * 5 }, () => 2 * rng.nextNormal());
}

/** Random masks allowing at least one action per branch. */
function randomMasks(space: ActionSpace, seed: number): Uint8Array {
  const rng = new PCG32(seed, 10);
  const L = logitCount(space);
  const branches = space.kind === 'multi_discrete' ? space.nvec : [L];
  const masks = new Uint8Array(SLOTS * L);
  for (let s = 0; s < SLOTS; s++) {
    let at = s * L;
    for (const n of branches) {
      for (let k = 0; k < n; k++) masks[at + k] = rng.nextFloat() < 0.5 ? 1 : 0;
      masks[at + (rng.nextU32() % n)] = 1;
      at += n;
    }
  }
  return masks;
}

/** What a fresh CpuPolicy acting on exactly these rows gives (squashed for tanh_normal). */
function reference(cpu: CpuPolicy, policy: PolicySpec, observations: Float32Array, rows: number[], deterministic: boolean, masks?: Uint8Array): number[][] {
  const per = actionSize(policy.actionSpace);
  const L = policy.actionSpace.kind === 'box' ? 0 : logitCount(policy.actionSpace);
  const gathered = new Float32Array(rows.flatMap((r) => Array.from(observations.subarray(r * 5, r * 5 + 5))));
  const gatheredMasks = masks && new Uint8Array(rows.flatMap((r) => Array.from(masks.subarray(r * L, (r + 1) * L))));
  const n = rows.length;
  const out = {
    actions: policy.actionSpace.kind === 'box' ? new Float32Array(n * per) : new Int32Array(n * per),
    logProbs: new Float32Array(n), values: new Float32Array(n), squashedActions: new Float32Array(n * per),
  };
  cpu.act(gathered, out, { deterministic, masks: gatheredMasks });
  const source = policy.network.distribution === 'tanh_normal' && policy.actionSpace.kind === 'box' ? out.squashedActions : out.actions;
  return rows.map((_, i) => Array.from(source.subarray(i * per, (i + 1) * per)));
}

const cases: [string, PolicySpec, boolean][] = [
  ['discrete', spec(Discrete(4)), false],
  ['multi-discrete with masks', spec(MultiDiscrete([3, 2, 4])), true],
  ['box', spec(Box([2], -1, 1)), false],
  ['box, tanh_normal (squashed actions)', spec(Box([3], [-2, 0, -1], [2, 1, 3]), 'tanh_normal'), false],
];

describe('OpponentPolicy', () => {
  for (const [name, policy, masked] of cases) {
    it(`${name}: the listed slots get a fresh CpuPolicy's actions, sampled and deterministic, before and after load()`, () => {
      const layout = networkLayout(policy);
      const [a, b] = [initialParameters(layout, 3), initialParameters(layout, 4)];
      const per = actionSize(policy.actionSpace);
      const opponent = new OpponentPolicy(policy, a, { maxRows: SLOTS, seed: 21 });
      const fresh = new CpuPolicy(policy, { parameters: a, seed: 21 });
      const rows = Int32Array.of(7, 2, 5, 0);
      const actions = policy.actionSpace.kind === 'box' ? new Float32Array(SLOTS * per).fill(-9) : new Int32Array(SLOTS * per).fill(-9);
      for (const [step, parameters] of [[0, a], [1, a], [2, b], [3, b]] as const) {
        if (step === 2) {
          opponent.load(b);
          fresh.setParameters(b);
        }
        const observations = randomObservations(step);
        const masks = masked ? randomMasks(policy.actionSpace, step) : undefined;
        const count = step === 3 ? 2 : rows.length; // only the first `count` rows act
        for (const deterministic of [false, true]) {
          opponent.act(observations, rows, count, actions, { masks, deterministic });
          const expected = reference(fresh, policy, observations, Array.from(rows.subarray(0, count)), deterministic, masks);
          Array.from(rows.subarray(0, count)).forEach((slot, i) => expect(Array.from(actions.subarray(slot * per, (slot + 1) * per))).toEqual(expected[i]));
        }
        expect(parameters).toBe(step < 2 ? a : b);
      }
      for (const slot of [1, 3, 4, 6, 8]) expect(Array.from(actions.subarray(slot * per, (slot + 1) * per))).toEqual(new Array(per).fill(-9));
      opponent.dispose();
      fresh.dispose();
    });
  }

  it('acts with the parameters self-play chose: the same actions as a CpuPolicy built from the opponent snapshot', () => {
    const policy = spec(Discrete(5));
    const layout = networkLayout(policy);
    const sp = new SelfPlay({ saveSteps: 1, swapSteps: 1, playAgainstLatestModelRatio: 0 }, initialParameters(layout, 1), 3);
    const opponent = new OpponentPolicy(policy, sp.opponent().parameters, { maxRows: 4 });
    for (let i = 2; i < 6; i++) {
      const { swapped } = sp.onTrainedSteps(2, initialParameters(layout, i));
      expect(swapped).toBe(true);
      opponent.load(sp.opponent().parameters);
    }
    const observations = randomObservations(5).subarray(0, 4 * 5);
    const actions = new Int32Array(4);
    opponent.act(observations, Int32Array.of(0, 1, 2, 3), 4, actions, { deterministic: true });
    const check = new CpuPolicy(policy, { parameters: sp.opponent().parameters });
    expect(Array.from(actions)).toEqual(reference(check, policy, observations, [0, 1, 2, 3], true).flat());
    opponent.dispose();
    check.dispose();
  });

  it('normalizes with the statistics frozen with its parameters, whatever they are: a CpuPolicy on rows normalized by definition', () => {
    const policy = spec(Discrete(4));
    const layout = networkLayout(policy);
    const parameters = [initialParameters(layout, 7), initialParameters(layout, 8)];
    const stats = fc.record({
      mean: fc.array(fc.float({ min: -50, max: 50, noNaN: true }), { minLength: 5, maxLength: 5 }),
      var: fc.array(fc.float({ min: 0, max: 400, noNaN: true }), { minLength: 5, maxLength: 5 }),
    });
    const frozen = (p: Float32Array, s: { mean: number[]; var: number[] }) => frozenPolicy(p, { mean: Float64Array.from(s.mean), var: Float64Array.from(s.var), count: 1 });
    // float64 by definition, from the float32 values the frozen policy holds: clip((x - mean) / sqrt(var + 1e-8), -10, 10).
    const byDefinition = (observations: Float32Array, s: { mean: number[]; var: number[] }) => observations.map((x, i) => {
      const k = i % 5;
      const z = (x - Math.fround(s.mean[k])) / Math.sqrt(Math.fround(s.var[k]) + 1e-8);
      return Math.min(10, Math.max(-10, z));
    });
    fc.assert(fc.property(stats, stats, fc.integer({ min: 0, max: 1000 }), (first, second, seed) => {
      const opponent = new OpponentPolicy(policy, frozen(parameters[0], first), { maxRows: SLOTS, seed, normalizeObservations: true });
      const fresh = new CpuPolicy(policy, { parameters: parameters[0], seed });
      try {
        expect(opponent.parameterCount).toBe(layout.size + 10);
        const rows = Int32Array.of(4, 0, 8);
        const actions = new Int32Array(SLOTS);
        for (const [step, s] of [[0, first], [1, second]] as const) {
          if (step === 1) {
            opponent.load(frozen(parameters[1], s));
            fresh.setParameters(parameters[1]);
          }
          const observations = randomObservations(seed + step).map((x) => 20 * x);
          for (const deterministic of [false, true]) {
            opponent.act(observations, rows, 3, actions, { deterministic });
            const expected = reference(fresh, policy, byDefinition(observations, s), Array.from(rows), deterministic);
            expect([actions[4], actions[0], actions[8]]).toEqual(expected.flat());
          }
        }
      } finally {
        opponent.dispose();
        fresh.dispose();
      }
    }), { numRuns: 25 });
  });

  it('rejects a frozen policy without its statistics or with a negative variance, and keeps the one it has', () => {
    const policy = spec(Discrete(3));
    const layout = networkLayout(policy);
    const good = frozenPolicy(initialParameters(layout, 1), { mean: new Float64Array(5).fill(3), var: new Float64Array(5).fill(4), count: 1 });
    expect(() => new OpponentPolicy(policy, initialParameters(layout, 1), { maxRows: 2, normalizeObservations: true })).toThrow(/^parameters.length: expected \d+, got \d+/);
    const opponent = new OpponentPolicy(policy, good, { maxRows: 2, normalizeObservations: true });
    const observations = randomObservations(1).subarray(0, 10);
    const before = new Int32Array(2), after = new Int32Array(2);
    opponent.act(observations, Int32Array.of(0, 1), 2, before, { deterministic: true });
    const negative = good.slice();
    negative[layout.size + 5 + 2] = -1;
    expect(() => opponent.load(negative)).toThrow(new RegExp(`^parameters\\[${layout.size + 7}\\]: expected an observation variance >= 0, got -1`));
    expect(() => opponent.load(initialParameters(layout, 2))).toThrow(/^parameters.length: expected/);
    opponent.act(observations, Int32Array.of(0, 1), 2, after, { deterministic: true });
    expect(after).toEqual(before);
    opponent.dispose();
  });

  it('allocates no wasm memory and keeps its arrays over many calls, loads and row counts', () => {
    const policy = spec(MultiDiscrete([3, 4]));
    const layout = networkLayout(policy);
    const [a, b] = [initialParameters(layout, 5), initialParameters(layout, 6)];
    const opponent = new OpponentPolicy(policy, a, { maxRows: SLOTS, seed: 1 });
    const observations = randomObservations(1);
    const masks = randomMasks(policy.actionSpace, 1);
    const rows = Int32Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i);
    const actions = new Int32Array(SLOTS * 2);
    for (let count = 0; count <= SLOTS; count++) opponent.act(observations, rows, count, actions, { masks }); // warm-up: every row count
    const memory = wasm().memory;
    const buffer = memory.buffer;
    const bytes = buffer.byteLength;
    const options = { masks, deterministic: false };
    for (let i = 0; i < 500; i++) {
      if (i % 50 === 0) opponent.load(i % 100 === 0 ? b : a);
      opponent.act(observations, rows, i % (SLOTS + 1), actions, options);
    }
    expect(memory.buffer).toBe(buffer);
    expect(memory.buffer.byteLength).toBe(bytes);
    opponent.dispose();
  });

  it('allocates nothing on the JS heap: no garbage collection during 200k calls after warm-up', async () => {
    const policy = spec(Discrete(3));
    const opponent = new OpponentPolicy(policy, initialParameters(networkLayout(policy), 2), { maxRows: 4, seed: 3 });
    const observations = randomObservations(3);
    const rows = Int32Array.of(8, 1, 4, 6);
    const actions = new Int32Array(SLOTS);
    const options = { deterministic: false };
    // Warm-up long enough for the optimizing compiler to finish: its own allocations are not act()'s.
    for (let i = 0; i < 50_000; i++) opponent.act(observations, rows, i % 5, actions, options);
    const collections: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) collections.push(entry.startTime);
    });
    observer.observe({ entryTypes: ['gc'] });
    const start = performance.now();
    for (let i = 0; i < 200_000; i++) opponent.act(observations, rows, 1 + (i & 3), actions, options);
    const end = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 50)); // gc entries arrive asynchronously
    observer.disconnect();
    // Only collections that started inside the loop count: the test runner allocates around it.
    expect(collections.filter((t) => t >= start && t <= end)).toEqual([]);
    opponent.dispose();
  });

  it('saves its draw generator: a restored opponent draws the same actions, beside the SelfPlay state in one checkpoint', () => {
    const policy = spec(Discrete(6));
    const layout = networkLayout(policy);
    const sp = new SelfPlay({}, initialParameters(layout, 1));
    const first = new OpponentPolicy(policy, sp.opponent().parameters, { maxRows: 4, seed: 8 });
    const observations = randomObservations(4);
    const rows = Int32Array.of(3, 1, 7);
    const actions = new Int32Array(SLOTS);
    first.act(observations, rows, 3, actions);
    const tensors = readSafetensors(writeSafetensors(new Map([...sp.state(), ...first.state(1)]))).tensors;
    expect(SelfPlay.restore(sp.options, layout.size, tensors).summary()).toEqual(sp.summary());
    const second = new OpponentPolicy(policy, sp.opponent().parameters, { maxRows: 4, seed: 99 });
    second.restore(tensors, 1);
    const expected = new Int32Array(SLOTS);
    const draws = (p: OpponentPolicy, out: Int32Array) => Array.from({ length: 20 }, () => {
      p.act(observations, rows, 3, out);
      return Array.from(out);
    });
    expect(draws(second, actions)).toEqual(draws(first, expected));
    expect(() => second.restore(tensors, 0)).toThrow(/^checkpoint: tensor self_play.opponent_rng.0 is missing/);
    const even = new Map([['self_play.opponent_rng.1', { dtype: 'I32' as const, shape: [4], data: Int32Array.of(1, 0, 2, 0) }]]);
    expect(() => second.restore(even, 1)).toThrow(/self_play.opponent_rng.1: expected a PCG32 state whose increment is odd/);
    expect(() => SelfPlay.restore(sp.options, layout.size, new Map([...sp.state(), ...first.state(2)]))).toThrow(/self_play.opponent_rng.2: expected a self-play tensor/);
    first.dispose();
    second.dispose();
  });

  it('names bad input and leaves the actions as they were', () => {
    const policy = spec(Discrete(3));
    const opponent = new OpponentPolicy(policy, initialParameters(networkLayout(policy), 1), { maxRows: 4 });
    const observations = randomObservations(2);
    const actions = new Int32Array(SLOTS).fill(-1);
    const act = (obs: Float32Array, rows: Int32Array, count: number, out: Int32Array | Float32Array = actions, options?: object) => () => opponent.act(obs, rows, count, out, options);
    expect(act(observations, Int32Array.of(1, 9), 2)).toThrow(/^rows\[1\]: expected a slot in \[0, 8\], got 9/);
    expect(act(observations, Int32Array.of(1, 2, 3, 4, 5), 5)).toThrow(/^count: expected an integer in \[0, 4\], got 5/);
    const bad = observations.slice();
    bad[3 * 5 + 2] = NaN;
    expect(act(bad, Int32Array.of(0, 3), 2)).toThrow(/^observations\[slot 3, 2\]: expected a finite number, got NaN/);
    expect(act(observations, Int32Array.of(0), 1, new Float32Array(SLOTS))).toThrow(/^actions: expected an Int32Array of 9 slots x 1/);
    expect(act(observations.subarray(0, 13), Int32Array.of(0), 1)).toThrow(/^observations: expected a Float32Array of slots x 5 floats/);
    const masks = new Uint8Array(SLOTS * 3).fill(1);
    masks.fill(0, 6, 9);
    expect(act(observations, Int32Array.of(0, 2), 2, actions, { masks })).toThrow(/^options.masks\[slot 2, branch 0\]: expected at least one allowed action/);
    expect(act(observations, Int32Array.of(0), 1, actions, { deterministic: 1 })).toThrow(/^options.deterministic: expected a boolean, got 1/);
    expect(act(observations, Int32Array.of(0), 1, actions, { mask: masks })).toThrow(/^options.mask: expected a known option/);
    expect(Array.from(actions)).toEqual(new Array(SLOTS).fill(-1));
    expect(() => new OpponentPolicy(policy, new Float32Array(3), { maxRows: 4 })).toThrow(/^parameters.length: expected \d+, got 3/);
    expect(() => new OpponentPolicy(policy, initialParameters(networkLayout(policy), 1), { maxRows: 0 })).toThrow(/^options.maxRows: expected an integer in \[1, 1048576\], got 0/);
    opponent.dispose();
  });
});

/**
 * The reference for a recurrent OpponentPolicy: a plain CpuPolicy with the same seed and the same frozen
 * parameters, acting on the listed rows only, with the slots' states kept by the test in its own table
 * (gathered into the CpuPolicy with setStates, read back with copyStates) and reset by the test's own rules.
 */
class SteppedByHand {
  readonly cpu: CpuPolicy;
  readonly table: Float32Array;
  private loaded: Float32Array;
  constructor(readonly policy: PolicySpec, parameters: Float32Array, seed: number, readonly S: number) {
    this.cpu = new CpuPolicy(policy, { parameters, seed, maxAgents: SLOTS });
    this.table = new Float32Array(SLOTS * S);
    this.loaded = parameters;
  }

  /** Other parameters forget every slot's state; the same values keep them. */
  load(parameters: Float32Array): void {
    if (parameters.some((x, i) => x !== this.loaded[i])) this.table.fill(0);
    this.loaded = parameters;
    this.cpu.setParameters(parameters);
  }

  act(observations: Float32Array, rows: number[], deterministic: boolean): number[][] {
    const S = this.S, per = actionSize(this.policy.actionSpace);
    if (rows.length === 0) return [];
    this.cpu.setStates(new Float32Array(rows.flatMap((r) => Array.from(this.table.subarray(r * S, (r + 1) * S)))));
    const expected = reference(this.cpu, this.policy, observations, rows, deterministic);
    const after = new Float32Array(rows.length * S);
    this.cpu.copyStates(after);
    rows.forEach((r, i) => this.table.set(after.subarray(i * S, (i + 1) * S), r * S));
    return expected.map((a) => a.slice(0, per));
  }
}

describe('OpponentPolicy with a recurrent policy (network.memory)', () => {
  const recurrent = (cell: 'lstm' | 'gru', shared: boolean): PolicySpec => ({
    observationSize: 5, actionSpace: Box([2], -1, 1), network: resolveNetworkSpec({ hidden: [6], shared, memory: { cell, size: 4 } }),
  });

  for (const [cell, shared] of [['lstm', false], ['gru', true]] as const) {
    it(`${cell}${shared ? ', shared' : ''}: each slot steps its own state, as a CpuPolicy stepped by hand does, through resets and loads`, () => {
      const policy = recurrent(cell, shared);
      const layout = networkLayout(policy);
      const S = layout.stateSize;
      expect(S).toBeGreaterThan(0);
      const [a, b] = [initialParameters(layout, 3), initialParameters(layout, 4)];
      fc.assert(fc.property(fc.integer({ min: 0, max: 1 << 20 }), (seed) => {
        const opponent = new OpponentPolicy(policy, a, { maxRows: 5, slots: SLOTS, seed });
        const byHand = new SteppedByHand(policy, a, seed, S);
        const rng = new PCG32(seed, 11);
        const actions = new Float32Array(SLOTS * 2);
        let carried = 0;
        try {
          expect(opponent.stateSize).toBe(S);
          expect(opponent.states.length).toBe(SLOTS * S);
          for (let step = 0; step < 30; step++) {
            const event = rng.nextU32() % 10;
            if (event === 0) {
              const slot = rng.nextU32() % SLOTS;
              opponent.resetStates(slot);
              byHand.table.fill(0, slot * S, (slot + 1) * S);
            } else if (event === 1) {
              opponent.resetStates();
              byHand.table.fill(0);
            } else if (event === 2) {
              // Other parameters, or the very same ones again (a swap that redraws the snapshot it plays).
              const next = [a, b, b.slice()][rng.nextU32() % 3];
              opponent.load(next);
              byHand.load(next);
            }
            // Up to maxRows distinct slots, in any order: the others keep their states.
            const order = Array.from({ length: SLOTS }, (_, i) => i).sort(() => rng.nextFloat() - 0.5);
            const rows = order.slice(0, rng.nextU32() % 6);
            const deterministic = rng.nextFloat() < 0.5;
            const observations = randomObservations(seed + step);
            actions.fill(-9);
            opponent.act(observations, Int32Array.from([...rows, ...order.slice(rows.length)]), rows.length, actions, { deterministic });
            const expected = byHand.act(observations, rows, deterministic);
            rows.forEach((slot, i) => expect(Array.from(actions.subarray(slot * 2, slot * 2 + 2))).toEqual(expected[i]));
            for (let s = 0; s < SLOTS; s++) if (!rows.includes(s)) expect(Array.from(actions.subarray(s * 2, s * 2 + 2))).toEqual([-9, -9]);
            expect(Array.from(opponent.states)).toEqual(Array.from(byHand.table));
            if (byHand.table.some((x) => x !== 0)) carried++;
          }
          expect(carried).toBeGreaterThan(10); // states were carried, not left at zero
        } finally {
          opponent.dispose();
          byHand.cpu.dispose();
        }
      }), { numRuns: 6 });
    });
  }

  it('keeps its states when loaded with the same bits and forgets them for any other bit, -0 included', () => {
    const policy = recurrent('lstm', false);
    const layout = networkLayout(policy);
    const a = initialParameters(layout, 5);
    const opponent = new OpponentPolicy(policy, a, { maxRows: 2, slots: 3 });
    const act = () => opponent.act(randomObservations(1).subarray(0, 15), Int32Array.of(2, 0), 2, new Float32Array(6));
    act();
    const carried = opponent.states.slice();
    expect(carried.some((x) => x !== 0)).toBe(true);
    opponent.load(a.slice());
    expect(opponent.states).toEqual(carried);
    const zero = a.indexOf(0);
    expect(zero).toBeGreaterThanOrEqual(0);
    const negativeZero = a.slice();
    negativeZero[zero] = -0;
    opponent.load(negativeZero);
    expect(Array.from(opponent.states)).toEqual(new Array(carried.length).fill(0));
    opponent.dispose();
  });

  it('saves its states beside its generator: a restored opponent acts the same; a missing or bad state tensor is named and changes nothing', () => {
    const policy = recurrent('gru', false);
    const layout = networkLayout(policy);
    const sp = new SelfPlay({}, initialParameters(layout, 1));
    const first = new OpponentPolicy(policy, sp.opponent().parameters, { maxRows: 4, slots: SLOTS, seed: 8 });
    const rows = Int32Array.of(3, 1, 7, 8);
    const actions = new Float32Array(SLOTS * 2);
    for (let step = 0; step < 5; step++) first.act(randomObservations(step), rows, 2 + (step % 3), actions);
    const saved = new Map([...sp.state(), ...first.state(1)]);
    const memory = saved.get('self_play.opponent_memory.1')!;
    expect(memory.shape).toEqual([SLOTS, layout.stateSize]);
    expect(Array.from(memory.data).some((x) => x !== 0)).toBe(true);
    const tensors = readSafetensors(writeSafetensors(saved)).tensors;
    expect(SelfPlay.restore(sp.options, layout.size, tensors).summary()).toEqual(sp.summary());
    const second = new OpponentPolicy(policy, sp.opponent().parameters, { maxRows: 4, slots: SLOTS, seed: 99 });
    const untouched = () => [Array.from(second.states), ...second.state(1).values()];
    const before = untouched();
    const edited = (name: string, tensor?: Tensor) => {
      const copy = new Map(tensors);
      if (tensor === undefined) copy.delete(name);
      else copy.set(name, tensor);
      return copy;
    };
    const nan = Float32Array.from(memory.data as Float32Array);
    nan[5] = NaN;
    const bad: [ReadonlyMap<string, Tensor>, RegExp][] = [
      [edited('self_play.opponent_memory.1'), /^checkpoint: tensor self_play.opponent_memory.1 is missing/],
      [edited('self_play.opponent_memory.1', { ...memory, shape: [SLOTS - 1, layout.stateSize], data: nan.subarray(layout.stateSize) }), /self_play.opponent_memory.1: expected F32 \[9, \d+\], got F32 \[8, \d+\]/],
      [edited('self_play.opponent_memory.1', { ...memory, data: nan }), /self_play.opponent_memory.1\[5\]: expected a finite number, got NaN/],
    ];
    for (const [map, message] of bad) {
      expect(() => second.restore(map, 1)).toThrow(message);
      expect(untouched()).toEqual(before);
    }
    second.restore(tensors, 1);
    const draws = (p: OpponentPolicy) => Array.from({ length: 20 }, (_, step) => {
      const out = new Float32Array(SLOTS * 2);
      p.act(randomObservations(10 + step), rows, 1 + (step % 4), out);
      return Array.from(out);
    });
    expect(draws(second)).toEqual(draws(first));
    // A feed-forward policy has no states to restore: a state tensor for it is refused.
    const plain = spec(Discrete(3));
    const feedForward = new OpponentPolicy(plain, initialParameters(networkLayout(plain), 1), { maxRows: 2 });
    expect(feedForward.stateSize).toBe(0);
    expect([...feedForward.state(1).keys()]).toEqual(['self_play.opponent_rng.1']);
    expect(() => feedForward.restore(tensors, 1)).toThrow(/self_play.opponent_memory.1: expected none/);
    feedForward.dispose();
    first.dispose();
    second.dispose();
  });

  it('acts for at most options.slots slots, and names a bad slot to reset', () => {
    const policy = recurrent('lstm', true);
    const opponent = new OpponentPolicy(policy, initialParameters(networkLayout(policy), 2), { maxRows: 2, slots: 4 });
    expect(() => opponent.act(randomObservations(1), Int32Array.of(0), 1, new Float32Array(SLOTS * 2))).toThrow(/^observations: expected a Float32Array of at most 4 slots/);
    expect(() => opponent.resetStates(4)).toThrow(/^slot: expected an integer in \[0, 3\], got 4/);
    expect(() => new OpponentPolicy(policy, initialParameters(networkLayout(policy), 2), { maxRows: 2, slots: 0 })).toThrow(/^options.slots: expected an integer/);
    opponent.dispose();
  });

  it('allocates no wasm memory and nothing on the JS heap while stepping, resetting and loading states', async () => {
    const policy = recurrent('lstm', false);
    const layout = networkLayout(policy);
    const [a, b] = [initialParameters(layout, 5), initialParameters(layout, 6)];
    const opponent = new OpponentPolicy(policy, a, { maxRows: 4, slots: SLOTS, seed: 1 });
    const observations = randomObservations(2);
    const rows = Int32Array.of(8, 1, 4, 6);
    const actions = new Float32Array(SLOTS * 2);
    const options = { deterministic: false };
    const tick = (i: number) => {
      if (i % 97 === 0) opponent.resetStates(i % SLOTS);
      opponent.act(observations, rows, 1 + (i & 3), actions, options);
    };
    for (let i = 0; i < 50_000; i++) tick(i);
    const memory = wasm().memory;
    const buffer = memory.buffer;
    for (let i = 0; i < 20; i++) opponent.load(i % 2 === 0 ? b : a); // a load compares bits (not per tick)
    const collections: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) collections.push(entry.startTime);
    });
    observer.observe({ entryTypes: ['gc'] });
    const start = performance.now();
    for (let i = 0; i < 100_000; i++) tick(i);
    const end = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    expect(collections.filter((t) => t >= start && t <= end)).toEqual([]);
    expect(memory.buffer).toBe(buffer);
    opponent.dispose();
  });
});
