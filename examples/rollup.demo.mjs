// Builds the browser examples (the demo game and the benchmark page) into build/examples/, the way a user's
// project would: `webppo` resolves to the built package (dist/) through its package.json "exports", and
// nothing is configured for the package's wasm or WGSL (they ship inside dist/index.js).
import { readFileSync } from 'node:fs';
import typescript from '@rollup/plugin-typescript';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const STATIC = ['web/index.html', 'web/style.css', 'duel/index.html', 'web/hunters.html', 'bench/index.html', 'index.html'];

/** What a resolver does for a package import: read its "exports" entry. */
function webppoPackage() {
  return {
    name: 'webppo-package',
    resolveId(id) {
      if (id === 'webppo') return new URL(pkg.exports['.'].import, root).pathname;
      return null;
    },
  };
}

/** Copies the pages and styles next to the scripts. */
function staticFiles() {
  return {
    name: 'static-files',
    generateBundle() {
      for (const file of STATIC) {
        this.emitFile({ type: 'asset', fileName: file, source: readFileSync(new URL(`examples/${file}`, root)) });
      }
    },
  };
}

export default {
  input: { 'web/main': 'examples/web/main.ts', 'duel/main': 'examples/duel/main.ts', 'web/hunters': 'examples/web/hunters.ts', 'web/worker': 'examples/web/worker.ts', 'bench/main': 'examples/bench/main.ts' },
  output: { dir: 'build/examples', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'shared/[name]-[hash].js' },
  plugins: [webppoPackage(), typescript({ tsconfig: 'examples/tsconfig.json', noEmitOnError: true }), staticFiles()],
};
