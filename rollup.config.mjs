// Builds dist/ (ESM + .d.ts). The one plugin below is shared with vitest (test/vitest.config.mjs):
// `.wgsl` files import as strings and `build/webppo.wasm` imports as base64, so the package works with no
// bundler configuration; the wasm is also emitted as dist/webppo.wasm for those who serve it themselves.
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
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

// The WebGPU backend and its WGSL text form one chunk that only the main entry, the worker and the CLI reach.
const manualChunks = (id) => (id.includes('/src/backend/webgpu/') || id.endsWith('.wgsl') ? 'webgpu' : undefined);

const external = (id) => id === 'webgpu' || id.startsWith('node:') || id.startsWith('protobufjs');

const main = {
  input: { index: 'src/index.ts', cli: 'src/cli/index.ts', bin: 'src/cli/bin.ts' },
  output: { dir: 'dist', format: 'es', sourcemap: true, manualChunks },
  external,
  plugins: [cleanDist(), webppoAssets({ emitWasm: true }), typescript({ tsconfig: './tsconfig.json' })],
};

// `webppo/inference` is built on its own, self-contained, around the play-only wasm (assembly/inference.ts):
// its own copy of init() loads build/inference.wasm, so a page that only plays never carries the trainer.
function inferenceWasm() {
  return {
    name: 'inference-wasm',
    async resolveId(source, importer) {
      if (!importer) return null;
      if (/\/src\/init\.ts$/.test(importer)) {
        if (source === '../build/webppo.wasm') return this.resolve('../build/inference.wasm', importer);
        if (source === '../build/webppo.js') return this.resolve('../build/inference.js', importer);
      }
      // TypeScript's `./x.js` specifiers name `./x.ts` sources.
      if (source.startsWith('.') && source.endsWith('.js') && importer.endsWith('.ts') && !importer.includes('/build/')) {
        const ts = await this.resolve(source.replace(/\.js$/, '.ts'), importer);
        if (ts) return ts;
      }
      return null;
    },
  };
}

// The main build has type-checked every file and written the .d.ts; the others only strip types (esbuild).
// TypeScript's `./x.js` specifiers name `./x.ts` sources.
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

// dist/worker.js stands alone: everything it needs (the wasm too) in one file with no imports, so it works
// when a bundler re-bundles it as a worker entry (Vite, webpack), inlines it, or copies it alone (esbuild,
// rollup, a CDN). It is built separately so that it shares no chunk with index.js.
const worker = {
  input: 'src/worker/entry.ts',
  output: { file: 'dist/worker.js', format: 'es', sourcemap: true, inlineDynamicImports: true },
  external,
  plugins: [webppoAssets(), stripTypes()],
};

const inference = {
  input: { inference: 'src/inference.ts' },
  output: { dir: 'dist', format: 'es', sourcemap: true },
  external: (id) => id.startsWith('node:'),
  plugins: [inferenceWasm(), webppoAssets(), stripTypes()],
};

export default [main, worker, inference];
