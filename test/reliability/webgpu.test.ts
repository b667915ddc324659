// The same faults on WebGPU (the software adapter in CI: tiny sizes): divergence caught inside the update's one
// readback and rolled back, and a device destroyed mid-update survived with no transition lost.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import type { RecoveredEvent } from '../../src/agent/recovery.js';
import type { Batch, MinibatchPlan } from '../../src/backend/trainer.js';
import type { WebGPUTrainer } from '../../src/backend/webgpu/trainer.js';
import { init } from '../../src/init.js';
import { vectorize } from '../../src/envs/vector.js';
import { train } from '../../src/train.js';
import { testDevice } from '../helpers/gpu.js';
import { cartpole, DIVERGING, divergesAndRollsBack, spaces } from './helpers.js';

let available = false;
beforeAll(async () => {
  await init();
  available = (await testDevice()) !== null;
});

describe('divergence on WebGPU', () => {
  for (const c of DIVERGING) {
    it(`${c.name}: rolled back, reported with its cause, never saved`, async (ctx) => {
      if (!available) return ctx.skip();
      await divergesAndRollsBack('webgpu', c);
    });
  }

  it('reads parameters and Adam state back with the update: one readback per update', async (ctx) => {
    if (!available) return ctx.skip();
    const agent = await Agent.create({ ...spaces, numAgents: 2, backend: 'webgpu', seed: 2, ppo: { numSteps: 4, numEpochs: 1, numMinibatches: 2 } });
    const trainer = (agent as unknown as { trainer: WebGPUTrainer }).trainer;
    const before = { ...trainer.counters };
    await train(agent, cartpole, { totalSteps: 16 });
    expect(agent.updates).toBe(2);
    expect(trainer.counters.readbacks - before.readbacks).toBe(2);
    agent.dispose();
  });
});

/** Makes the agent's current WebGPU trainer lose its device while its next update is in flight. */
function destroyDuringNextUpdate(agent: Agent, lost: { at?: number }): void {
  const trainer = (agent as unknown as { trainer: WebGPUTrainer }).trainer;
  const update = trainer.update.bind(trainer);
  trainer.update = (batch: Batch, plan?: MinibatchPlan) => {
    const run = update(batch, plan);
    setImmediate(() => { lost.at = performance.now(); trainer.device.destroy(); }); // after the submit, before the readback
    return run;
  };
}

describe('device loss', () => {
  it('rebuilds the trainer from the mirrored state, re-runs the lost update, and loses nothing', async (ctx) => {
    if (!available) return ctx.skip();
    const options = { ...spaces, numAgents: 2, backend: 'webgpu' as const, seed: 6, ppo: { numSteps: 4, numEpochs: 2, numMinibatches: 2, normalizeObservations: true } };
    const reference = await Agent.create(options);
    const agent = await Agent.create(options);
    const recovered: RecoveredEvent[] = [];
    agent.on('recovered', (e) => recovered.push(e));
    const lost: { at?: number } = {};
    let rebuiltAt = 0, rerunAt = 0;
    agent.on('recovered', () => { rebuiltAt = performance.now(); });
    agent.on('update', (e) => { if (e.updates === 2) rerunAt = performance.now(); });
    const venvA = vectorize(cartpole, 2), venvB = vectorize(cartpole, 2);
    await train(reference, venvA, { totalSteps: 16 });
    await train(agent, venvB, { totalSteps: 8 }); // one update
    destroyDuringNextUpdate(agent, lost);
    const progress: string[] = [];
    await train(agent, venvB, { totalSteps: 16, onProgress: (e) => progress.push(e.type) }); // the second update loses its device
    expect(progress).toContain('recovered');
    console.info(`device loss: trainer rebuilt ${(rebuiltAt - lost.at!).toFixed(0)} ms after the loss (on ${recovered[0]?.backend}), lost update re-run ${(rerunAt - rebuiltAt).toFixed(0)} ms later`);
    expect(recovered).toHaveLength(1);
    expect(recovered[0].deviceLosses).toBe(1);
    expect(recovered[0].updates).toBe(1);
    expect(agent.health.deviceLosses).toBe(1);
    expect(agent.backend).toBe(recovered[0].backend);
    // Nothing lost: the same steps, updates and (re-run from the same state) the same parameters.
    expect(agent.steps).toBe(reference.steps);
    expect(agent.updates).toBe(reference.updates);
    const [a, b] = [await agent.getParameters(), await reference.getParameters()];
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    // Lost while idle: save() and getParameters() still work, and the next update recovers again.
    (agent as unknown as { trainer: WebGPUTrainer }).trainer.device.destroy?.();
    expect(await agent.getParameters()).toEqual(a);
    const loaded = await Agent.load(await agent.save(), { backend: 'cpu' });
    expect(await loaded.getParameters()).toEqual(a);
    expect(loaded.steps).toBe(16);
    loaded.dispose();
    await train(agent, venvB, { totalSteps: 24 });
    expect(agent.updates).toBe(3);
    expect(agent.health.deviceLosses).toBe(2);
    agent.dispose();
    reference.dispose();
  });
});
