// backend 'auto' measures: with a WebGPU adapter present (SwiftShader here), it times one real update of the
// configuration on a real WASM CPU trainer and a real WebGPU trainer and keeps the faster. Each direction is
// forced by slowing one real trainer down (a wrapper that waits half a second after each update, far more than
// either update of this small configuration takes), so the slowed backend must lose; the winner comes back unwrapped, in its initial state, and the
// choice is cached per adapter and configuration. Recurrent networks (network.memory) are measured the same way.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { init } from '../../src/init.js';
import { createTrainer, type BackendReport } from '../../src/backend/index.js';
import { syntheticBatch } from '../../src/backend/auto.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import type { BackendName, Trainer } from '../../src/backend/trainer.js';
import { probeAdapter } from '../../src/backend/webgpu/index.js';
import type { NetworkSpecInput } from '../../src/policy/network.js';
import { Box, Discrete } from '../../src/spaces.js';
import { policySpec, trainerOptions } from '../cpu/helpers.js';

await init();
const adapter = await probeAdapter();
if (!adapter && process.env.REQUIRE_WEBGPU === '1') throw new Error('REQUIRE_WEBGPU=1 but no WebGPU adapter was found');

/** The same trainer, but each update takes half a second longer. */
function slowed(trainer: Trainer): Trainer {
  return new Proxy(trainer, {
    get(target, key) {
      if (key === 'update') {
        return async (...args: Parameters<Trainer['update']>) => {
          const stats = await target.update(...args);
          await new Promise((resolve) => setTimeout(resolve, 500));
          return stats;
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// Generous limits: the first WebGPU trainer compiles every pipeline on the software adapter, slow on a busy host.
describe.skipIf(!adapter)("backend 'auto' picks the faster backend by timing one update", { timeout: 240_000 }, () => {
  beforeAll(() => { vi.spyOn(console, 'info').mockImplementation(() => {}); });

  const cases: { slow: BackendName; network: NetworkSpecInput }[] = [
    { slow: 'cpu', network: { hidden: [8, 8] } },
    { slow: 'webgpu', network: { hidden: [8, 8] } },
    { slow: 'cpu', network: { hidden: [8], memory: { cell: 'lstm', size: 8, sequenceLength: 4 } } },
    { slow: 'webgpu', network: { hidden: [8], memory: { cell: 'gru', size: 8, sequenceLength: 4 } } },
  ];
  for (const { slow, network } of cases) {
    const expected = slow === 'cpu' ? 'webgpu' : 'cpu';
    const what = network.memory ? ` (${network.memory.cell} network)` : '';
    it(`a slowed ${slow} backend loses${what}: 'auto' returns ${expected}, as initialized, with both timings`, async () => {
      const policy = policySpec(3, slow === 'cpu' ? Discrete(3) : Box(2), network);
      // kernels 'direct': the WebGPU trainer skips timing its own kernel variants (variants.test.ts covers that).
      const options = { ...trainerOptions(policy, { numSteps: 16, numEpochs: 2, numMinibatches: 1 }, 7), numEnvs: slow === 'cpu' ? 4 : 6, kernels: 'direct' as const };
      const reports: BackendReport[] = [];
      const trainer = await createTrainer({
        ...options, onBackendReport: (r) => reports.push(r), measureWith: (t) => (t.backend === slow ? slowed(t) : t),
      });
      const reference = createCpuTrainer(options);
      try {
        expect(trainer.backend).toBe(expected);
        expect(reports).toHaveLength(1);
        const [report] = reports;
        expect(report.backend).toBe(expected);
        expect(report.ms!.cpu).toBeGreaterThan(0);
        expect(report.ms!.webgpu).toBeGreaterThan(0);
        expect(report.ms![slow]).toBeGreaterThan(report.ms![expected]!);
        // The measured updates left no trace: initial parameters and a fresh optimizer.
        expect(await trainer.getParameters()).toEqual(await reference.getParameters());
        expect((await trainer.getOptimizerState()).step).toBe(0);
        // And it trains like a fresh trainer of its backend.
        const batch = syntheticBatch({ policy, ppo: options.ppo, numEnvs: options.numEnvs }, 3);
        const stats = await trainer.update(batch);
        expect(Number.isFinite(stats.loss_objective)).toBe(true);
        // Cached for this adapter and configuration: no second measurement, same answer.
        const again = await createTrainer({ ...options, onBackendReport: (r) => reports.push(r), measureWith: () => { throw new Error('measured twice'); } });
        expect(again.backend).toBe(expected);
        expect(reports[1]).toMatchObject({ backend: expected, cached: true });
        again.dispose();
      } finally {
        trainer.dispose();
        reference.dispose();
      }
    });
  }
});
