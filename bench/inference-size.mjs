// What a page that only plays a trained agent ships: `import { loadPolicy } from 'webppo/inference'` bundled
// by esbuild (minified, wasm inlined as the package ships it), gzipped. `npm run bench:size` (after
// `npm run build`) prints it and records it in the README between the inference-size markers;
// test/bundle/inference.test.ts holds the built output to the budget.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The budget for the play-only bundle, gzip bytes, wasm included (feed-forward and recurrent cells, every head). */
export const INFERENCE_BUDGET_GZIP = 32 * 1024;

/** Bundles `import { loadPolicy } from '<dist>/inference.js'` for the browser; returns its code and sizes. */
export async function measureInferenceBundle(dist = join(root, 'dist')) {
  const dir = mkdtempSync(join(tmpdir(), 'webppo-size-'));
  try {
    const entry = join(dir, 'play.mjs');
    writeFileSync(entry, `export { loadPolicy } from ${JSON.stringify(join(dist, 'inference.js'))};\n`);
    const result = await build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
    const code = result.outputFiles[0].contents;
    return { code: Buffer.from(code).toString('utf8'), minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { minified, gzip } = await measureInferenceBundle();
  const line = `| \`webppo/inference\` (loadPolicy + predict, wasm inlined) | ${kb(minified)} | ${kb(gzip)} | ${kb(INFERENCE_BUDGET_GZIP)} |`;
  console.log(line);
  const readme = join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const table = `<!-- inference-size -->\n| bundle (esbuild --minify) | minified | gzip | budget (gzip) |\n|---|---:|---:|---:|\n${line}\n<!-- /inference-size -->`;
  writeFileSync(readme, text.replace(/<!-- inference-size -->[\s\S]*?<!-- \/inference-size -->/, table));
}
