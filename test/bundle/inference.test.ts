// `webppo/inference`: the same predictions as Agent.predict on the same checkpoint (deterministic and
// sampled, normalization included, recurrent cells carried and reset by episodeStarts), from the source and
// from the built, self-contained entry; the shipped
// play-only bundle within its budget and free of WGSL and the trainer.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, Box, Discrete, loadPolicy } from '../../src/index.js';
import { buildPackage, REPO_ROOT } from '../browser/chromium.js';
import { INFERENCE_BUDGET_GZIP, measureInferenceBundle } from '../../bench/inference-size.mjs';

/** Deterministic normals (mulberry32 + Box-Muller) for test inputs; independent of the library's RNG. */
class TestRandom {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  uniform(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }
}

type Memory = { cell: 'lstm' | 'gru'; size: number };

/** A trained agent's checkpoint: Box observations with running normalization, `space` actions, optionally a recurrent cell. */
async function checkpoint(actionSpace: ReturnType<typeof Discrete> | ReturnType<typeof Box>, distribution?: 'normal' | 'tanh_normal', memory?: Memory) {
  const agent = await Agent.create({
    observationSpace: Box(3), actionSpace, numAgents: 4, backend: 'cpu', seed: 7,
    network: { hidden: [16], ...(distribution ? { distribution } : {}), ...(memory ? { memory } : {}) }, ppo: { numSteps: 16, normalizeObservations: true },
  });
  const rng = new TestRandom(3);
  const obs = new Float32Array(12);
  for (let t = 0; t < 40; t++) {
    for (let i = 0; i < obs.length; i++) obs[i] = rng.normal() * 3 + 1;
    agent.act(obs);
    agent.observe(Float32Array.from({ length: 4 }, () => rng.normal()), new Uint8Array(4), new Uint8Array(4));
  }
  await agent.whenIdle();
  const bytes = await agent.save();
  agent.dispose();
  return bytes;
}

function observations(seed: number): Float32Array[] {
  const rng = new TestRandom(seed);
  return Array.from({ length: 5 }, () => Float32Array.from({ length: 12 }, () => rng.normal() * 3 + 1));
}

/** Per step, the agents whose episode starts there (a recurrent policy forgets them first); none at most steps. */
const STARTS: (number[] | undefined)[] = [undefined, [0, 1, 0, 0], undefined, [1, 0, 0, 1], undefined];
const startsAt = (t: number) => (STARTS[t] === undefined ? undefined : Uint8Array.from(STARTS[t]!));

/** Agent.predict on a freshly loaded agent: the reference. */
async function agentPredictions(bytes: Uint8Array, deterministic: boolean) {
  const agent = await Agent.load(bytes, { backend: 'cpu' });
  const out = observations(11).map((o, t) => Array.from(agent.predict(o, { deterministic, episodeStarts: startsAt(t) })));
  agent.dispose();
  return out;
}

describe('InferencePolicy (source)', () => {
  const cases = [
    ['Discrete', Discrete(3), undefined, undefined], ['Box tanh_normal', Box(2, -1, 1), 'tanh_normal', undefined], ['Box normal', Box(2), 'normal', undefined],
    ['Discrete, LSTM', Discrete(3), undefined, { cell: 'lstm', size: 8 }], ['Box normal, GRU', Box(2), 'normal', { cell: 'gru', size: 8 }],
  ] as const;
  for (const [name, space, distribution, memory] of cases) {
    it(`predicts what Agent.predict does: ${name}, deterministic and sampled`, async () => {
      const bytes = await checkpoint(space, distribution, memory);
      for (const deterministic of [true, false]) {
        const policy = await loadPolicy(bytes);
        const got = observations(11).map((o, t) => Array.from(policy.predict(o, { deterministic, episodeStarts: startsAt(t) })));
        policy.dispose();
        expect(got).toEqual(await agentPredictions(bytes, deterministic));
      }
    });
  }

  it('rejects bad observations naming the field, and corrupted checkpoints', async () => {
    const bytes = await checkpoint(Discrete(3));
    const policy = await loadPolicy(bytes, { numAgents: 2 });
    expect(() => policy.predict(new Float32Array(12))).toThrow(/^observations: expected a Float32Array of length 6/);
    expect(policy.predict(new Float32Array(6))).toHaveLength(2);
    policy.dispose();
    const corrupted = bytes.slice();
    corrupted[corrupted.length - 1] ^= 1;
    await expect(loadPolicy(corrupted)).rejects.toThrow(/corrupted/);
  });
});

describe('webppo/inference (built)', () => {
  beforeAll(() => buildPackage(), 180_000);

  for (const [name, space, distribution, memory] of [['Box tanh_normal', Box(2, -1, 1), 'tanh_normal', undefined], ['Discrete, LSTM', Discrete(3), undefined, { cell: 'lstm', size: 8 }]] as const) {
    it(`the built entry, on its own wasm, predicts what the source Agent does: ${name}`, async () => {
      const bytes = await checkpoint(space, distribution, memory);
      const dir = mkdtempSync(join(tmpdir(), 'webppo-inference-'));
      writeFileSync(join(dir, 'cp.safetensors'), bytes);
      writeFileSync(join(dir, 'obs.json'), JSON.stringify({ obs: observations(11).map((o) => Array.from(o)), starts: STARTS }));
      const script = `
        import { readFileSync } from 'node:fs';
        import { loadPolicy } from 'webppo/inference';
        const dir = ${JSON.stringify(dir)};
        const { obs, starts } = JSON.parse(readFileSync(dir + '/obs.json', 'utf8'));
        const out = {};
        for (const deterministic of [true, false]) {
          const policy = await loadPolicy(readFileSync(dir + '/cp.safetensors'));
          out[deterministic] = obs.map((o, t) => Array.from(policy.predict(Float32Array.from(o), { deterministic, episodeStarts: starts[t] ? Uint8Array.from(starts[t]) : undefined })));
        }
        console.log(JSON.stringify(out));`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      const built = JSON.parse(run.stdout);
      expect(built.true).toEqual(await agentPredictions(bytes, true));
      expect(built.false).toEqual(await agentPredictions(bytes, false));
    });
  }

  it(`bundles to at most ${INFERENCE_BUDGET_GZIP / 1024} KB gzip with its wasm, with no WGSL and no trainer`, async () => {
    const { code, gzip } = await measureInferenceBundle(join(REPO_ROOT, 'dist'));
    expect(gzip).toBeLessThanOrEqual(INFERENCE_BUDGET_GZIP);
    expect(code).toContain('AGFzbQ'); // the wasm is in the bundle ("\0asm" in base64)
    expect(code).not.toMatch(/@compute|@workgroup_size|var<storage/);
    expect(code).not.toMatch(/adamStep|ppoLoss|createWebGPUTrainer|requestAdapter/);
  });

  it('WGSL lives only in the WebGPU chunk of the main entry (and in the self-contained worker script)', () => {
    const dist = join(REPO_ROOT, 'dist');
    // dist/worker.js carries everything it needs in one file, so that bundlers can emit it alone.
    const withShaders = readdirSync(dist).filter((f) => f.endsWith('.js') && f !== 'worker.js' && /@compute/.test(readFileSync(join(dist, f), 'utf8')));
    expect(withShaders).toHaveLength(1);
    expect(withShaders[0]).toMatch(/^webgpu-[\w-]+\.js$/);
    expect(readFileSync(join(dist, 'inference.js'), 'utf8')).not.toMatch(/from '\.\/webgpu-/);
  });
});
