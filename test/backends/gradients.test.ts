// Every backend against the TF.js oracle, case by case (test/oracle/cases.ts): computeGradients matches
// oracleLoss for every parameter and stat, and one update with a fixed plan matches oracleUpdate
// (parameters, Adam state, stats). Backends add themselves to BACKENDS.
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import type { Trainer, TrainerOptions } from '../../src/backend/trainer.js';
import { createWebGPUTrainer } from '../../src/backend/webgpu/index.js';
import { sharedTestDevice } from '../helpers/gpu.js';
import { ORACLE_CASES } from '../oracle/cases.js';
import { mismatch, statsMismatch } from '../oracle/compare.js';
import { oracleLoss, oracleUpdate } from '../oracle/ppo-oracle.js';

interface BackendUnderTest {
  name: string;
  /** Resolves null when the backend cannot run here (then its tests fail under REQUIRE_<NAME>=1). */
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

/** The backend's trainer, or undefined (skip) when it cannot run here and is not required to. */
async function build(backend: BackendUnderTest, options: TrainerOptions): Promise<Trainer | undefined> {
  const trainer = await backend.create(options);
  if (trainer) return trainer;
  const flag = `REQUIRE_${backend.name.toUpperCase()}`;
  if (process.env[flag] === '1') throw new Error(`${backend.name} backend unavailable but ${flag}=1`);
  return undefined;
}

describe.each(BACKENDS)('$name backend against the oracle', (backend) => {
  for (const c of ORACLE_CASES) {
    it(`${c.name}: computeGradients`, async () => {
      const params = c.params(SEED);
      const batch = c.makeBatch(SEED);
      const trainer = await build(backend, { policy: c.policy, ppo: c.ppo, seed: SEED, parameters: params });
      if (!trainer) return;
      try {
        const expected = oracleLoss(c.policy, c.ppo, params, batch);
        const actual = await trainer.computeGradients(batch);
        expect(mismatch(actual.grads, expected.grads, undefined, trainer.parameterLayout)).toBeNull();
        expect(statsMismatch(actual.stats, expected.stats)).toBeNull();
        expect(await trainer.getParameters()).toEqual(params); // no optimizer step
      } finally {
        trainer.dispose();
      }
    });

    it(`${c.name}: update with a fixed plan`, async () => {
      const params = c.params(SEED);
      const batch = c.makeBatch(SEED);
      const plan = c.makePlan(SEED);
      const trainer = await build(backend, { policy: c.policy, ppo: c.ppo, seed: SEED, parameters: params });
      if (!trainer) return;
      try {
        const expected = oracleUpdate(c.policy, c.ppo, params, batch, plan);
        const stats = await trainer.update(batch, plan);
        expect([stats.epochs, stats.minibatches]).toEqual([expected.stats.epochs, expected.stats.minibatches]);
        expect(statsMismatch(stats, expected.stats)).toBeNull();
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
});
