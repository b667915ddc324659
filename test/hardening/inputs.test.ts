// Random bad input to every public entry: each call must throw one of webppo's documented errors (a code,
// the user's field named) and leave the agent bit-identical (its save() bytes) and wasm memory as it was.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Agent, type AgentOptions, Box, computeAdvantages, createMinibatchPlan, Discrete, MultiDiscrete, RolloutBuffer,
  samplePrioritized, train, ValidationError, WebppoError,
} from '../../src/index.js';
import { wasmBytesInUse } from '../../src/wasm-memory.js';
import { AGENT_OPTIONS, expectDocumented, RUNS, SEED, same, trainedAgent, wasmMemoryBytes } from './helpers.js';

const tally = { tried: 0, clear: 0 };
let agent: Agent;
let snapshot: Uint8Array;

beforeAll(async () => {
  agent = await trainedAgent(6);
  snapshot = await agent.save();
});

afterAll(() => {
  agent.dispose();
  console.log(`bad inputs: ${tally.tried} tried, ${tally.clear} rejected with a documented error`);
});

const runs = (n: number) => ({ seed: SEED, numRuns: RUNS ?? n, endOnFailure: true });

/** The call must throw a documented error; returns it. */
async function rejects(call: () => unknown, label: string, agentLevel = true): Promise<WebppoError> {
  tally.tried++;
  let caught: unknown;
  try { await call(); } catch (error) { caught = error; }
  if (caught === undefined) throw new Error(`silently accepted: ${label}`);
  expectDocumented(caught);
  // An agent's user never sees the storage and trainer names underneath it.
  if (agentLevel && caught instanceof ValidationError) expect(caught.field, label).not.toMatch(/plan\.|parameters\[|numSteps x numEnvs|\[env /);
  tally.clear++;
  return caught;
}

async function unchanged(): Promise<void> {
  expect(same(await agent.save(), snapshot)).toBe(true);
}

// ---- arbitraries of values that are wrong for their slot ----

const notAnObject = fc.constantFrom<unknown>(0, 1, -1, 'x', '', true, null, 5n, [], [1], () => 1, Symbol('s'), new Float32Array(2));
const unknownKey = fc.string({ minLength: 1, maxLength: 10 }).map((k) => `${k}_typo`);
const notFinite = fc.constantFrom(NaN, Infinity, -Infinity);
const notANumber = fc.constantFrom<unknown>('4', null, {}, [], true, 4n, NaN, Infinity, -Infinity, { valueOf: () => 4 });

/** A Float32Array of `length` that is wrong: wrong length, wrong type, or a non-finite value inside. */
function badFloats(length: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.integer({ min: 0, max: length + 3 }).filter((n) => n !== length).map((n) => new Float32Array(n)),
    fc.constantFrom<unknown>(new Float64Array(length), Array.from({ length }, () => 0), new Int32Array(length), null, undefined, 3, 'obs'),
    fc.tuple(fc.nat({ max: length - 1 }), notFinite).map(([i, v]) => { const a = new Float32Array(length); a[i] = v; return a; }),
  );
}

/** 0/1 flags that are wrong: a value above 1, a wrong length or type. */
function badFlags(length: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.tuple(fc.nat({ max: length - 1 }), fc.integer({ min: 2, max: 255 })).map(([i, v]) => { const a = new Uint8Array(length); a[i] = v; return a; }),
    fc.integer({ min: 0, max: length + 3 }).filter((n) => n !== length).map((n) => new Uint8Array(n)),
    fc.constantFrom<unknown>(Array.from({ length }, () => 0), Array.from({ length }, () => false), new Int8Array(length), new Float32Array(length), null, 0),
  );
}

/** Masks (numAgents x 3 logits) that are wrong: a value above 1, a branch all masked, a wrong length or type. */
const badMasks = fc.oneof(
  fc.tuple(fc.nat({ max: 5 }), fc.integer({ min: 2, max: 255 })).map(([i, v]) => { const a = new Uint8Array(6).fill(1); a[i] = v; return a; }),
  fc.nat({ max: 1 }).map((agentIndex) => { const a = new Uint8Array(6).fill(1); a.fill(0, agentIndex * 3, agentIndex * 3 + 3); return a; }),
  fc.constantFrom<unknown>(new Uint8Array(5), new Uint8Array(7), [1, 1, 1, 1, 1, 1], new Int32Array(6).fill(1), 'all', 1),
);

const obs = new Float32Array(6).fill(0.1);
const goodMasks = new Uint8Array(6).fill(1);

describe('bad inputs get a documented error and change nothing', () => {
  it('act and predict', async () => {
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        badFloats(6).map((o) => [o, { masks: goodMasks }] as const),
        notAnObject.filter((v) => v !== undefined).map((o) => [obs, o] as const),
        unknownKey.map((k) => [obs, { masks: goodMasks, [k]: 1 }] as const),
        badMasks.map((m) => [obs, { masks: m }] as const),
        fc.constantFrom<unknown>('yes', 1, null).map((d) => [obs, { masks: goodMasks, deterministic: d }] as const),
      ),
      fc.boolean(),
      async ([o, options], predict) => {
        await rejects(() => (predict ? agent.predict(o as never, options as never) : agent.act(o as never, options as never)), 'act');
      },
    ), runs(300));
    await unchanged();
  }, 60_000);

  it('observe (compared with a twin that never saw the bad call)', async () => {
    const rewards = Float32Array.of(1, -1), flags = new Uint8Array(2);
    const twin = await Agent.load(snapshot);
    twin.act(obs, { masks: goodMasks });
    twin.observe(rewards, flags, flags);
    const expected = await twin.save();
    twin.dispose();
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        badFloats(2).map((r) => [r, flags, flags, undefined] as const),
        badFlags(2).map((t) => [rewards, t, flags, undefined] as const),
        badFlags(2).map((t) => [rewards, flags, t, undefined] as const),
        notAnObject.filter((v) => v !== undefined).map((o) => [rewards, flags, flags, o] as const),
        unknownKey.map((k) => [rewards, flags, flags, { [k]: obs }] as const),
        badFloats(6).filter((f) => f !== undefined).map((f) => [rewards, flags, Uint8Array.of(1, 1), { finalObservations: f }] as const),
      ),
      async ([r, t, u, options]) => {
        const a = await Agent.load(snapshot);
        try {
          a.act(obs, { masks: goodMasks });
          await rejects(() => a.observe(r as never, t as never, u as never, options as never), 'observe');
          a.observe(rewards, flags, flags);
          expect(same(await a.save(), expected)).toBe(true);
        } finally {
          a.dispose();
        }
      },
    ), runs(150));
  }, 60_000);

  it('Agent.create: a bad value in any field, or an unknown key at any depth', async () => {
    const memory = wasmMemoryBytes(), inUse = wasmBytesInUse();
    const fields: [string[], fc.Arbitrary<unknown>][] = [
      [['observationSpace'], fc.constantFrom<unknown>({ kind: 'discrete', n: '4' }, { kind: 'multi_discrete', nvec: [] }, { kind: 'box', shape: [2] }, { kind: 'discrete', n: 0 }, { kind: 'discrete', n: 2.5 }, { kind: 'box', shape: [2], size: 3, low: new Float32Array(2), high: new Float32Array(2).fill(1) }, { ...Box(2), low: [0, 0] }, { ...Discrete(3), extra: 1 }, 4, null)],
      [['actionSpace'], fc.constantFrom<unknown>({ kind: 'discrete', n: '4' }, { kind: 'multi_discrete', nvec: [2, 0] }, { kind: 'multi_discrete', nvec: 'ab' }, { kind: 'ring' }, { ...MultiDiscrete([2, 2]), nvec: [] })],
      [['numAgents'], fc.oneof(notANumber, fc.constantFrom(0, -1, 1.5, 2 ** 21))],
      [['seed'], fc.oneof(notANumber, fc.constantFrom(-1, 0.5, 2 ** 32))],
      [['masks'], fc.constantFrom<unknown>(1, 'true', null)],
      [['backend'], fc.constantFrom<unknown>('tpu', 1, null)],
      [['totalSteps'], fc.oneof(fc.constantFrom<unknown>(0, -5, 1.5, '100', Infinity, NaN))],
      [['ppo', 'numSteps'], fc.oneof(notANumber, fc.constantFrom(0, 1.5, 2 ** 40))],
      [['ppo', 'numEpochs'], fc.oneof(notANumber, fc.constantFrom(0, 2 ** 28, 2 ** 53))],
      [['ppo', 'gamma'], fc.oneof(notANumber, fc.constantFrom(-0.1, 1.5))],
      [['ppo', 'learningRate'], fc.oneof(notANumber, fc.constantFrom(-1e-3))],
      [['ppo', 'clipEpsilon'], fc.constantFrom<unknown>(-0.2, [0.1], [0.1, 0.2, 0.3], ['a', 'b'], NaN, '0.2')],
      [['ppo', 'vtrace'], fc.oneof(notAnObject.filter((v) => v !== undefined && v !== null || v === null), unknownKey.map((k) => ({ [k]: 1 })), fc.constantFrom<unknown>({ rhoClip: -1 }, { cClip: NaN }))],
      [['ppo', 'prioritized'], fc.oneof(unknownKey.map((k) => ({ [k]: 1 })), fc.constantFrom<unknown>(5, 'x', { alpha: -1 }, { beta0: 2 }, { over: 'cols' }))],
      [['network'], fc.oneof(unknownKey.map((k) => ({ [k]: 1 })), fc.constantFrom<unknown>(5, 'mlp', { hidden: 64 }, { hidden: [0] }, { hidden: [2 ** 17] }, { activation: 'gelu' }))],
      [['schedules'], fc.oneof(unknownKey.map((k) => ({ [k]: 1 })), fc.constantFrom<unknown>(5, { learningRate: -1 }, { clipEpsilon: { kind: 'spline' } }))],
      [['ppo', '*'], unknownKey],
      [['*'], unknownKey],
    ];
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: fields.length - 1 }).chain((i) => fc.tuple(fc.constant(fields[i][0]), fields[i][1])), async ([path, value]) => {
      const options = structuredClone({ ...AGENT_OPTIONS, observationSpace: undefined, actionSpace: undefined }) as Record<string, unknown>;
      options.observationSpace = AGENT_OPTIONS.observationSpace;
      options.actionSpace = AGENT_OPTIONS.actionSpace;
      let target = options;
      for (const key of path.slice(0, -1)) target = (target[key] = { ...(target[key] as object) }) as Record<string, unknown>;
      const last = path[path.length - 1];
      if (last === '*') target[value as string] = 1;
      else target[last] = value;
      const error = await rejects(() => Agent.create(options as unknown as AgentOptions), `create ${path.join('.')}`);
      // The error names the field that was made wrong (or, for sizes, the count it multiplies).
      const want = last === '*' ? String(value) : path[0] === 'ppo' && last === 'numSteps' ? /ppo\.numSteps|numAgents/ : path[0];
      expect((error as ValidationError).field).toMatch(want);
    }), runs(300));
    await rejects(() => Agent.create(null as never), 'create null');
    expect(wasmMemoryBytes()).toBe(memory);
    expect(wasmBytesInUse()).toBe(inUse);
    await unchanged();
  }, 60_000);

  it('Agent.load options and bytes', async () => {
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        unknownKey.map((k) => [snapshot, { [k]: 'cpu' }] as const),
        notAnObject.filter((v) => v !== undefined).map((o) => [snapshot, o] as const),
        fc.constantFrom<unknown>('cpuu', 1).map((b) => [snapshot, { backend: b }] as const),
        fc.constantFrom<unknown>(Discrete(4), { kind: 'discrete', n: '3' }, Box(4)).map((s) => [snapshot, { actionSpace: s }] as const),
        fc.constantFrom<unknown>(null, 'bytes', [1, 2, 3], new Float32Array(8), new Uint8Array(0), {}).map((b) => [b, {}] as const),
      ),
      async ([bytes, options]) => { await rejects(() => Agent.load(bytes as never, options as never), 'load'); },
    ), runs(150));
    await unchanged();
  }, 60_000);

  it('train options', async () => {
    // An env with the agent's spaces, so only the options can be wrong.
    const env = () => ({
      observationSpace: AGENT_OPTIONS.observationSpace, actionSpace: AGENT_OPTIONS.actionSpace,
      reset: () => ({ observation: new Float32Array(3), info: {} }),
      step: () => ({ observation: new Float32Array(3), reward: 1, terminated: false, truncated: false, info: {} }),
    });
    const base = { totalSteps: 100 };
    const source = await trainedAgent(6, { ...AGENT_OPTIONS, masks: false });
    const start = await source.save();
    source.dispose();
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        unknownKey.map((k) => ({ ...base, [k]: 1 })),
        notAnObject.map((o) => o),
        fc.constantFrom<unknown>(0, -1, 1.5, '10', NaN, Infinity).map((t) => ({ totalSteps: t })),
        fc.constantFrom<unknown>(5, 'x', {}).map((f) => ({ ...base, onProgress: f })),
        fc.constantFrom<unknown>(1, 'yes').map((p) => ({ ...base, progress: p })),
        fc.constantFrom<unknown>(5, {}, 'abort').map((s) => ({ ...base, signal: s })),
        fc.constantFrom<unknown>(5, { every: 0 }, { every: 10, typo: 1 }, { every: 10, episodes: -1 }).map((e) => ({ ...base, evaluate: e })),
      ),
      async (options) => {
        const twin = await Agent.load(start, { observationSpace: AGENT_OPTIONS.observationSpace });
        try {
          await rejects(() => train(twin, env, options as never), 'train');
          expect(same(await twin.save(), start)).toBe(true);
        } finally {
          twin.dispose();
        }
      },
    ), runs(100));
    // The env is right: valid options train.
    const ok = await Agent.load(start);
    const result = await train(ok, env, { totalSteps: ok.steps + 8 });
    expect(result.steps).toBeGreaterThan(12);
    ok.dispose();
  }, 60_000);

  it('standalone storage entries', async () => {
    const priorities = Float32Array.of(1, 2, 3, 4);
    const plan = { numSteps: 2, numEnvs: 2, numEpochs: 1, numMinibatches: 2, unit: 'rows', mode: 'shuffled', seed: 1 };
    const sample = { priorities, count: 4, alpha: 0.6, beta: 0.4, seed: 1 };
    const z = new Float32Array(4), f = new Uint8Array(4);
    const adv = { rewards: z, values: z, terminated: f, truncated: f, bootstrapValues: z, lastValues: new Float32Array(2), numSteps: 2, numEnvs: 2, gamma: 0.99, gaeLambda: 0.95 };
    const buffer = { numSteps: 2, numEnvs: 2, observationSize: 3, actionSpace: Discrete(2) };
    const entries: [Record<string, unknown>, (input: never) => unknown][] = [
      [plan, createMinibatchPlan], [sample, samplePrioritized], [adv, computeAdvantages], [buffer, (o) => RolloutBuffer.create(o).dispose()],
    ];
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: entries.length - 1 }), fc.nat(), fc.oneof(notANumber, unknownKey.map((k) => ({ key: k }))),
      async (which, pick, value) => {
        const [input, entry] = entries[which];
        const keys = Object.keys(input);
        const bad = { ...input } as Record<string, unknown>;
        if (typeof value === 'object' && value !== null && 'key' in value) bad[(value as { key: string }).key] = 1;
        else bad[keys[pick % keys.length]] = value;
        if (keys[pick % keys.length] === 'seed' && typeof value === 'bigint') return; // a bigint seed is valid
        await rejects(() => entry(bad as never), `entry ${which}`);
      },
    ), runs(300));
    for (const [, entry] of entries) for (const v of [null, 5, 'x', []]) await rejects(() => entry(v as never), 'non-object');
  }, 60_000);

  it('prioritized weights stay finite for any alpha', () => {
    fc.assert(fc.property(
      fc.double({ min: 0, max: 1e300, noNaN: true }), fc.float32Array({ minLength: 1, maxLength: 16, noNaN: true, noDefaultInfinity: true }).map((a) => a.map(Math.abs)),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (alpha, priorities, beta) => {
        const { indices, weights } = samplePrioritized({ priorities, count: 32, alpha, beta, seed: 3 });
        for (const w of weights) expect(Number.isFinite(w)).toBe(true);
        for (const i of indices) expect(i >= 0 && i < priorities.length).toBe(true);
      },
    ), runs(300));
    const { weights, indices } = samplePrioritized({ priorities: Float32Array.of(1, 2, 4), count: 1000, alpha: 1e6, beta: 0.4, seed: 1 });
    expect(weights.every(Number.isFinite)).toBe(true);
    expect(indices.every((i) => i === 2)).toBe(true); // alpha -> infinity: all mass on the largest priority
  });
});

describe('mask values other than 0/1', () => {
  it('are rejected by the buffer and the trainers as by act()', async () => {
    const { createCpuTrainer } = await import('../../src/index.js');
    const buffer = RolloutBuffer.create({ numSteps: 2, numEnvs: 2, observationSize: 3, actionSpace: MultiDiscrete([2, 3]), masks: true });
    const step = {
      observations: new Float32Array(6), actions: Int32Array.of(0, 0, 1, 2), logProbs: new Float32Array(2), values: new Float32Array(2),
      rewards: new Float32Array(2), terminated: new Uint8Array(2), truncated: new Uint8Array(2),
    };
    for (const [at, value] of [[0, 2], [4, 255], [9, 7]] as const) {
      const masks = new Uint8Array(10).fill(1);
      masks[at] = value;
      const error = await rejects(() => buffer.add({ ...step, masks }), 'buffer masks', false);
      expect(error.message).toMatch(/masks\[env \d, \d\] at step 0: expected 0 or 1/);
    }
    expect(buffer.step).toBe(0);
    buffer.dispose();
    const trainer = await createCpuTrainer({ policy: { observationSize: 3, actionSpace: MultiDiscrete([2, 3]), network: { hidden: [4] } as never }, ppo: { numMinibatches: 1 } as never, seed: 1 });
    const z = new Float32Array(2);
    const masks = new Uint8Array(10).fill(1);
    masks[3] = 2;
    await rejects(() => trainer.computeGradients({ numSteps: 1, numEnvs: 2, observations: new Float32Array(6), actions: Int32Array.of(0, 0, 1, 2), logProbs: z, values: z, advantages: z, returns: z, masks }), 'trainer masks', false);
    trainer.dispose();
  });
});
