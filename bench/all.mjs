// `npm run bench:all`: the same workload (bench/workload.ts) in Node, Deno and headless Chromium, merged into
// one table: bench/results/all.json, bench/results/all.md, and the README between its bench:all markers.
// Expects `npm run build` and the examples build (the npm script does both). `--backends cpu` skips WebGPU.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serve } from '../examples/serve.mjs';
import { markdownTable } from './workload.ts';
import { launchChromium } from '../test/browser/chromium.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const backends = args.includes('--backends') ? args[args.indexOf('--backends') + 1] : 'cpu,webgpu';
const results = [];

function collect(runtime, command, commandArgs, env) {
  console.log(`\n# ${runtime}`);
  const run = spawnSync(command, commandArgs, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  const line = run.stdout?.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (run.status !== 0 || !line) { console.error(`${runtime}: failed (exit ${run.status})\n${run.stdout ?? ''}`); return; }
  results.push(JSON.parse(line.slice('BENCH_RESULT '.length)));
}

// Node: Dawn on SwiftShader when no other Vulkan driver is chosen.
collect('Node', process.execPath, ['--import', 'tsx', 'bench/cross-runtime.ts', '--backends', backends], {
  ...process.env, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json',
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir(),
});

// Deno: its own WebGPU on the system driver (lavapipe without a GPU); `webppo` maps to the built package.
const importMap = `${tmpdir()}/webppo-bench-import-map.json`;
writeFileSync(importMap, JSON.stringify({ imports: { webppo: new URL('dist/index.js', `file://${root}`).href } }));
const denoEnv = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir(), NO_COLOR: '1' };
delete denoEnv.VK_ICD_FILENAMES;
collect('Deno', `${root}node_modules/.bin/deno`, ['run', '-A', '--import-map', importMap, 'bench/cross-runtime.ts', '--backends', backends], denoEnv);

// Chromium: the benchmark page, served like the demo.
console.log('\n# Chromium');
const server = await serve();
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error(`[Chromium] ${m.text()}`); });
  await page.goto(`${server.url}bench/?auto=1&backends=${backends}`);
  const result = await page.evaluate(() => globalThis.benchResult, undefined, { timeout: 600_000 });
  for (const row of result.rows) console.error(`[Chromium] ${row.workload} [${row.backend}]: ${row.value.toFixed(1)} ${row.unit}`);
  results.push(result);
} catch (error) {
  console.error(`Chromium: failed (${error.message})`);
} finally {
  await browser.close();
  await server.close();
}

const markdown = markdownTable(results);
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/all.json`, `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
writeFileSync(`${root}bench/results/all.md`, `${markdown}\n`);
const readme = `${root}README.md`;
const start = '<!-- bench:all -->', end = '<!-- /bench:all -->';
const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
if (text.includes(start) && text.includes(end)) {
  writeFileSync(readme, `${text.slice(0, text.indexOf(start) + start.length)}\n${markdown}\n${text.slice(text.indexOf(end))}`);
}
console.log(`\n${markdown}\n\nwrote bench/results/all.json and bench/results/all.md`);
process.exit(results.length === 3 ? 0 : 1);
