// Runs every bench/*.bench.ts (or those named on the command line) one after another, each in its own
// Node process with tsx, against the built package in dist/. Each suite prints its own ratio table.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const suites = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
let failed = 0;
for (const suite of suites) {
  console.log(`\n## ${suite}\n`);
  const { status } = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${suite}`], { stdio: 'inherit' });
  if (status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
