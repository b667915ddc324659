// A recurrent network trained on WebGPU in the worker trainer against the same trainer built locally: the
// batch's episode ends and stored states travel with it, and stats, parameters, Adam state and gradients come
// back bit for bit. The two ends talk over a MessageChannel (the same messages as a Web Worker).
import { afterEach, describe, expect, it } from 'vitest';
import { createTrainer } from '../../src/backend/index.js';
import { probeAdapter } from '../../src/backend/webgpu/index.js';
import { resolvePPOConfig } from '../../src/config.js';
import { init } from '../../src/init.js';
import { Discrete } from '../../src/spaces.js';
import type { MessageEndpoint } from '../../src/worker/protocol.js';
import { RemoteTrainer } from '../../src/worker/remote-trainer.js';
import { serveTrainer } from '../../src/worker/serve.js';
import { policySpec } from '../cpu/helpers.js';
import { recurrentBatch, SEGMENT_PLAN } from '../oracle/recurrent-cases.js';

await init();
const adapter = await probeAdapter();
if (!adapter && process.env.REQUIRE_WEBGPU === '1') throw new Error('REQUIRE_WEBGPU=1 but no WebGPU adapter was found');

const open: { close(): void }[] = [];
afterEach(() => { for (const port of open.splice(0)) port.close(); });

describe.skipIf(!adapter)('RemoteTrainer with a recurrent network on WebGPU', () => {
  it('matches the local WebGPU trainer bit for bit', async () => {
    const options = {
      policy: policySpec(3, Discrete(3), { hidden: [4], memory: { cell: 'lstm', size: 4, sequenceLength: 3 } }),
      ppo: resolvePPOConfig({ numSteps: 7, clipEpsilon: 0.3 }), seed: 3, backend: 'webgpu' as const,
    };
    const channel = new MessageChannel();
    open.push(channel.port1, channel.port2);
    serveTrainer(channel.port1 as unknown as MessageEndpoint);
    const remote = await RemoteTrainer.create({ ...options, worker: channel.port2 as unknown as MessageEndpoint, transport: 'transfer' });
    const local = await createTrainer(options);
    try {
      expect(remote.backend).toBe('webgpu');
      for (let k = 0; k < 2; k++) {
        const batch = recurrentBatch(options.policy, k + 1, { vtrace: k === 1 });
        // One after the other: the first times the kernel variants of each new shape, the second reuses its choice.
        const a = await remote.update(batch, SEGMENT_PLAN);
        expect(a).toEqual(await local.update(batch, SEGMENT_PLAN));
      }
      const trained = await local.getParameters();
      expect(await remote.getParameters()).toEqual(trained);
      expect(await remote.getOptimizerState()).toEqual(await local.getOptimizerState());
      const batch = recurrentBatch(options.policy, 9);
      const ga = await remote.computeGradients(batch);
      expect(ga).toEqual(await local.computeGradients(batch));
      expect(ga.grads.some((g) => g !== 0)).toBe(true);
    } finally {
      remote.dispose();
      local.dispose();
    }
  });
});
