// End to end: python/examples/ppo_cartpole.py trains (a few thousand steps: the round trip, not learning)
// on CartPole-v1 served by serve-env, saves a webppo checkpoint, and evaluates deterministic episodes through
// the bridge. webppo's Agent.load must then take the same actions on the observations Python saw and get
// the same return from the same seeds in its own CartPole: in Node, and in headless Chromium with the built
// package, where the checkpoint of one training is played too.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../examples/serve.mjs';
import { Agent } from '../../src/agent/agent.js';
import { makeEnv } from '../../src/envs/registry.js';
import { evaluateAgent } from '../../src/train.js';
import { buildPackage, collectErrors, launchChromium, REPO_ROOT } from '../browser/chromium.js';
import { NO_TORCH, pythonWithTorch, SERVE_ENV_FROM_SOURCE } from './python.js';

const python = pythonWithTorch();
if (!python) console.warn(`test/interop/ppo.test.ts: ${NO_TORCH}`);
const dir = mkdtempSync(join(tmpdir(), 'webppo-ppo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Episode { seed: number; return: number; observations: number[][]; actions: number[] }
interface Report { episodes: Episode[] }
interface Run { status: number | null; stdout: string; stderr: string }
interface Played { runtime: string; steps: number; actions: number[][]; returns: number[] }

/** Runs a command to its end, collecting its output (asynchronously, so the package builds meanwhile). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done, failed) => {
    const child = spawn(command, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', failed);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** webppo's deterministic returns in Node, one episode per seed. */
async function nodeReturns(agent: Agent, episodes: Episode[]): Promise<number[]> {
  const returns: number[] = [];
  for (const episode of episodes) returns.push((await evaluateAgent(agent, () => makeEnv('CartPole-v1'), 1, episode.seed))[0]);
  return returns;
}

describe.skipIf(!python)('PPO in PyTorch on a served env, played back by Agent.load', () => {
  const checkpoint = join(dir, 'cartpole.safetensors');
  const report = join(dir, 'report.json');
  let training: Run;

  beforeAll(async () => {
    const trained = run(python!, ['python/examples/ppo_cartpole.py', '--total-timesteps', '2048', '--num-envs', '4', '--num-steps', '64',
      '--eval-episodes', '3', '--out', checkpoint, '--report', report], { ...process.env, WEBPPO_SERVE_ENV: SERVE_ENV_FROM_SOURCE });
    buildPackage(); // dist/ for the Chromium half, while Python trains
    training = await trained;
  }, 180_000);

  it('trains, saves a webppo checkpoint, and webppo acts identically with the same returns', async () => {
    expect(training.stderr).not.toMatch(/Traceback/);
    expect(training.status).toBe(0);
    expect(training.stdout).toMatch(/update 8\/8 steps 2048/);

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

  it('plays the same checkpoint in Chromium with the built package: same actions, same returns as Node and Python', async () => {
    expect(training.status).toBe(0);
    const bytes = readFileSync(checkpoint);
    const { episodes } = JSON.parse(readFileSync(report, 'utf8')) as Report;
    const agent = await Agent.load(new Uint8Array(bytes), { backend: 'cpu' });
    let inNode: number[];
    try {
      inNode = await nodeReturns(agent, episodes);
    } finally {
      agent.dispose();
    }

    const server = await serve({ root: REPO_ROOT });
    const browser = await launchChromium();
    let played: Played;
    let errors: string[];
    try {
      const page = await browser.newPage();
      errors = collectErrors(page);
      await page.goto(`${server.url}test/interop/ppo-web.html`);
      await page.waitForFunction(() => (globalThis as { ppoReady?: boolean }).ppoReady === true, undefined, { timeout: 30_000 });
      played = await page.evaluate(([checkpointBytes, toPlay]) => (globalThis as unknown as {
        playCheckpoint(b: number[], e: { seed: number; observations: number[][] }[]): Promise<Played>;
      }).playCheckpoint(checkpointBytes, toPlay), [Array.from(bytes), episodes.map(({ seed, observations }) => ({ seed, observations }))] as const);
    } finally {
      await browser.close();
      await server.close();
    }

    expect(errors).toEqual([]);
    expect(played.runtime).toBe('browser');
    expect(played.steps).toBe(2048);
    expect(played.actions).toEqual(episodes.map((e) => e.actions));
    expect(played.returns).toEqual(inNode);
    expect(played.returns).toEqual(episodes.map((e) => e.return));
  });
});
