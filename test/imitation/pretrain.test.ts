// pretrain() and BehavioralCloning on a real CPU trainer: a small scripted demonstration is learned to high
// accuracy, the PPO optimizer state comes back untouched, and cloning during PPO follows ML-Agents' schedule.
import { describe, expect, it } from 'vitest';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import type { OptimizerState, Trainer } from '../../src/backend/trainer.js';
import { resolvePPOConfig } from '../../src/config.js';
import { BehavioralCloning } from '../../src/imitation/behavioral-cloning.js';
import { DemonstrationRecorder } from '../../src/imitation/demonstration.js';
import type { ImitationHost } from '../../src/imitation/host.js';
import { pretrain, type PretrainEpoch } from '../../src/imitation/pretrain.js';
import { init } from '../../src/init.js';
import { resolveNetworkSpec } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete } from '../../src/spaces.js';

await init();

const observationSpace = Box(4);
const actionSpace = Discrete(3);

/** A script: the largest of the first three features, unless the fourth is positive (then action 0). */
function scripted(steps: number, seed: number) {
  const rng = new PCG32(seed, 1);
  const recorder = new DemonstrationRecorder({ observationSpace, actionSpace, chunkSteps: 64 });
  const obs = new Float32Array(8), actions = new Int32Array(2), rewards = new Float32Array(2), flags = new Uint8Array(2);
  for (let t = 0; t < steps / 2; t++) {
    for (let r = 0; r < 2; r++) {
      for (let k = 0; k < 4; k++) obs[r * 4 + k] = rng.nextNormal();
      const o = obs.subarray(r * 4, r * 4 + 4);
      actions[r] = o[3] > 0 ? 0 : o[0] >= o[1] && o[0] >= o[2] ? 0 : o[1] >= o[2] ? 1 : 2;
      rewards[r] = 1;
    }
    recorder.record(obs, actions, undefined, rewards, flags, flags);
  }
  return recorder.toDemonstration();
}

function host(trainer: Trainer, seen: { parameters?: Float32Array; optimizer?: OptimizerState }): ImitationHost {
  return {
    trainer, observationSpace, actionSpace,
    parametersChanged: (parameters, optimizer) => { seen.parameters = parameters; seen.optimizer = optimizer; },
  };
}

function cpuTrainer(): Trainer {
  return createCpuTrainer({
    policy: { observationSize: 4, actionSpace, network: resolveNetworkSpec({ hidden: [32, 32] }) },
    ppo: resolvePPOConfig({ learningRate: 3e-3 }), seed: 3,
  });
}

describe('pretrain', () => {
  it('clones a scripted policy to high accuracy, and leaves the PPO optimizer state as it was', async () => {
    const trainer = cpuTrainer();
    try {
      const ppoState = { m: new Float32Array(parametersOf(trainer)).fill(0.25), v: new Float32Array(parametersOf(trainer)).fill(0.5), step: 7 };
      trainer.setOptimizerState(ppoState);
      const seen: { parameters?: Float32Array; optimizer?: OptimizerState } = {};
      const progress: PretrainEpoch[] = [];
      const history = await pretrain(host(trainer, seen), scripted(512, 1), {
        epochs: 25, batchSize: 64, critic: true, onProgress: (s) => { progress.push(s); throw new Error('a listener error is not fatal'); },
      });
      expect(progress).toEqual(history);
      expect(history.map((h) => h.epoch)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(history[0].minibatches).toBe(8);
      const last = history[history.length - 1];
      expect(last.accuracy).toBeGreaterThan(0.9);
      expect(last.loss_bc).toBeLessThan(history[0].loss_bc / 3);
      expect(last.loss_critic).toBeLessThan(history[0].loss_critic);
      // Held-out states of the same script: the clone generalizes.
      const test = scripted(256, 2);
      const { stats } = await trainer.computeImitationGradients({ rows: test.steps, observations: test.observations, actions: test.actions });
      expect(stats.accuracy).toBeGreaterThan(0.85);
      expect(await trainer.getOptimizerState()).toEqual(ppoState);
      expect(seen.optimizer).toEqual(ppoState);
      expect(seen.parameters).toEqual(await trainer.getParameters());
    } finally {
      trainer.dispose();
    }
  });

  it('rejects demonstrations of other spaces and bad options, naming the field', async () => {
    const trainer = cpuTrainer();
    try {
      const demo = scripted(8, 1);
      const h = host(trainer, {});
      await expect(pretrain(h, { ...demo, actionSpace: Discrete(4) }, { epochs: 1, batchSize: 4 })).rejects.toThrow(/demonstrations\[0\]\.actionSpace/);
      await expect(pretrain(h, demo, { epochs: 0, batchSize: 4 })).rejects.toThrow(/options\.epochs/);
      await expect(pretrain(h, demo, { epochs: 1, batchSize: 4, learningrate: 1 } as never)).rejects.toThrow(/options\.learningrate/);
    } finally {
      trainer.dispose();
    }
  });
});

describe('BehavioralCloning (during PPO)', () => {
  it("anneals strength x learning rate linearly to 0 over steps, keeps its own Adam state, and stops at 0", async () => {
    const trainer = cpuTrainer();
    try {
      const seen: { parameters?: Float32Array } = {};
      const bc = new BehavioralCloning(host(trainer, seen), { demonstrations: scripted(64, 1), strength: 0.5, steps: 1000, batchSize: 16 }, { learningRate: 1e-3, batchSize: 32, numEpoch: 2 });
      expect(bc.learningRateAt(0)).toBeCloseTo(5e-4, 15);
      expect(bc.learningRateAt(250)).toBeCloseTo(3.75e-4, 15);
      const ppoState = await trainer.getOptimizerState();
      const first = await bc.afterUpdate(0);
      expect(first?.learningRate).toBeCloseTo(5e-4, 15);
      expect([first?.epochs, first?.minibatches]).toEqual([2, 8]);
      expect(await trainer.getOptimizerState()).toEqual(ppoState);
      const second = await bc.afterUpdate(500);
      expect(second?.learningRate).toBeCloseTo(2.5e-4, 15);
      expect(second!.loss_bc).toBeLessThan(first!.loss_bc);
      expect(seen.parameters).toEqual(await trainer.getParameters());
      const before = await trainer.getParameters();
      expect(await bc.afterUpdate(1000)).toBeUndefined();
      expect(await trainer.getParameters()).toEqual(before);
    } finally {
      trainer.dispose();
    }
  });
});

function parametersOf(trainer: Trainer): number {
  const last = trainer.parameterLayout[trainer.parameterLayout.length - 1];
  return last.offset + last.shape.reduce((a, b) => a * b, 1);
}
