// Builds test/package/page with one bundler, in production mode, the way a user's project would: `webppo`
// resolves to the consumer's node_modules (the packed tarball), nothing is configured for its worker or wasm.
// Usage: node build-page.mjs vite|webpack|esbuild <pageDir> <outDir>. The bundlers come from this repository.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [bundler, pageDir, outDir] = process.argv.slice(2);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const html = (script, type) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>webppo in a bundle</title><script${type} src="./${script}"></script>\n`;

if (bundler === 'vite') {
  const { build } = await import('vite');
  await build({ root: pageDir, configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
} else if (bundler === 'webpack') {
  const { default: webpack } = await import('webpack');
  const stats = await new Promise((resolve, reject) => webpack({
    mode: 'production', context: pageDir, entry: './main.js', output: { path: outDir, filename: 'main.js' },
    performance: { hints: false },
  }, (error, result) => (error ? reject(error) : resolve(result))));
  if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
  writeFileSync(join(outDir, 'index.html'), html('main.js', ''));
} else if (bundler === 'esbuild') {
  // esbuild leaves `new URL('./worker.js', import.meta.url)` alone: the recipe is to copy the package's
  // self-contained worker next to the bundle.
  const { build } = await import('esbuild');
  await build({ entryPoints: [join(pageDir, 'main.js')], bundle: true, format: 'esm', minify: true, outdir: outDir, logLevel: 'warning' });
  copyFileSync(createRequire(join(pageDir, 'main.js')).resolve('webppo/worker.js'), join(outDir, 'worker.js'));
  writeFileSync(join(outDir, 'index.html'), html('main.js', ' type="module"'));
} else {
  throw new Error(`unknown bundler ${bundler}`);
}
