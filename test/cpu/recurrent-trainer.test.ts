// The CPU trainer with recurrent networks against the TF.js oracle: LSTM and GRU, every head type, shared and
// separate networks, masks, V-trace recomputation, episode ends inside sequences and sequences cut inside a
// segment (a ragged last one too). computeGradients (all parameters and stats) and whole updates of shuffled
// segments (parameters, Adam state, stats).
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import type { MinibatchPlan } from '../../src/backend/trainer.js';
import { resolvePPOConfig } from '../../src/config.js';
import { init } from '../../src/init.js';
import { Discrete } from '../../src/spaces.js';
import { mismatch, statsMismatch } from '../oracle/compare.js';
import { oracleLoss, oracleUpdate } from '../oracle/ppo-oracle.js';
import { perturbed, RECURRENT_CASES, RECURRENT_N, RECURRENT_T, recurrentBatch, SEGMENT_PLAN } from '../oracle/recurrent-cases.js';
import { policySpec, randomBatch } from './helpers.js';

const T = RECURRENT_T;
const N = RECURRENT_N;

describe('CPU trainer with memory against the oracle', () => {
  beforeAll(() => init());
  RECURRENT_CASES.forEach((c, k) => {
    const policy = policySpec(3, c.space, c.network);
    const ppo = resolvePPOConfig({ clipEpsilon: 0.3, ...c.ppo });
    it(`${c.name}: computeGradients`, async () => {
      const params = perturbed(policy, k);
      const batch = recurrentBatch(policy, 10 + k, c.extra);
      const trainer = createCpuTrainer({ policy, ppo, seed: 1, parameters: params });
      try {
        const expected = oracleLoss(policy, ppo, params, batch);
        const actual = await trainer.computeGradients(batch);
        expect(mismatch(actual.grads, expected.grads, undefined, trainer.parameterLayout)).toBeNull();
        expect(statsMismatch(actual.stats, expected.stats)).toBeNull();
        const memory = trainer.parameterLayout.filter((p) => p.name.includes('.memory.'));
        expect(memory.length).toBe(c.network.shared ? 4 : 8);
        for (const p of memory) expect(actual.grads.subarray(p.offset, p.offset + p.shape[0]).some((g) => g !== 0), p.name).toBe(true);
      } finally {
        trainer.dispose();
      }
    });

    it(`${c.name}: update over shuffled segments`, async () => {
      const params = perturbed(policy, k);
      const batch = recurrentBatch(policy, 20 + k, c.extra);
      const plan = SEGMENT_PLAN;
      const trainer = createCpuTrainer({ policy, ppo, seed: 1, parameters: params });
      try {
        const expected = oracleUpdate(policy, ppo, params, batch, plan);
        const stats = await trainer.update(batch, plan);
        expect(stats.minibatches).toBe(expected.stats.minibatches);
        expect(statsMismatch(stats, expected.stats)).toBeNull();
        const layout = trainer.parameterLayout;
        expect(mismatch(await trainer.getParameters(), expected.params, undefined, layout)).toBeNull();
        const state = await trainer.getOptimizerState();
        expect(mismatch(state.m, expected.optimizer.m, undefined, layout)).toBeNull();
      } finally {
        trainer.dispose();
      }
    });
  });

  it('rejects a batch without stored states or episode ends, a plan of rows, and states for a feed-forward network', async () => {
    const policy = policySpec(3, Discrete(2), { memory: { cell: 'gru', size: 3, sequenceLength: 3 } });
    const trainer = createCpuTrainer({ policy, ppo: resolvePPOConfig({}), seed: 1 });
    const batch = recurrentBatch(policy, 1);
    const before = await trainer.getParameters();
    await expect(trainer.computeGradients({ ...batch, hiddenStates: undefined })).rejects.toThrow(expect.objectContaining({ field: 'batch.hiddenStates' }));
    await expect(trainer.computeGradients({ ...batch, hiddenStates: batch.hiddenStates!.subarray(1) })).rejects.toThrow(expect.objectContaining({ field: 'batch.hiddenStates.length' }));
    await expect(trainer.computeGradients({ ...batch, terminated: undefined })).rejects.toThrow(expect.objectContaining({ field: 'batch.terminated' }));
    const rows: MinibatchPlan = { unit: 'rows', numEpochs: 1, numMinibatches: 1, unitsPerMinibatch: 2, indices: Int32Array.from([0, 1]) };
    await expect(trainer.update(batch, rows)).rejects.toThrow(expect.objectContaining({ field: 'plan.unit' }));
    expect(await trainer.getParameters()).toEqual(before);
    // The default plan is shuffled segments; it trains.
    const stats = await trainer.update(batch);
    expect(stats.minibatches).toBeGreaterThan(0);
    expect(await trainer.getParameters()).not.toEqual(before);
    trainer.dispose();
    const plain = createCpuTrainer({ policy: policySpec(3, Discrete(2)), ppo: resolvePPOConfig({}), seed: 1 });
    await expect(plain.computeGradients({ ...randomBatch(policySpec(3, Discrete(2)), T, N, 1), hiddenStates: new Float32Array(3) })).rejects.toThrow(expect.objectContaining({ field: 'batch.hiddenStates' }));
    plain.dispose();
  });
});

describe('CPU trainer with memory against finite differences of its own loss', () => {
  beforeAll(() => init());
  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: every parameter, episode ends and a sequence start inside the segment`, async () => {
      const policy = policySpec(3, Discrete(3), { hidden: [3], memory: { cell, size: 3, sequenceLength: 3 } });
      const trainer = createCpuTrainer({ policy, ppo: resolvePPOConfig({ clipEpsilon: 0.3 }), seed: 1, parameters: perturbed(policy, 5) });
      const batch = recurrentBatch(policy, 3);
      const { grads } = await trainer.computeGradients(batch);
      const theta = await trainer.getParameters();
      const loss = async (q: Float32Array) => {
        trainer.setParameters(q);
        const s = (await trainer.computeGradients(batch)).stats;
        return s.loss_objective + s.loss_entropy + s.loss_critic;
      };
      const h = 1e-2;
      let worst = 0;
      for (let i = 0; i < theta.length; i++) {
        const up = theta.slice(); up[i] += h;
        const down = theta.slice(); down[i] -= h;
        const fd = ((await loss(up)) - (await loss(down))) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - grads[i]) / (Math.abs(fd) + 1e-2));
      }
      expect(worst).toBeLessThan(0.03);
      trainer.dispose();
    });
  }
});

describe('CPU trainer with memory in frame-budget slices', () => {
  beforeAll(() => init());
  it('an update run in tiny slices gives the bits of update()', async () => {
    const policy = policySpec(3, Discrete(3), { hidden: [4], memory: { cell: 'lstm', size: 4, sequenceLength: 3 } });
    const batch = recurrentBatch(policy, 8, { vtrace: true });
    const plan: MinibatchPlan = { unit: 'segments', numEpochs: 2, numMinibatches: 2, unitsPerMinibatch: 2, indices: Int32Array.from([2, 0, 3, 1, 1, 3, 0, 2]) };
    const make = () => createCpuTrainer({ policy, ppo: resolvePPOConfig({}), seed: 1, parameters: perturbed(policy, 8) });
    const whole = make();
    await whole.update(batch, plan);
    const sliced = make();
    const job = sliced.startUpdate!(batch, plan);
    while (!job.run(0.001));
    expect(job.slices).toBeGreaterThan(2);
    expect(await sliced.getParameters()).toEqual(await whole.getParameters());
    whole.dispose();
    sliced.dispose();
  });
});
