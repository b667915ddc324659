// The CPU trainer's state handling: seeded init, parameter and optimizer round trips, one update against
// computeGradients plus a float64 Adam step, epochs and early stop, rejected input leaving state intact,
// and no wasm memory growth after warm-up.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, wasm } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import type { Batch, MinibatchPlan, Trainer } from '../../src/backend/trainer.js';
import { initialParameters } from '../../src/policy/init.js';
import { networkLayout } from '../../src/policy/network.js';
import { Box, Discrete, MultiDiscrete } from '../../src/spaces.js';
import { policySpec, randomBatch, trainerOptions } from './helpers.js';

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

function onePass(rows: number): MinibatchPlan {
  return { unit: 'rows', numEpochs: 1, numMinibatches: 1, unitsPerMinibatch: rows, indices: Int32Array.from({ length: rows }, (_, i) => i) };
}

async function snapshot(trainer: Trainer) {
  const { m, v, step } = await trainer.getOptimizerState();
  return { params: bits(await trainer.getParameters()), m: bits(m), v: bits(v), step };
}

describe('cpu trainer', () => {
  beforeAll(() => init());

  it('starts from the seeded init, or the given parameters, and round-trips them bit-exactly', async () => {
    const policy = policySpec(4, Discrete(3));
    const layout = networkLayout(policy);
    const a = createCpuTrainer(trainerOptions(policy, {}, 3));
    const b = createCpuTrainer(trainerOptions(policy, {}, 3));
    const c = createCpuTrainer(trainerOptions(policy, {}, 4));
    expect(await a.getParameters()).toEqual(initialParameters(layout, 3));
    expect(await b.getParameters()).toEqual(await a.getParameters());
    expect(await c.getParameters()).not.toEqual(await a.getParameters());
    expect(a.parameterLayout).toEqual(layout.parameters);
    const flat = Float32Array.from({ length: layout.size }, (_, i) => Math.fround(Math.cos(i) / 3));
    const d = createCpuTrainer({ ...trainerOptions(policy), parameters: flat });
    expect(bits(await d.getParameters())).toEqual(bits(flat));
    flat[0] = 1e-40; // a subnormal survives too
    a.setParameters(flat);
    expect(bits(await a.getParameters())).toEqual(bits(flat));
    for (const t of [a, b, c, d]) t.dispose();
  });

  it('one update of one full-batch minibatch equals computeGradients plus a float64 Adam step', async () => {
    for (const ppo of [{ maxGradNorm: 0.05 }, { maxGradNorm: Infinity, weightDecay: 0.1 }, { maxGradNorm: 0 }]) {
      const policy = policySpec(3, Box(2), { hidden: [6] });
      const options = trainerOptions(policy, { learningRate: 0.01, adamEps: 1e-5, ...ppo });
      const trainer = createCpuTrainer(options);
      const batch = randomBatch(policy, 4, 3, 2);
      const theta = await trainer.getParameters();
      const { grads, stats } = await trainer.computeGradients(batch);
      const result = await trainer.update(batch, onePass(12));
      expect(result.epochs).toBe(1);
      expect(result.minibatches).toBe(1);
      for (const key of Object.keys(stats) as (keyof typeof stats)[]) expect(result[key]).toBeCloseTo(stats[key], 6);
      let norm = 0;
      for (const g of grads) norm += g * g;
      norm = Math.sqrt(norm);
      const clip = Number.isFinite(ppo.maxGradNorm) && ppo.maxGradNorm > 0 ? Math.min(1, ppo.maxGradNorm / (norm + 1e-6)) : 1;
      const lr = 0.01, wd = ('weightDecay' in ppo ? ppo.weightDecay : undefined) ?? 0;
      const after = await trainer.getParameters();
      const state = await trainer.getOptimizerState();
      expect(state.step).toBe(1);
      for (let i = 0; i < theta.length; i++) {
        const g = grads[i] * clip;
        const m = 0.1 * g, v = 0.001 * g * g;
        const expected = theta[i] * (1 - lr * wd) - (lr * (m / 0.1)) / (Math.sqrt(v / 0.001) + 1e-5);
        expect(after[i]).toBeCloseTo(expected, 5);
        expect(state.m[i]).toBeCloseTo(m, 6);
        expect(state.v[i]).toBeCloseTo(v, 8);
      }
      trainer.dispose();
    }
  });

  it("normalizes advantages once over the batch with normalizeAdvantage 'batch'", async () => {
    const policy = policySpec(3, Discrete(2));
    const batch = randomBatch(policy, 8, 2, 4);
    const plan: MinibatchPlan = { unit: 'rows', numEpochs: 2, numMinibatches: 2, unitsPerMinibatch: 8, indices: Int32Array.from({ length: 32 }, (_, i) => (i * 5) % 16) };
    const mean = batch.advantages.reduce((s, a) => s + a, 0) / 16;
    const std = Math.sqrt(batch.advantages.reduce((s, a) => s + (a - mean) ** 2, 0) / 15);
    const normalized = { ...batch, advantages: batch.advantages.map((a) => (a - mean) / (std + 1e-8)) };
    const a = createCpuTrainer(trainerOptions(policy, { normalizeAdvantage: 'batch' }));
    const b = createCpuTrainer(trainerOptions(policy, { normalizeAdvantage: false }));
    const sa = await a.update(batch, plan);
    const sb = await b.update(normalized, plan);
    expect(sa.loss_objective).toBeCloseTo(sb.loss_objective, 5);
    const pa = await a.getParameters(), pb = await b.getParameters();
    for (let i = 0; i < pa.length; i++) expect(pa[i]).toBeCloseTo(pb[i], 5);
    a.dispose();
    b.dispose();
  });

  it('runs the default plan (epochs x minibatches), stops early past targetKl, and follows setHyperparameters', async () => {
    const policy = policySpec(3, MultiDiscrete([2, 3]), { shared: true });
    const batch = randomBatch(policy, 16, 4, 6, { masks: true });
    const trainer = createCpuTrainer(trainerOptions(policy, { numEpochs: 3, numMinibatches: 4 }));
    const before = await trainer.getParameters();
    const stats = await trainer.update(batch);
    expect([stats.epochs, stats.minibatches]).toEqual([3, 12]);
    expect((await trainer.getOptimizerState()).step).toBe(12);
    for (const value of Object.values(stats)) expect(Number.isFinite(value)).toBe(true);
    expect(await trainer.getParameters()).not.toEqual(before);

    const early = createCpuTrainer(trainerOptions(policy, { numEpochs: 3, numMinibatches: 4, targetKl: 0 }));
    const stopped = await early.update(batch);
    expect([stopped.epochs, stopped.minibatches]).toEqual([1, 4]);

    early.setHyperparameters({ learningRate: 0, clipEpsilon: [0.1, 0.3], entropyCoef: 0.5 });
    const frozen = await early.getParameters();
    await early.update(batch);
    expect(await early.getParameters()).toEqual(frozen);
    expect(() => early.setHyperparameters({ learningRate: -1 })).toThrow(/hyperparameters.learningRate: expected/);
    trainer.dispose();
    early.dispose();
  });

  it('rejects bad input naming the field, leaving parameters and Adam state unchanged', async () => {
    const policy = policySpec(3, Discrete(3));
    const trainer = createCpuTrainer(trainerOptions(policy));
    const good = randomBatch(policy, 4, 2, 1, { masks: true });
    await trainer.update(good);
    const saved = await snapshot(trainer);
    const nanObs = good.observations.slice(); nanObs[7] = NaN;
    const maskedAction = good.masks!.slice(); maskedAction[3 * 3 + (good.actions[3] as number)] = 0;
    const bad: [Partial<Batch>, RegExp][] = [
      [{ observations: nanObs }, /batch.observations\[row 2, 1\]/],
      [{ values: new Float32Array(7) }, /batch.values.length: expected 8/],
      [{ masks: maskedAction }, /batch.(actions|masks)\[row 3/],
      [{ actions: new Float32Array(8) }, /batch.actions: expected a Int32Array/],
    ];
    for (const [change, message] of bad) {
      await expect(trainer.update({ ...good, ...change })).rejects.toThrow(message);
      await expect(trainer.computeGradients({ ...good, ...change })).rejects.toThrow(message);
    }
    const plan = { ...onePass(8), indices: Int32Array.of(0, 1, 2, 3, 4, 5, 6, 8) };
    await expect(trainer.update(good, plan)).rejects.toThrow(/plan.indices\[7\]: expected an index in \[0, 7\]/);
    await expect(trainer.update(good, { ...onePass(4), unit: 'segments', unitsPerMinibatch: 2, indices: Int32Array.of(0, 1) })).rejects.toThrow(/batch.rewards/);
    expect(() => trainer.setParameters(new Float32Array(3))).toThrow(/parameters.length/);
    const state = await trainer.getOptimizerState();
    expect(() => trainer.setOptimizerState({ ...state, v: state.v.map((x, i) => (i === 2 ? -1 : x)) })).toThrow(/optimizerState.v\[2\]/);
    expect(() => trainer.setOptimizerState({ ...state, step: 1.5 })).toThrow(/optimizerState.step/);
    expect(await snapshot(trainer)).toEqual(saved);
    trainer.setOptimizerState({ m: state.m.map((x) => x * 2), v: state.v, step: 40 });
    const restored = await trainer.getOptimizerState();
    expect(restored.step).toBe(40);
    expect(restored.m).toEqual(state.m.map((x) => x * 2));
    trainer.dispose();
    await expect(trainer.getParameters()).rejects.toThrow(/disposed/);
  });

  it('validates what it is built from, naming the field', () => {
    const policy = policySpec(3, Discrete(2));
    expect(() => createCpuTrainer({ ...trainerOptions(policy), seed: -1 })).toThrow(/seed: expected an integer >= 0, got -1/);
    expect(() => createCpuTrainer(trainerOptions({ ...policy, observationSize: 0 }))).toThrow(/policy.observationSize/);
    expect(() => createCpuTrainer(trainerOptions(policySpec(3, Box(2), { distribution: 'tanh_normal' })))).toThrow(/policy.actionSpace.low\/high\[0\]: expected finite bounds/);
    expect(() => createCpuTrainer({ ...trainerOptions(policy), ppo: { clipEpsilon: 2 } as never })).toThrow(/ppo.clipEpsilon/);
    expect(() => createCpuTrainer({ ...trainerOptions(policy), parameters: new Float32Array(2) })).toThrow(/parameters.length/);
    // A partial config is completed with the defaults.
    const trainer = createCpuTrainer({ ...trainerOptions(policy), ppo: { learningRate: 1e-3 } as never });
    trainer.dispose();
  });

  it('allocates no wasm memory across repeated updates after warm-up, and grows for a larger batch', async () => {
    const policy = policySpec(4, Box(2, -1, 1), { distribution: 'tanh_normal', hidden: [32, 32] });
    const trainer = createCpuTrainer(trainerOptions(policy, { samplesMcEntropy: 2 }));
    const batch = randomBatch(policy, 32, 4, 1);
    await trainer.update(batch);
    await trainer.computeGradients(batch); // one minibatch of all rows: the largest scratch
    const bytes = wasm().memory.buffer.byteLength;
    for (let i = 0; i < 10; i++) {
      await trainer.update(batch);
      await trainer.computeGradients(batch);
    }
    expect(wasm().memory.buffer.byteLength).toBe(bytes);
    const bigger = randomBatch(policy, 64, 8, 2);
    const stats = await trainer.update(bigger);
    expect(Number.isFinite(stats.loss_objective)).toBe(true);
    trainer.dispose();
  });
});
