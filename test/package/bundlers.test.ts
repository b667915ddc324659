// trainInWorker from the packed tarball, as users get it: production builds of one small page with Vite,
// webpack 5 and esbuild (sharing one consumer project), each run in headless Chromium until two updates have
// finished in the worker; and Node's worker_threads. Every wait has a timeout and a failure reports the
// worker's error, so a broken worker fails the test instead of hanging it.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, REPO_ROOT } from '../browser/chromium.js';
import { serveStatic } from './static-server.js';
import { packedConsumer } from './tarball.js';

let consumer: string;
let browser: Browser | undefined;

beforeAll(async () => {
  consumer = await packedConsumer();
  cpSync(join(REPO_ROOT, 'test/package/page'), join(consumer, 'page'), { recursive: true });
}, 180_000);
afterAll(async () => { await browser?.close(); });

function build(bundler: string): string {
  const out = join(consumer, `out-${bundler}`);
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'test/package/build-page.mjs'), bundler, join(consumer, 'page'), out], { encoding: 'utf8', timeout: 90_000 });
  if (result.status !== 0) throw new Error(`${bundler} build failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return out;
}

/** Loads the built page and waits (bounded) for its report; failed requests and page errors are reported too. */
async function runPage(out: string) {
  browser ??= await launchChromium();
  const server = await serveStatic(out);
  const page = await browser.newPage();
  const problems: string[] = [];
  const workers: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`); });
  page.on('worker', (worker) => workers.push(worker.url()));
  try {
    await page.goto(server.url);
    const handle = await page.waitForFunction(() => (window as { webppoResult?: unknown }).webppoResult, undefined, { timeout: 45_000 })
      .catch(() => { throw new Error(`no result from the page within 45 s; ${problems.join('; ') || 'nothing reported'}`); });
    return { result: await handle.jsonValue() as Record<string, unknown>, problems, workers };
  } finally {
    await page.close();
    await server.close();
  }
}

/** Every file the worker loads: the worker script and, for webpack, the chunks its runtime imports. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
}

describe.each(['vite', 'webpack', 'esbuild'])('a %s production build in Chromium', (bundler) => {
  it('trains with trainInWorker: true until two updates finish in the worker', async () => {
    const out = build(bundler);
    const { result, problems, workers } = await runPage(out);
    expect(result, problems.join('\n')).toEqual({ ok: true, updates: 2, lagged: [false, true], backend: 'cpu' });
    expect(problems).toEqual([]);
    expect(workers).toHaveLength(1);
    // The worker is its own bundle: the page's code does not carry the trainer server, and the worker script
    // is not an asset copied beside unresolved chunk imports.
    const worker = readFileSync(join(out, new URL(workers[0]).pathname), 'utf8');
    expect(worker).not.toMatch(/\bfrom\s*["'][./]/);
    // The page, its worker and the WebGPU chunk (webppo keeps WebGPU code and shaders in a chunk of their own);
    // webpack adds its runtime and splits the worker's own chunks.
    expect(jsFiles(out).length).toBeLessThanOrEqual(bundler === 'webpack' ? 5 : 3);
  }, 120_000);
});

describe('Node worker_threads from the tarball', () => {
  it('trains in a worker thread (its own or one given), each rollout collected while the previous one trains, deterministically', () => {
    const script = `
      import { Agent, makeEnv, train, vectorize } from 'webppo';
      import { createRequire } from 'node:module';
      import { Worker } from 'node:worker_threads';
      const env = () => makeEnv('CartPole-v1');
      async function run(trainInWorker = true, stepMs = 0) {
        const agent = await Agent.create({ observationSpace: env().observationSpace, actionSpace: env().actionSpace, numAgents: 4, backend: 'cpu', seed: 1, ppo: { numSteps: 32 }, trainInWorker });
        const lagged = [];
        agent.on('update', (e) => lagged.push(e.lagged));
        // A slow env (stepMs of work per step, as on a loaded machine) lets each update finish mid-rollout.
        const venv = vectorize(env, 4), step = venv.step.bind(venv);
        venv.step = (actions) => { const end = performance.now() + stepMs; while (performance.now() < end); return step(actions); };
        const result = await train(agent, venv, { totalSteps: 4 * 32 * 4 });
        const parameters = Array.from(await agent.getParameters());
        agent.dispose();
        return { updates: result.updates, lagged, parameters };
      }
      // Twice with webppo's own worker (once with a slow env), once with a worker_threads Worker the user started
      // on the package's worker.js: when each update finishes must not change the run.
      const given = new Worker(createRequire(process.cwd() + '/').resolve('webppo/worker.js'), { execArgv: [] });
      const [a, b, c] = [await run(), await run(true, 3), await run(given)];
      await given.terminate();
      const same = (x, y) => JSON.stringify(x.parameters) === JSON.stringify(y.parameters);
      console.log(JSON.stringify({ updates: a.updates, lagged: a.lagged, same: same(a, b) && same(a, c) }));
    `;
    // No dispose-time wait and no unref trick in the script: the process must exit by itself.
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer, encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({ updates: 4, lagged: [false, true, true, true], same: true });
  });
});

describe('a bundle whose worker script was not deployed', () => {
  it('rejects Agent.create with WorkerError E_WORKER in Chromium, promptly, instead of hanging', async () => {
    const out = build('esbuild');
    rmSync(join(out, 'worker.js'));
    const started = performance.now();
    const { result } = await runPage(out);
    expect(result).toMatchObject({ ok: false, code: 'E_WORKER' });
    expect(result.error).toMatch(/^WorkerError: webppo: trainInWorker: the training worker .* failed/);
    expect(performance.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
