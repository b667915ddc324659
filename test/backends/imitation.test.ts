// Behaviour cloning on every backend against the TF.js oracle (test/oracle/bc-oracle.ts), case by case
// (test/oracle/bc-cases.ts): computeImitationGradients matches oracleImitationLoss for every parameter and stat,
// imitate with a fixed weighted plan matches oracleImitate (parameters, Adam state, stats); and the CPU and
// WebGPU backends against each other directly.
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import type { ImitationStats, Trainer, TrainerOptions } from '../../src/backend/trainer.js';
import { createWebGPUTrainer } from '../../src/backend/webgpu/index.js';
import { ValidationError } from '../../src/errors.js';
import { sharedTestDevice } from '../helpers/gpu.js';
import { IMITATION_CASES } from '../oracle/bc-cases.js';
import { oracleImitate, oracleImitationLoss } from '../oracle/bc-oracle.js';
import { mismatch, STATS_TOLERANCE } from '../oracle/compare.js';
import { createMinibatchPlan } from '../../src/storage/plan.js';
import { VARIANT_CASES } from '../webgpu/variant-cases.js';

interface BackendUnderTest {
  name: string;
  create(options: TrainerOptions): Promise<Trainer | null>;
}

const BACKENDS: BackendUnderTest[] = [
  { name: 'cpu', create: async (options) => createCpuTrainer(options) },
  {
    name: 'webgpu',
    create: async (options) => {
      const device = await sharedTestDevice();
      return device && createWebGPUTrainer({ ...options, device });
    },
  },
];

const SEED = 7;
await init();

async function build(backend: BackendUnderTest, options: TrainerOptions): Promise<Trainer | undefined> {
  const trainer = await backend.create(options);
  if (trainer) return trainer;
  const flag = `REQUIRE_${backend.name.toUpperCase()}`;
  if (process.env[flag] === '1') throw new Error(`${backend.name} backend unavailable but ${flag}=1`);
  return undefined;
}

/** null when every stat of `expected` is within tolerance of `actual` (accuracies present exactly when expected). */
function imitationStatsMismatch(actual: ImitationStats, expected: ImitationStats): string | null {
  const { rtol, atol } = STATS_TOLERANCE;
  const names = Object.keys(expected) as (keyof ImitationStats)[];
  if (Object.keys(actual).sort().join() !== names.sort().join()) return `stats ${Object.keys(actual)} vs ${names}`;
  const close = (a: number, e: number) => Math.abs(a - e) <= atol + rtol * Math.abs(e);
  const bad = names.filter((name) => {
    const a = actual[name], e = expected[name];
    if (Array.isArray(e)) return !Array.isArray(a) || a.length !== e.length || !e.every((x, i) => close(a[i], x));
    return !close(a as number, e as number);
  });
  return bad.length === 0 ? null : bad.map((name) => `${name}: ${actual[name]} vs ${expected[name]}`).join('; ');
}

describe.each(BACKENDS)('$name backend: behaviour cloning against the oracle', (backend) => {
  for (const c of IMITATION_CASES) {
    const { policy, ppo } = c.base;
    it(`${c.name}: computeImitationGradients`, async () => {
      const params = c.base.params(SEED);
      const demo = c.makeDemo(SEED);
      const trainer = await build(backend, { policy, ppo, seed: SEED, parameters: params });
      if (!trainer) return;
      try {
        const expected = oracleImitationLoss(policy, ppo, params, demo, c.criticCoef);
        const actual = await trainer.computeImitationGradients(demo, { criticCoef: c.criticCoef });
        expect(mismatch(actual.grads, expected.grads, undefined, trainer.parameterLayout)).toBeNull();
        expect(imitationStatsMismatch(actual.stats, expected.stats)).toBeNull();
        expect(await trainer.getParameters()).toEqual(params);
      } finally {
        trainer.dispose();
      }
    });

    it(`${c.name}: imitate with a fixed weighted plan`, async () => {
      const params = c.base.params(SEED);
      const demo = c.makeDemo(SEED);
      const plan = c.makePlan(SEED);
      const learningRate = 3 * ppo.learningRate;
      const trainer = await build(backend, { policy, ppo, seed: SEED, parameters: params });
      if (!trainer) return;
      try {
        const expected = oracleImitate(policy, ppo, params, demo, plan, c.criticCoef, learningRate);
        const stats = await trainer.imitate(demo, plan, { criticCoef: c.criticCoef, learningRate });
        expect([stats.epochs, stats.minibatches]).toEqual([expected.stats.epochs, expected.stats.minibatches]);
        const { epochs: _e, minibatches: _m, ...rest } = stats;
        const { epochs: _e2, minibatches: _m2, ...expectedRest } = expected.stats;
        expect(imitationStatsMismatch(rest, expectedRest)).toBeNull();
        const layout = trainer.parameterLayout;
        expect(mismatch(await trainer.getParameters(), expected.params, undefined, layout)).toBeNull();
        const state = await trainer.getOptimizerState();
        expect(state.step).toBe(expected.optimizer.step);
        expect(mismatch(state.m, expected.optimizer.m, undefined, layout)).toBeNull();
        expect(mismatch(state.v, expected.optimizer.v, { rtol: 1e-3, atol: 1e-9 }, layout)).toBeNull();
      } finally {
        trainer.dispose();
      }
    });
  }

  it('rejects a bad demonstration naming its field, and leaves the parameters as they were', async () => {
    const c = IMITATION_CASES[1];
    const params = c.base.params(SEED);
    const trainer = await build(backend, { policy: c.base.policy, ppo: c.base.ppo, seed: SEED, parameters: params });
    if (!trainer) return;
    try {
      const demo = c.makeDemo(SEED);
      const bad = Int32Array.from(demo.actions);
      bad[3] = 7;
      await expect(async () => trainer.imitate({ ...demo, actions: bad })).rejects.toThrow(/demo\.actions\[row 3, branch 0\]/);
      await expect(async () => trainer.imitate({ ...demo, returns: undefined }, undefined, { criticCoef: 1 })).rejects.toThrow(ValidationError);
      await expect(async () => trainer.imitate({ ...demo, rows: demo.rows + 1 })).rejects.toThrow(/demo\.observations\.length/);
      expect(await trainer.getParameters()).toEqual(params);
    } finally {
      trainer.dispose();
    }
  });
});

describe('behaviour cloning: CPU against WebGPU', () => {
  for (const c of IMITATION_CASES.filter((x) => x.criticCoef > 0)) {
    it(`${c.name}: the same gradients and stats`, async () => {
      const params = c.base.params(SEED);
      const demo = c.makeDemo(SEED);
      const options = { policy: c.base.policy, ppo: c.base.ppo, seed: SEED, parameters: params };
      const gpu = await build(BACKENDS[1], options);
      if (!gpu) return;
      const cpu = createCpuTrainer(options);
      try {
        const a = await cpu.computeImitationGradients(demo, { criticCoef: c.criticCoef });
        const b = await gpu.computeImitationGradients(demo, { criticCoef: c.criticCoef });
        expect(mismatch(b.grads, a.grads, undefined, cpu.parameterLayout)).toBeNull();
        expect(imitationStatsMismatch(b.stats, a.stats)).toBeNull();
      } finally {
        cpu.dispose();
        gpu.dispose();
      }
    });
  }
});

describe("behaviour cloning: both WebGPU kernel variants against the CPU trainer", { timeout: 240_000 }, () => {
  // Sized for the 'tiled' paths (several reduction workgroups, split column sums for the per-branch hits); one
  // case, since compiling the tiled pipelines on a software adapter is what costs.
  for (const c of VARIANT_CASES.filter((x) => x.name.startsWith('multidiscrete'))) {
    it(`${c.name}: 'direct' and 'tiled' give the CPU trainer's cloning gradients, stats and parameters`, async () => {
      const options = { policy: c.policy, ppo: c.ppo, seed: SEED, parameters: c.params(SEED) };
      const batch = c.makeBatch(SEED);
      const demo = { rows: batch.numSteps * batch.numEnvs, observations: batch.observations, actions: batch.actions, masks: batch.masks, returns: batch.returns };
      const plan = createMinibatchPlan({ numSteps: demo.rows, numEnvs: 1, numEpochs: 2, numMinibatches: 1, unit: 'rows', mode: 'shuffled', seed: 3 });
      const cpu = createCpuTrainer(options);
      const device = await sharedTestDevice();
      if (!device) {
        cpu.dispose();
        if (process.env.REQUIRE_WEBGPU === '1') throw new Error('webgpu backend unavailable but REQUIRE_WEBGPU=1');
        return;
      }
      try {
        const expected = await cpu.computeImitationGradients(demo, { criticCoef: 0.5 });
        const updated = await cpu.imitate(demo, plan, { criticCoef: 0.5 });
        const params = await cpu.getParameters();
        for (const kernels of ['direct', 'tiled'] as const) {
          const gpu = await createWebGPUTrainer({ ...options, device, kernels });
          try {
            const got = await gpu.computeImitationGradients(demo, { criticCoef: 0.5 });
            expect(mismatch(got.grads, expected.grads, undefined, cpu.parameterLayout), kernels).toBeNull();
            expect(imitationStatsMismatch(got.stats, expected.stats), kernels).toBeNull();
            const stats = await gpu.imitate(demo, plan, { criticCoef: 0.5 });
            expect(imitationStatsMismatch(stats, updated), kernels).toBeNull();
            expect(mismatch(await gpu.getParameters(), params, undefined, cpu.parameterLayout), kernels).toBeNull();
          } finally {
            gpu.dispose();
          }
        }
      } finally {
        cpu.dispose();
      }
    });
  }
});
