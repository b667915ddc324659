// The built package as users get it: imported by plain Node ESM (no loader, no TypeScript), and bundled by
// rollup into the demo with no configuration for its wasm or WGSL (examples/rollup.demo.mjs has none).
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { buildPackage, REPO_ROOT } from '../browser/chromium.js';

function node(script: string) {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node exited ${result.status}:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

beforeAll(() => buildPackage(), 120_000);

describe('dist/ from plain Node ESM', () => {
  it('imports by path and by package name, and init() loads the inlined wasm', () => {
    const result = node(`
      const byPath = await import('./dist/index.js');
      const byName = await import('webppo');
      await byPath.init();
      console.log(JSON.stringify({ same: byPath.init === byName.init, runtime: byPath.detectRuntime(), exports: Object.keys(byPath).sort() }));
    `);
    expect(result.same).toBe(true);
    expect(result.runtime).toBe('node');
    expect(result.exports).toEqual(expect.arrayContaining(['init', 'Agent', 'train', 'Box', 'Discrete', 'serveTrainer']));
  });

  it('creates an Agent and trains it for two updates', () => {
    const result = node(`
      import { Agent, init, makeEnv, train, vectorize } from 'webppo';
      await init();
      const env = () => makeEnv('CartPole-v1');
      const agent = await Agent.create({ observationSpace: env().observationSpace, actionSpace: env().actionSpace, numAgents: 4, backend: 'cpu', seed: 1, ppo: { numSteps: 32 } });
      const before = await agent.getParameters();
      const result = await train(agent, vectorize(env, 4), { totalSteps: 256 });
      const after = await agent.getParameters();
      console.log(JSON.stringify({ updates: result.updates, steps: result.steps, backend: agent.backend, changed: after.some((v, i) => v !== before[i]) }));
    `);
    expect(result).toEqual({ updates: 2, steps: 256, backend: 'cpu', changed: true });
  });
});

describe('the demo bundled by rollup', () => {
  it('builds with no wasm or WGSL configuration, and the bundle carries both', () => {
    const config = readFileSync(`${REPO_ROOT}examples/rollup.demo.mjs`, 'utf8');
    expect(config).not.toMatch(/webppoAssets|\.wasm|\.wgsl/);
    const run = spawnSync(`${REPO_ROOT}node_modules/.bin/rollup`, ['-c', 'examples/rollup.demo.mjs'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const out = `${REPO_ROOT}build/examples/`;
    expect(readdirSync(`${out}web`)).toEqual(expect.arrayContaining(['index.html', 'main.js', 'worker.js', 'style.css']));
    const code = [`${out}web/main.js`, ...readdirSync(`${out}shared`).map((f) => `${out}shared/${f}`)]
      .filter((f) => f.endsWith('.js')).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(code).toContain('"AGFzbQ'); // the wasm module, inlined as base64 ("\0asm")
    expect(code).toMatch(/@compute\s*@workgroup_size/); // WGSL kernels, inlined as strings
    expect(code).not.toMatch(/from\s*['"][^'"]*\.(wasm|wgsl)['"]/);
  });
});
