// `npm run test:deno`: runs every test/deno/*.ts under Deno 2 (the `deno` npm package) against the built
// package in dist/. Deno's WebGPU uses the system's Vulkan driver (Mesa's lavapipe without a GPU), so the
// SwiftShader driver that the Node tests select is unset here. Exits non-zero when any script fails.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const deno = fileURLToPath(new URL('../../node_modules/.bin/deno', import.meta.url));
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir(), NO_COLOR: '1' };
delete env.VK_ICD_FILENAMES;

let failed = 0;
for (const script of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
  console.log(`\n# deno ${script}`);
  const { status } = spawnSync(deno, ['run', '-A', `${dir}${script}`], { stdio: 'inherit', env });
  if (status !== 0) { failed++; console.error(`FAILED: ${script} (exit ${status})`); }
}
console.log(failed ? `\n${failed} Deno script(s) failed` : '\nall Deno scripts passed');
process.exit(failed ? 1 : 0);
