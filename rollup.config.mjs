// Builds dist/ (ESM + .d.ts). The one plugin below is shared with vitest (test/vitest.config.mjs):
// `.wgsl` files import as strings and `build/webppo.wasm` imports as base64, so the package works with no
// bundler configuration; the wasm is also emitted as dist/webppo.wasm for those who serve it themselves.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import typescript from '@rollup/plugin-typescript';
import { transform } from 'esbuild';

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

/** TypeScript without a type-check (the first build checks the same sources): `./x.js` imports find `./x.ts`. */
function stripTypes() {
  return {
    name: 'strip-types',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || !source.endsWith('.js')) return null;
      const ts = resolve(dirname(importer), source.replace(/\.js$/, '.ts'));
      return existsSync(ts) ? ts : null;
    },
    async transform(code, id) {
      if (!id.endsWith('.ts')) return null;
      const out = await transform(code, { loader: 'ts', format: 'esm', target: 'es2022', sourcemap: true, sourcefile: id });
      return { code: out.code, map: out.map };
    },
  };
}

const external = (id) => id === 'webgpu' || id.startsWith('node:') || id.startsWith('protobufjs');

export default [
  {
    input: { index: 'src/index.ts', cli: 'src/cli.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true },
    external,
    plugins: [webppoAssets({ emitWasm: true }), typescript({ tsconfig: './tsconfig.json' })],
  },
  // dist/worker.js stands alone: everything it needs (the wasm too) in one file with no imports, so it works
  // when a bundler re-bundles it as a worker entry (Vite, webpack), inlines it, or copies it alone (esbuild,
  // rollup, a CDN). It is built separately so that it shares no chunk with index.js.
  {
    input: 'src/worker/entry.ts',
    output: { file: 'dist/worker.js', format: 'es', sourcemap: true, inlineDynamicImports: true },
    external,
    plugins: [webppoAssets(), stripTypes()],
  },
];
