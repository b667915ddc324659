import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../../examples/serve.mjs';

describe('examples/serve.mjs', () => {
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'webppo-serve-'));
    mkdirSync(join(root, 'web'));
    writeFileSync(join(root, 'web', 'index.html'), '<p>arena</p>');
    writeFileSync(join(root, 'web', 'main.js'), 'export {};');
    writeFileSync(join(root, 'secret.txt'), 'inside the root');
    server = await serve({ root: join(root, 'web') });
  });
  afterAll(() => server.close());

  it('serves files with their types and the headers that make a page crossOriginIsolated', async () => {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await page.text()).toBe('<p>arena</p>');
    const script = await fetch(`${server.url}main.js`);
    expect(script.headers.get('content-type')).toMatch(/text\/javascript/);
  });

  it('answers 404 for missing files and never serves outside its root', async () => {
    expect((await fetch(`${server.url}nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}..%2Fsecret.txt`)).status).toBe(404);
    expect((await fetch(`${server.url}%2e%2e/secret.txt`)).status).toBe(404);
  });
});
