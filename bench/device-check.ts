// The correctness check bench/device.sh runs on a GPU machine (bundled by bench/prepare-device.sh into one script,
// since that machine has no node_modules): the WASM CPU trainer against the WebGPU trainer with each kernel
// variant forced ('direct', 'tiled'; each also with the reductions' subgroup twins where the device has the
// 'subgroups' feature) and measured ('auto'), on every case of the shared oracle table
// (test/oracle/cases.ts) and the variant table (test/webgpu/variant-cases.ts): gradients, loss stats, and the
// parameters and stats after one update, within the oracle tolerances; and one submit and one readback per
// update. Prints one line per case and variant; exits non-zero on any mismatch.
import { init } from '../src/init.js';
import { createCpuTrainer } from '../src/backend/cpu/trainer.js';
import { createWebGPUTrainer, probeAdapter } from '../src/backend/webgpu/index.js';
import { requestDevice } from '../src/backend/webgpu/device.js';
import { ORACLE_CASES } from '../test/oracle/cases.js';
import { mismatch, statsMismatch } from '../test/oracle/compare.js';
import { VARIANT_CASES } from '../test/webgpu/variant-cases.js';

await init();
const adapter = await probeAdapter();
if (!adapter) {
  console.log('device check: no WebGPU adapter');
  process.exit(1);
}
console.log(`device check on ${adapter.description} (${adapter.software ? 'software' : 'hardware'})`);
const device = await requestDevice();
const subgroups = device.features.has('subgroups');
console.log(`subgroups: ${subgroups ? 'yes, the subgroup reductions are checked too' : "no (the adapter has no 'subgroups' feature)"}`);
const COMBOS: { kernels: 'auto' | 'direct' | 'tiled'; subgroups: 'auto' | boolean }[] = [
  { kernels: 'direct', subgroups: false }, { kernels: 'tiled', subgroups: false },
  ...(subgroups ? [{ kernels: 'direct', subgroups: true }, { kernels: 'tiled', subgroups: true }] as const : []),
  { kernels: 'auto', subgroups: 'auto' },
];
let failures = 0;
let checks = 0;
const SEED = 11;
for (const c of [...ORACLE_CASES, ...VARIANT_CASES]) {
  const options = { policy: c.policy, ppo: c.ppo, seed: SEED, parameters: c.params(SEED) };
  const batch = c.makeBatch(SEED);
  const plan = c.makePlan(SEED);
  const cpu = createCpuTrainer(options);
  const expected = await cpu.computeGradients(batch);
  const updated = await cpu.update(batch, plan);
  const params = await cpu.getParameters();
  cpu.dispose();
  for (const combo of COMBOS) {
    const kernels = combo.kernels === 'auto' ? 'auto' : `${combo.kernels}${combo.subgroups ? '+subgroups' : ''}`;
    const gpu = await createWebGPUTrainer({ ...options, ...combo, device });
    const problems: string[] = [];
    try {
      const got = await gpu.computeGradients(batch);
      const variant = gpu.lastVariant && `${gpu.lastVariant.variant}${gpu.lastVariant.subgroups ? '+subgroups' : ''}`;
      const before = { ...gpu.counters };
      const stats = await gpu.update(batch, plan);
      if (gpu.counters.submits - before.submits !== 1 || gpu.counters.readbacks - before.readbacks !== 1) problems.push('update: not one submit and one readback');
      for (const [what, m] of [
        ['gradients', mismatch(got.grads, expected.grads, undefined, cpu.parameterLayout)],
        ['gradient stats', statsMismatch(got.stats, expected.stats)],
        ['update stats', statsMismatch(stats, updated)],
        ['parameters after the update', mismatch(await gpu.getParameters(), params, undefined, cpu.parameterLayout)],
      ] as const) if (m) problems.push(`${what}: ${m}`);
      checks++;
      console.log(`${problems.length ? 'FAIL' : 'ok  '} ${c.name} [${kernels}${kernels === 'auto' ? ` -> ${variant}` : ''}]${problems.length ? `\n     ${problems.join('\n     ')}` : ''}`);
    } catch (error) {
      problems.push((error as Error).message);
      console.log(`FAIL ${c.name} [${kernels}]: ${(error as Error).message}`);
    } finally {
      gpu.dispose();
    }
    if (problems.length) failures++;
  }
}
console.log(`device check: ${checks} comparisons, ${failures} failed`);
device.destroy();
process.exit(failures ? 1 : 0);
