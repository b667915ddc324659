// A batch whose arrays are views over wasm memory (RolloutBuffer.batch()) must survive the trainer growing
// wasm memory while it uploads: training on it equals training on a plain JS copy of it.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, wasm } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import { resolvePPOConfig } from '../../src/config.js';
import { resolveNetworkSpec, type PolicySpec } from '../../src/policy/network.js';
import { Discrete } from '../../src/spaces.js';
import { RolloutBuffer } from '../../src/storage/rollout-buffer.js';
import { PCG32 } from '../../src/rng.js';
import type { Batch } from '../../src/backend/trainer.js';

const policy: PolicySpec = { observationSize: 32, actionSpace: Discrete(3), network: resolveNetworkSpec({ hidden: [16] }) };
const ppo = resolvePPOConfig({ numEpochs: 1, numMinibatches: 2 });

function filledBuffer(numSteps: number, numEnvs: number): RolloutBuffer {
  const buffer = RolloutBuffer.create({ numSteps, numEnvs, observationSize: policy.observationSize, actionSpace: policy.actionSpace });
  const rng = new PCG32(7);
  const f32 = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * rng.nextNormal());
  for (let t = 0; t < numSteps; t++) {
    buffer.add({
      observations: f32(numEnvs * policy.observationSize),
      actions: Int32Array.from({ length: numEnvs }, () => rng.nextU32() % 3),
      logProbs: Float32Array.from({ length: numEnvs }, () => Math.log(1 / 3) + 0.1 * rng.nextNormal()),
      values: f32(numEnvs),
      rewards: f32(numEnvs),
      terminated: Uint8Array.from({ length: numEnvs }, () => (rng.nextFloat() < 0.05 ? 1 : 0)),
      truncated: new Uint8Array(numEnvs),
    });
  }
  buffer.computeAdvantages({ lastValues: f32(numEnvs), gamma: 0.99, gaeLambda: 0.95 });
  return buffer;
}

function copyOf(batch: Batch): Batch {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(batch)) copy[key] = ArrayBuffer.isView(value) ? (value as Float32Array).slice() : value;
  return copy as unknown as Batch;
}

describe('batches over wasm memory', () => {
  beforeAll(() => init());

  it('the CPU trainer reads them correctly after its upload grows wasm memory', async () => {
    const buffer = filledBuffer(256, 64);
    const views = buffer.batch();
    const plain = copyOf(views);
    const before = wasm().memory.buffer;
    const trainer = createCpuTrainer({ policy, ppo, seed: 3 });
    const stats = await trainer.update(views);
    expect(wasm().memory.buffer).not.toBe(before); // the case under test: memory did grow mid-update
    const reference = createCpuTrainer({ policy, ppo, seed: 3 });
    const expected = await reference.update(plain);
    expect(stats).toEqual(expected);
    expect(await trainer.getParameters()).toEqual(await reference.getParameters());
    trainer.dispose();
    reference.dispose();
    buffer.dispose();
  });
});
