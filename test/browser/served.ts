// One static server over the repository (examples/serve.mjs, as `npm run demo` serves it) and one headless
// Chromium per test file: started before the file's tests, closed after them.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { serve } from '../../examples/serve.mjs';
import { launchChromium, REPO_ROOT } from './chromium.js';

/** The browser and the server's base URL (ending in '/'), set once the file's tests start. */
export interface Served { browser: Browser; url: string }

/** Registers the file's start-up (after `prepare`, e.g. a build) and shut-down; read the fields inside tests. */
export function servedChromium(prepare?: () => void): Served {
  const served = {} as Served;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    prepare?.();
    const server = await serve({ root: REPO_ROOT });
    close = () => server.close();
    served.url = server.url;
    served.browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await served.browser?.close();
    await close?.();
  });
  return served;
}
