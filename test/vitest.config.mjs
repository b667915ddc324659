import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { webppoAssets } from '../rollup.config.mjs';

export default defineConfig({
  plugins: [webppoAssets()],
  // Examples import the package by name, as users do; tests run them against the source.
  resolve: {
    alias: [
      { find: /^webppo\/inference$/, replacement: fileURLToPath(new URL('../src/inference.ts', import.meta.url)) },
      { find: /^webppo$/, replacement: fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The library logs nothing during tests (test/setup.ts); tests of logging set their own logger.
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // WebGPU tests share one software adapter; run files one at a time on a 2-core machine.
    fileParallelism: false,
  },
});
