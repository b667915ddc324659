// Behaviours on different backends in one game (WebGPU on SwiftShader in CI: tiny sizes): only the behaviour
// that slices on the CPU in the game's thread takes the frame budget, and one file saved from both backends
// resumes on the CPU.
import { beforeAll, describe, expect, it } from 'vitest';
import { Behaviours } from '../../src/behaviours/behaviours.js';
import { init } from '../../src/init.js';
import { Box, Discrete } from '../../src/spaces.js';
import { testDevice } from '../helpers/gpu.js';

let available = false;
beforeAll(async () => {
  await init();
  available = (await testDevice()) !== null;
});

describe('Behaviours on WebGPU and the CPU', () => {
  it('gives the whole frame budget to the one slicing in the game\'s thread, and saves both in one file', async (ctx) => {
    if (!available) return ctx.skip();
    const behaviours = await Behaviours.create({
      gpu: { observationSpace: Box(3), actionSpace: Discrete(2), numAgents: 2, backend: 'webgpu', network: { hidden: [8] }, ppo: { numSteps: 4, numEpochs: 1, numMinibatches: 1 } },
      cpu: { observationSpace: Box(2), actionSpace: Discrete(3), numAgents: 3, network: { hidden: [8] }, ppo: { numSteps: 4, numEpochs: 1, numMinibatches: 1 } },
    }, { backend: 'cpu', frameBudgetMs: 3, seed: 2 });
    expect(behaviours.get('gpu').backend).toBe('webgpu');
    expect(behaviours.get('cpu').frameBudgetMs).toBe(3); // the only one slicing: a turn still does at most 3 ms
    const updates: string[] = [];
    behaviours.on('update', (e) => updates.push(e.behaviour));
    const gpuObs = new Float32Array(6).fill(0.5), cpuObs = new Float32Array(6).fill(-0.5);
    for (let t = 0; t < 9; t++) {
      behaviours.get('gpu').act(gpuObs);
      behaviours.get('cpu').act(cpuObs);
      behaviours.get('gpu').observe(new Float32Array(2).fill(1), new Uint8Array(2), new Uint8Array(2));
      behaviours.get('cpu').observe(new Float32Array(3).fill(1), new Uint8Array(3), new Uint8Array(3));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await behaviours.whenIdle();
    expect(updates.filter((b) => b === 'gpu').length).toBe(2);
    expect(updates.filter((b) => b === 'cpu').length).toBe(2);
    const restored = await Behaviours.load(await behaviours.save(), { backend: 'cpu' });
    expect(restored.get('gpu').backend).toBe('cpu');
    expect(await restored.get('gpu').getParameters()).toEqual(await behaviours.get('gpu').getParameters());
    expect(restored.names.map((n) => restored.get(n).frameBudgetMs)).toEqual([1, 1]); // both slice now: the default 2 ms, shared
    restored.dispose();
    behaviours.dispose();
  }, 60_000);
});
