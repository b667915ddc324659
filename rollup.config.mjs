// Builds dist/ (ESM + .d.ts). The one plugin below is shared with vitest (test/vitest.config.mjs):
// `.wgsl` files import as strings and `build/webppo.wasm` imports as base64, so the package works with no
// bundler configuration; the wasm is also emitted as dist/webppo.wasm for those who serve it themselves.
import { readFileSync } from 'node:fs';
import typescript from '@rollup/plugin-typescript';

export function webppoAssets({ emitWasm = false } = {}) {
  return {
    name: 'webppo-assets',
    enforce: 'pre',
    load(id) {
      const file = id.split('?')[0];
      if (file.endsWith('.wgsl')) {
        return { code: `export default ${JSON.stringify(readFileSync(file, 'utf8'))};`, map: null };
      }
      if (file.endsWith('.wasm')) {
        const bytes = readFileSync(file);
        if (emitWasm) this.emitFile({ type: 'asset', fileName: 'webppo.wasm', source: bytes });
        return { code: `export default ${JSON.stringify(bytes.toString('base64'))};`, map: null };
      }
      return null;
    },
  };
}

export default {
  input: { index: 'src/index.ts', cli: 'src/cli.ts', worker: 'src/worker/entry.ts' },
  output: { dir: 'dist', format: 'es', sourcemap: true },
  external: (id) => id === 'webgpu' || id.startsWith('node:') || id.startsWith('protobufjs'),
  plugins: [webppoAssets({ emitWasm: true }), typescript({ tsconfig: './tsconfig.json' })],
};
