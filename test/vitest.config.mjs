import { defineConfig } from 'vitest/config';
import { webppoAssets } from '../rollup.config.mjs';

export default defineConfig({
  plugins: [webppoAssets()],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // WebGPU tests share one software adapter; run files one at a time on a 2-core machine.
    fileParallelism: false,
  },
});
