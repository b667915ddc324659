// The WebGPU trainer's own contract: seeded init, exact parameter round-trips, optimizer options against the
// oracle (AdamW, target KL, no clipping, consecutive updates), rejected input leaving state untouched, shader
// errors that name the shader, and resuming after a lost device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileShader, createWebGPUTrainer, DeviceLostError, probeAdapter, type WebGPUTrainer } from '../../src/backend/webgpu/index.js';
import { resolvePPOConfig, type PPOConfigInput } from '../../src/config.js';
import { ValidationError } from '../../src/errors.js';
import { init } from '../../src/init.js';
import { initialParameters } from '../../src/policy/init.js';
import { networkLayout } from '../../src/policy/network.js';
import { ORACLE_CASES, type OracleCase } from '../oracle/cases.js';
import { oracleUpdate } from '../oracle/ppo-oracle.js';
import { testDevice } from '../helpers/gpu.js';

const SEED = 11;
let device: GPUDevice | null = null;
const trainers: WebGPUTrainer[] = [];
beforeAll(async () => { device = await testDevice(); });
afterAll(() => trainers.forEach((t) => t.dispose()));

async function trainerFor(c: OracleCase, parameters?: Float32Array, on: GPUDevice = device!): Promise<WebGPUTrainer> {
  const trainer = await createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: SEED, parameters, device: on });
  trainers.push(trainer);
  return trainer;
}

function withPPO(c: OracleCase, ppo: PPOConfigInput): OracleCase {
  return { ...c, ppo: resolvePPOConfig({ ...c.ppo, ...ppo }) };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 2e-3, atol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) expect.fail(`[${i}]: ${actual[i]} vs oracle ${expected[i]}`);
  }
}

const discrete = ORACLE_CASES.find((c) => c.name === 'discrete3')!;
const box = ORACLE_CASES.find((c) => c.name === 'box2 normal')!;

describe('webgpu trainer', () => {
  it('probeAdapter describes the adapter (software for SwiftShader)', async (ctx) => {
    if (!device) return ctx.skip();
    const probe = await probeAdapter();
    expect(probe).not.toBeNull();
    expect(typeof probe!.description).toBe('string');
    if (process.env.VK_ICD_FILENAMES?.includes('swiftshader')) expect(probe!.software).toBe(true);
  });

  it('seeded init is deterministic and equals initialParameters; set/get round-trips bit-exact', async (ctx) => {
    if (!device) return ctx.skip();
    const a = await trainerFor(box);
    const b = await trainerFor(box);
    const init = initialParameters(networkLayout(box.policy), SEED);
    const pa = await a.getParameters();
    expect(new Uint32Array(pa.buffer)).toEqual(new Uint32Array(init.buffer));
    expect(new Uint32Array((await b.getParameters()).buffer)).toEqual(new Uint32Array(init.buffer));
    const odd = Float32Array.from({ length: init.length }, (_, i) => (i % 7 === 0 ? -0 : Math.fround(Math.sin(i) * 1e-30 + i * 1e7)));
    a.setParameters(odd);
    expect(new Uint32Array((await a.getParameters()).buffer)).toEqual(new Uint32Array(odd.buffer));
    expect(a.parameterLayout).toEqual(networkLayout(box.policy).parameters);
  });

  it('AdamW with weight decay, no gradient clipping, and two consecutive updates match the oracle', async (ctx) => {
    if (!device) return ctx.skip();
    const c = withPPO(discrete, { weightDecay: 0.1, learningRate: 3e-3, maxGradNorm: Infinity });
    const params = c.params(SEED);
    const batch = c.makeBatch(SEED);
    const plan = c.makePlan(SEED);
    const trainer = await trainerFor(c, params);
    await trainer.update(batch, plan);
    const stats = await trainer.update(batch, plan);
    const first = oracleUpdate(c.policy, c.ppo, params, batch, plan);
    const second = oracleUpdate(c.policy, c.ppo, first.params, batch, plan, first.optimizer);
    expectClose(await trainer.getParameters(), second.params);
    expectClose([stats.loss_objective, stats.grad_norm, stats.approx_kl], [second.stats.loss_objective, second.stats.grad_norm, second.stats.approx_kl], 5e-3, 1e-5);
    const state = await trainer.getOptimizerState();
    expect(state.step).toBe(second.optimizer.step);
    expectClose(state.v, second.optimizer.v, 5e-3, 1e-9);
  });

  it('targetKl stops the update on the GPU after the first epoch, with one readback', async (ctx) => {
    if (!device) return ctx.skip();
    const c = withPPO(box, { targetKl: 1e-9, numEpochs: 3, learningRate: 1e-2 });
    const params = c.params(SEED);
    const batch = c.makeBatch(SEED);
    const plan = { ...c.makePlan(SEED) };
    const trainer = await trainerFor(c, params);
    const stats = await trainer.update(batch, plan);
    const expected = oracleUpdate(c.policy, c.ppo, params, batch, plan);
    expect(expected.stats.epochs).toBeLessThan(plan.numEpochs);
    expect(stats.epochs).toBe(expected.stats.epochs);
    expect(stats.minibatches).toBe(expected.stats.minibatches);
    expect(trainer.counters).toEqual({ submits: 1, readbacks: 1 });
    expectClose(await trainer.getParameters(), expected.params);
    expect((await trainer.getOptimizerState()).step).toBe(expected.optimizer.step);
  });

  it('setHyperparameters changes the learning rate, entropy coefficient and clip of the next update', async (ctx) => {
    if (!device) return ctx.skip();
    const c = withPPO(discrete, { learningRate: 1e-2, entropyCoef: 0.05, clipEpsilon: [0.1, 0.25] });
    const params = c.params(SEED);
    const batch = c.makeBatch(SEED);
    const plan = c.makePlan(SEED);
    const trainer = await trainerFor(discrete, params);
    trainer.setHyperparameters({ learningRate: 1e-2, entropyCoef: 0.05, clipEpsilon: [0.1, 0.25] });
    await trainer.update(batch, plan);
    expectClose(await trainer.getParameters(), oracleUpdate(c.policy, c.ppo, params, batch, plan).params);
    expect(() => trainer.setHyperparameters({ learningRate: -1 })).toThrow(/learningRate/);
  });

  it('rejects bad input before any GPU work, leaving parameters and optimizer state unchanged', async (ctx) => {
    if (!device) return ctx.skip();
    const params = box.params(SEED);
    const batch = box.makeBatch(SEED);
    const plan = box.makePlan(SEED);
    const trainer = await trainerFor(box, params);
    await trainer.update(batch, plan);
    const before = await trainer.getParameters();
    const state = await trainer.getOptimizerState();
    const counters = { ...trainer.counters };
    const badObs = batch.observations.slice();
    badObs[3] = NaN;
    expect(() => trainer.update({ ...batch, observations: badObs }, plan)).toThrow(ValidationError);
    expect(() => trainer.update({ ...batch, observations: badObs }, plan)).toThrow(/batch.observations\[row 0, 3\]: expected a finite number, got NaN/);
    expect(() => trainer.update(batch, { ...plan, indices: plan.indices.map((i) => i + 1000) })).toThrow(/plan.indices\[0\]/);
    expect(() => trainer.update(batch, { ...plan, unit: 'segments' })).toThrow(/batch.rewards|plan.indices/);
    expect(() => trainer.computeGradients({ ...batch, logProbs: new Float32Array(3) })).toThrow(/batch.logProbs.length: expected/);
    expect(() => trainer.setParameters(new Float32Array(3))).toThrow(/parameters.length/);
    const nan = before.slice();
    nan[0] = Infinity;
    expect(() => trainer.setParameters(nan)).toThrow(/parameters\[0\]/);
    expect(() => trainer.setOptimizerState({ ...state, step: -1 })).toThrow(/optimizerState.step/);
    expect(trainer.counters).toEqual(counters);
    expect(await trainer.getParameters()).toEqual(before);
    const after = await trainer.getOptimizerState();
    expect(after.step).toBe(state.step);
    expect(after.m).toEqual(state.m);
  });

  it('optimizer state round-trips through set/get', async (ctx) => {
    if (!device) return ctx.skip();
    const trainer = await trainerFor(box);
    const n = trainer.parameterLayout.length ? networkLayout(box.policy).size : 0;
    const m = Float32Array.from({ length: n }, (_, i) => i / 7 - 3);
    const v = Float32Array.from({ length: n }, (_, i) => i / 11);
    trainer.setOptimizerState({ m, v, step: 42 });
    const state = await trainer.getOptimizerState();
    expect(state).toEqual({ m, v, step: 42 });
  });

  it('a shader compile error throws an Error that names the shader', async (ctx) => {
    if (!device) return ctx.skip();
    await expect(compileShader(device, 'broken', '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_thing; }')).rejects.toThrow(/broken\.wgsl/);
  });

  it('a lost device becomes DeviceLostError, and a new trainer resumes from its parameters', async (ctx) => {
    if (!device) return ctx.skip();
    const own = await testDevice();
    const params = box.params(SEED);
    const batch = box.makeBatch(SEED);
    const plan = box.makePlan(SEED);
    const trainer = await trainerFor(box, params, own!);
    await trainer.update(batch, plan);
    const trained = await trainer.getParameters();
    own!.destroy();
    const error = await trainer.update(batch, plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceLostError);
    expect((error as DeviceLostError).parameters).toEqual(trained);
    expect(() => trainer.setParameters(params)).toThrow(DeviceLostError);
    const resumed = await trainerFor(box, (error as DeviceLostError).parameters);
    expect(await resumed.getParameters()).toEqual(trained);
  });
});

describe('webgpu trainer default plan', () => {
  it('update without a plan draws seeded shuffled rows: all epochs x minibatches, deterministic per seed', async (ctx) => {
    if (!device) return ctx.skip();
    await init();
    const c = discrete;
    const batch = c.makeBatch(SEED);
    const [a, b] = [await trainerFor(c, c.params(SEED)), await trainerFor(c, c.params(SEED))];
    const stats = await a.update(batch);
    await b.update(batch);
    expect(stats.minibatches).toBe(c.ppo.numEpochs * c.ppo.numMinibatches);
    expect(stats.epochs).toBe(c.ppo.numEpochs);
    expect(a.counters).toEqual({ submits: 1, readbacks: 1 });
    const [pa, pb] = [await a.getParameters(), await b.getParameters()];
    expect(pa).toEqual(pb);
    expect(pa).not.toEqual(c.params(SEED));
  });
});
