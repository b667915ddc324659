// End to end: python/examples/ppo_cartpole.py trains (a few thousand steps: the round trip, not learning)
// on CartPole-v1 served by serve-env, saves a webppo checkpoint, and evaluates deterministic episodes through
// the bridge. webppo's Agent.load must then take the same actions on the observations Python saw and get
// the same return from the same seeds in its own CartPole.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent.js';
import { makeEnv } from '../../src/envs/registry.js';
import { evaluateAgent } from '../../src/train.js';
import { NO_TORCH, pythonWithTorch, SERVE_ENV_FROM_SOURCE } from './python.js';

const python = pythonWithTorch();
if (!python) console.warn(`test/interop/ppo.test.ts: ${NO_TORCH}`);
const dir = mkdtempSync(join(tmpdir(), 'webppo-ppo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report { episodes: { seed: number; return: number; observations: number[][]; actions: number[] }[] }

describe.skipIf(!python)('PPO in PyTorch on a served env, played back by Agent.load', () => {
  it('trains, saves a webppo checkpoint, and webppo acts identically with the same returns', async () => {
    const checkpoint = join(dir, 'cartpole.safetensors');
    const report = join(dir, 'report.json');
    const run = spawnSync(python!, ['python/examples/ppo_cartpole.py', '--total-timesteps', '2048', '--num-envs', '4', '--num-steps', '64',
      '--eval-episodes', '3', '--out', checkpoint, '--report', report], { encoding: 'utf8', env: { ...process.env, WEBPPO_SERVE_ENV: SERVE_ENV_FROM_SOURCE } });
    expect(run.stderr).not.toMatch(/Traceback/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/update 8\/8 steps 2048/);

    const { episodes } = JSON.parse(readFileSync(report, 'utf8')) as Report;
    expect(episodes).toHaveLength(3);
    const agent = await Agent.load(new Uint8Array(readFileSync(checkpoint)), { backend: 'cpu' });
    try {
      expect(agent.steps).toBe(2048); // the counters Python saved
      for (const episode of episodes) {
        const actions = episode.observations.map((o) => agent.predict(Float32Array.from(o))[0]);
        expect(actions).toEqual(episode.actions);
        const [nodeReturn] = await evaluateAgent(agent, () => makeEnv('CartPole-v1'), 1, episode.seed);
        expect(nodeReturn).toBe(episode.return);
      }
    } finally {
      agent.dispose();
    }
  });
});
