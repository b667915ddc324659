// Headless Chromium for the browser tests and the benchmark: Debian's /usr/bin/chromium driven by
// playwright-core, with WebGPU on SwiftShader (a software Vulkan) so it runs on machines without a GPU.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
  // Keep timers and frames running at full rate while headless.
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
];

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

function rollup(...args: string[]): void {
  const result = spawnSync(`${REPO_ROOT}node_modules/.bin/rollup`, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`rollup ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

/** Builds the package (dist/) from the current source. */
export function buildPackage(): void {
  rollup('-c');
}

/** Builds the package and the examples (build/examples/), as `npm run demo` does. */
export function buildExamples(): void {
  buildPackage();
  rollup('-c', 'examples/rollup.demo.mjs');
}

/** Collects console errors and uncaught exceptions of a page. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(String(error)));
  return errors;
}

/** Hides WebGPU from a page before its scripts run, as in a browser without it. */
export async function disableWebGPU(page: Page): Promise<void> {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
}
