// The package as users install it: `npm pack`'s tarball unpacked into node_modules/webppo of a temporary
// consumer project. Built once per source state (keyed by a hash of what goes into dist/) and cached under
// os.tmpdir(), so the package tests of one run (and of later runs on unchanged sources) share it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../browser/chromium.js';

const INPUTS = ['package.json', 'rollup.config.mjs', 'tsconfig.json', 'src', 'assembly', 'shaders'];

function hashInputs(): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    const full = join(REPO_ROOT, path);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) for (const entry of readdirSync(full).sort()) add(join(path, entry));
    else hash.update(path).update(readFileSync(full));
  };
  for (const input of INPUTS) add(input);
  return hash.digest('hex').slice(0, 16);
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The directory of a consumer project with node_modules/webppo installed from the packed tarball. */
export async function packedConsumer(): Promise<string> {
  const dir = join(tmpdir(), `webppo-consumer-${hashInputs()}`);
  if (existsSync(join(dir, '.ready'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  run('npm', ['run', 'build'], REPO_ROOT);
  const [{ filename }] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], REPO_ROOT)) as { filename: string }[];
  run('tar', ['-xzf', join(dir, filename), '-C', join(dir, 'node_modules')], dir);
  renameSync(join(dir, 'node_modules', 'package'), join(dir, 'node_modules', 'webppo'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'webppo-consumer', private: true, type: 'module', dependencies: { webppo: `file:${filename}` } }, null, 2));
  writeFileSync(join(dir, '.ready'), new Date().toISOString());
  return dir;
}
