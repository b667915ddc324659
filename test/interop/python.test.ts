// The Python side against webppo itself: PyTorch ports of webppo checkpoints and webppo's Agent.load of
// weights trained in PyTorch (both directions, every head type), and Python's own tests (safetensors, the
// serve-env wrappers). Runs where a Python with torch and numpy exists; otherwise says why and skips.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { networkLayout } from '../../src/policy/network.js';
import { readSafetensors } from '../../src/policy/safetensors.js';
import { PCG32 } from '../../src/rng.js';
import { checkpointFor, gaussian, POLICY_CASES, randomMasks, referenceForward, wasmForward } from './fixtures.js';
import { NO_TORCH, pythonWithTorch, SERVE_ENV_FROM_SOURCE } from './python.js';

const python = pythonWithTorch();
if (!python) console.warn(`test/interop/python.test.ts: ${NO_TORCH}`);
const ROWS = 6;
const dir = mkdtempSync(join(tmpdir(), 'webppo-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** predict() over ROWS rows, numAgents at a time (padding the last chunk; masks padded with 1). */
function predictRows(agent: Agent, observations: Float32Array, masks?: Uint8Array): number[] {
  const n = agent.numAgents;
  const size = agent.observationSize;
  const per = masks ? masks.length / ROWS : 0;
  const out: number[] = [];
  for (let r = 0; r < ROWS; r += n) {
    const end = Math.min(ROWS, r + n);
    const chunk = new Float32Array(n * size);
    chunk.set(observations.subarray(r * size, end * size));
    const maskChunk = masks ? new Uint8Array(per * n).fill(1) : undefined;
    maskChunk?.set(masks!.subarray(r * per, end * per));
    const actions = agent.predict(chunk, { masks: maskChunk });
    out.push(...Array.from(actions.subarray(0, (actions.length / n) * (end - r))));
  }
  return out;
}

interface TorchOutputs { head: number[][]; value: number[]; action: number[][] }

describe.skipIf(!python)('PyTorch round trip', () => {
  it('webppo checkpoints open as WebppoPolicy with the same outputs, and PyTorch-trained weights load into Agent.load and act identically', async () => {
    await init();
    const cases = POLICY_CASES.map((c, k) => {
      const fixture = checkpointFor(c.options, 500 + k);
      const rng = new PCG32(900 + k);
      const observations = gaussian(rng, ROWS * fixture.policy.observationSize, 2);
      const masks = c.options.masks ? randomMasks(fixture.policy.actionSpace, ROWS, rng) : undefined;
      writeFileSync(join(dir, `case-${k}.safetensors`), fixture.bytes);
      const rows = (a: ArrayLike<number>, per: number) => Array.from({ length: ROWS }, (_, r) => Array.from(a).slice(r * per, (r + 1) * per));
      writeFileSync(join(dir, `case-${k}.input.json`), JSON.stringify({ observations: rows(observations, fixture.policy.observationSize), masks: masks ? rows(masks, masks.length / ROWS) : null }));
      return { c, fixture, observations, masks };
    });
    const run = spawnSync(python!, ['python/tests/roundtrip.py', dir], { encoding: 'utf8' });
    expect(run.stderr + run.stdout).not.toMatch(/Traceback/);
    expect(run.status).toBe(0);

    for (const [k, { c, fixture, observations, masks }] of cases.entries()) {
      // webppo -> PyTorch
      const torch = JSON.parse(readFileSync(join(dir, `case-${k}.torch.json`), 'utf8')) as TorchOutputs;
      const reference = referenceForward(fixture, observations, ROWS);
      const wasm = wasmForward(fixture, observations, ROWS, masks);
      expect(maxAbsDiff(torch.head.flat(), reference.actor.flatMap((r) => Array.from(r))), c.name).toBeLessThan(1e-5);
      expect(maxAbsDiff(torch.value, wasm.values), c.name).toBeLessThan(1e-5);
      const agent = await Agent.load(fixture.bytes, { backend: 'cpu' });
      const predicted = predictRows(agent, observations, masks);
      agent.dispose();
      if (fixture.policy.actionSpace.kind === 'box') expect(maxAbsDiff(torch.action.flat(), predicted), c.name).toBeLessThan(1e-5);
      else expect(torch.action.flat(), c.name).toEqual(predicted);

      // PyTorch -> webppo
      const bytes = new Uint8Array(readFileSync(join(dir, `py-${k}.safetensors`)));
      const trained = JSON.parse(readFileSync(join(dir, `py-${k}.torch.json`), 'utf8')) as TorchOutputs;
      const loaded = await Agent.load(bytes, { backend: 'cpu' });
      const parameters = await loaded.getParameters();
      const file = readSafetensors(bytes);
      for (const p of networkLayout(fixture.policy).parameters) {
        expect(Array.from(parameters.subarray(p.offset, p.offset + file.tensors.get(p.name)!.data.length)), p.name).toEqual(Array.from(file.tensors.get(p.name)!.data));
      }
      expect(file.tensors.get(`optimizer.exp_avg.${networkLayout(fixture.policy).parameters[0].name}`)!.data.some((v) => v !== 0), 'Adam moments carried over').toBe(true);
      const obsStats = file.tensors.has('obs_rms.mean') ? { mean: file.tensors.get('obs_rms.mean')!.data as Float64Array, var: file.tensors.get('obs_rms.var')!.data as Float64Array } : undefined;
      const back = wasmForward({ policy: fixture.policy, parameters, obsStats }, observations, ROWS, masks);
      expect(maxAbsDiff(trained.value, back.values), c.name).toBeLessThan(1e-5);
      const viaAgent = predictRows(loaded, observations, masks);
      loaded.dispose();
      if (fixture.policy.actionSpace.kind === 'box') expect(maxAbsDiff(trained.action.flat(), viaAgent), c.name).toBeLessThan(1e-5);
      else expect(trained.action.flat(), c.name).toEqual(viaAgent);
    }
  });

  it("Python's own tests pass: safetensors, and the Gymnasium / PettingZoo wrappers against real serve-env servers", () => {
    const run = spawnSync(python!, ['-m', 'unittest', 'discover', '-s', 'python/tests'], {
      encoding: 'utf8', env: { ...process.env, PYTHONPATH: 'python', WEBPPO_SERVE_ENV: SERVE_ENV_FROM_SOURCE },
    });
    expect(run.stderr).toMatch(/\nOK/);
    expect(run.status).toBe(0);
  });
});
