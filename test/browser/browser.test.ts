// Real Chromium against the built package and the demo, served as `npm run demo` serves them. One browser
// launch for the whole file; each test opens its own page.
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { buildExamples, collectErrors, disableWebGPU, REPO_ROOT } from './chromium.js';
import { servedChromium } from './served.js';

const ARTIFACTS = `${REPO_ROOT}test-results/`;

interface DemoState {
  ready: boolean; running: boolean; steps: number; updates: number; episodes: number; backend: string; inWorker: boolean;
  returns: number[]; losses: { loss_objective: number; loss_critic: number; entropy: number }[]; errors: string[];
}

const served = servedChromium(() => {
  buildExamples();
  mkdirSync(ARTIFACTS, { recursive: true });
});

const demo = (query: string) => `${served.url}build/examples/web/?${query}`;
const state = (page: Page) => page.evaluate(() => (globalThis as unknown as { webppoDemo: { state: DemoState } }).webppoDemo.state);
async function waitForUpdates(page: Page, updates: number, timeout = 60_000): Promise<DemoState> {
  await page.waitForFunction((n) => ((globalThis as unknown as { webppoDemo?: { state: DemoState } }).webppoDemo?.state.updates ?? 0) >= n
    || ((globalThis as unknown as { webppoDemo?: { state: DemoState } }).webppoDemo?.state.errors.length ?? 0) > 0, updates, { timeout, polling: 100 });
  const s = await state(page);
  expect(s.errors).toEqual([]);
  return s;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('the built package in Chromium', () => {
  it('loads, is crossOriginIsolated, and finds WebGPU on SwiftShader', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${served.url}test/browser/package.html`);
    const result = await page.evaluate(() => (window as unknown as { packageCheck: Promise<unknown> }).packageCheck);
    expect(result).toEqual({ runtime: 'browser', isolated: true, adapter: { vendor: 'google', architecture: 'swiftshader' } });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the demo game', () => {
  it('trains on the WebGPU backend in a Web Worker (SwiftShader; a small network keeps it quick)', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(demo('backend=webgpu&agents=16&steps=8&hidden=16&speed=8'));
    const s = await waitForUpdates(page, 3);
    expect(s.backend).toBe('webgpu');
    expect(s.inWorker).toBe(true);
    expect(await page.textContent('#backend')).toBe('WebGPU');
    expect(await page.textContent('#where')).toBe('a Web Worker');
    expect(s.losses.length).toBeGreaterThanOrEqual(3);
    for (const loss of s.losses) for (const v of Object.values(loss)) expect(Number.isFinite(v)).toBe(true);
    // Entropy falls from its maximum (log 5) as the policy sharpens: the parameters really change.
    expect(s.losses.at(-1)!.entropy).toBeLessThan(Math.log(5));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains on the WASM backend in the page with WebGPU disabled, and the mean return rises', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await disableWebGPU(page);
    // In the page, so that 'auto' decides where WebGPU is hidden (a worker has its own navigator).
    await page.goto(demo('backend=auto&speed=32&worker=0'));
    const s = await waitForUpdates(page, 40);
    expect(s.backend).toBe('cpu');
    expect(await page.textContent('#backend')).toBe('WASM (CPU)');
    // Mean of the latest 32 episodes, after each update: random play earns about 0, a trained agent several.
    expect(s.returns.length).toBeGreaterThan(20);
    expect(mean(s.returns.slice(-5))).toBeGreaterThan(mean(s.returns.slice(0, 5)) + 2);
    expect(await page.textContent('#fps')).toMatch(/^[1-9]\d* fps$/);
    await page.screenshot({ path: `${ARTIFACTS}demo.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('saves a checkpoint, and after a reload loads it and continues where it was', async () => {
    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(demo('backend=cpu&speed=32'));
    await waitForUpdates(page, 6);
    await page.click('#pause');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const file = `${ARTIFACTS}arena.safetensors`;
    await download.saveAs(file);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('saved'));
    const saved = await state(page);
    expect(download.suggestedFilename()).toBe(`webppo-arena-${saved.updates}.safetensors`);

    await page.reload();
    await page.waitForFunction(() => (globalThis as unknown as { webppoDemo?: { state: DemoState } }).webppoDemo?.state.ready);
    await page.click('#pause');
    await page.setInputFiles('#load', file);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('loaded'));
    expect((await state(page)).updates).toBe(saved.updates);
    // Same parameters, optimizer, generators and counters: saving again gives the same bytes.
    const again = await page.evaluate(() => (globalThis as unknown as { webppoDemo: { saveBytes(): Promise<number[]> } }).webppoDemo.saveBytes());
    expect(Buffer.from(again).equals(readFileSync(file))).toBe(true);
    await page.click('#pause');
    const resumed = await waitForUpdates(page, saved.updates + 2);
    expect(resumed.updates).toBeGreaterThanOrEqual(saved.updates + 2);
    expect(errors).toEqual([]);
    await page.close();
  });
});
