// Real Chromium against the built package and the demo, served as `npm run demo` serves them. One browser
// launch for the whole file; each test opens its own page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
// @ts-expect-error: a plain .mjs script without types
import { serve } from '../../examples/serve.mjs';
import { buildPackage, collectErrors, disableWebGPU, launchChromium, REPO_ROOT } from './chromium.js';

let browser: Browser;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  buildPackage();
  server = await serve({ root: REPO_ROOT });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the built package in Chromium', () => {
  it('loads, is crossOriginIsolated, and finds WebGPU on SwiftShader', async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${server.url}test/browser/package.html`);
    const result = await page.evaluate(() => (window as unknown as { packageCheck: Promise<unknown> }).packageCheck);
    expect(result).toEqual({ runtime: 'browser', isolated: true, adapter: { vendor: 'google', architecture: 'swiftshader' } });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('sees no adapter when WebGPU is disabled', async () => {
    const page = await browser.newPage();
    await disableWebGPU(page);
    await page.goto(`${server.url}test/browser/package.html`);
    const result = await page.evaluate(() => (window as unknown as { packageCheck: Promise<{ adapter: unknown }> }).packageCheck);
    expect(result.adapter).toBeNull();
    await page.close();
  });
});
