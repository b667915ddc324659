// createTrainer: explicit 'cpu', 'auto' falling back to the CPU backend (reported once) when WebGPU is not
// usable here, and a clear error for an unknown backend name.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { init } from '../../src/init.js';
import { setLogLevel } from '../../src/log.js';
import { createTrainer } from '../../src/backend/index.js';
import { Discrete } from '../../src/spaces.js';
import { policySpec, trainerOptions } from './helpers.js';

describe('createTrainer', () => {
  beforeAll(() => init());
  afterEach(() => {
    vi.restoreAllMocks();
    setLogLevel('silent');
  });

  it("builds the CPU trainer for 'cpu' and rejects unknown names", async () => {
    const trainer = await createTrainer({ ...trainerOptions(policySpec(2, Discrete(2))), backend: 'cpu' });
    expect(trainer.backend).toBe('cpu');
    trainer.dispose();
    await expect(createTrainer({ ...trainerOptions(policySpec(2, Discrete(2))), backend: 'gpu' as never })).rejects.toThrow(/backend: expected one of 'auto' \| 'cpu' \| 'webgpu', got "gpu"/);
  });

  // 'auto' now times one update per backend: allow for a busy host.
  it("'auto' picks a backend and says which once; on a software adapter it picks the WASM backend and 'webgpu' still builds", { timeout: 240_000 }, async () => {
    setLogLevel('info'); // the suite runs silent; this test reads what reaches the console
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const a = await createTrainer(trainerOptions(policySpec(2, Discrete(2))));
    const b = await createTrainer(trainerOptions(policySpec(2, Discrete(2))));
    expect(['cpu', 'webgpu']).toContain(a.backend);
    expect(info).toHaveBeenCalledTimes(1);
    expect(info.mock.calls[0][0]).toMatch(/backend 'auto' chose (the WASM CPU backend|WebGPU)/);
    if (a.backend === 'cpu') expect(info.mock.calls[0][0]).toMatch(/WASM CPU backend \((no WebGPU|the WebGPU adapter .* is software)/);
    a.dispose();
    b.dispose();
    const gpu = createTrainer({ ...trainerOptions(policySpec(2, Discrete(2))), backend: 'webgpu' }).then(
      (t) => { t.dispose(); return t.backend; },
      (e: Error) => e.message,
    );
    expect(await gpu).toMatch(/^webgpu$|WebGPU/);
    if (process.env.REQUIRE_WEBGPU === '1') {
      // CI runs on SwiftShader: a software adapter, which 'auto' must pass over for the WASM backend.
      expect(a.backend).toBe('cpu');
      expect(info.mock.calls[0][0]).toMatch(/the WebGPU adapter .* is software/);
      expect(await gpu).toBe('webgpu');
    }
  });
});
