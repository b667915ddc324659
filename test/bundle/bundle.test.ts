// The built package as users get it: imported by plain Node ESM (no loader, no TypeScript).
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
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
    expect(result.exports).toEqual(expect.arrayContaining(['init', 'Box', 'Discrete', 'resolvePPOConfig']));
  });
});
