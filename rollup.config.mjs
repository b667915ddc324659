// Builds dist/ (ESM + .d.ts). The one plugin below is shared with vitest (test/vitest.config.mjs):
// `.wgsl` files import as strings and `build/webppo.wasm` imports as base64, so the package works with no
// bundler configuration; the wasm is also emitted as dist/webppo.wasm for those who serve it themselves.
import { chmodSync, readFileSync, rmSync } from 'node:fs';
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

// dist/ holds exactly one build: chunks of earlier builds (hashed names) would otherwise pile up and be packed.
// The bin is executable from the build on, as npm makes it on install.
function cleanDist() {
  return {
    name: 'clean-dist',
    buildStart() {
      rmSync('dist', { recursive: true, force: true });
      // What `require('webppo')` reaches: a stub that says the package is ESM-only.
      this.emitFile({ type: 'asset', fileName: 'esm-only.cjs', source: readFileSync('src/esm-only.cjs', 'utf8') });
    },
    writeBundle: () => chmodSync('dist/bin.js', 0o755),
  };
}

export default {
  input: { index: 'src/index.ts', cli: 'src/cli/index.ts', bin: 'src/cli/bin.ts', worker: 'src/worker/entry.ts' },
  output: { dir: 'dist', format: 'es', sourcemap: true },
  external: (id) => id === 'webgpu' || id.startsWith('node:'),
  plugins: [cleanDist(), webppoAssets({ emitWasm: true }), typescript({ tsconfig: './tsconfig.json' })],
};
