// The package as users get it: built, packed by `npm pack`, installed from the tarball into a fresh consumer
// project. Built once per content: the consumer lives under os.tmpdir() in a directory named by a hash of
// everything that goes into the package, guarded by a lock directory, so every test file (and every process)
// of a run shares one install.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** What the package is made of: its sources, wasm, shaders and build settings. */
const INPUTS = ['src', 'assembly', 'shaders', 'package.json', 'rollup.config.mjs', 'tsconfig.json', 'LICENSE', 'README.md'];

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => files(join(path, name)));
}

/** A hash of the package's inputs: the cache key of the consumer. */
export function contentKey(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => files(join(REPO, input)))) {
    hash.update(relative(REPO, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 240_000 });

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether build/*.wasm is missing or older than a file of assembly/ (`npm test` builds it before the tests). */
function wasmIsStale(): boolean {
  const built = ['webppo.wasm', 'inference.wasm'].map((f) => statSync(join(REPO, 'build', f), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  const newest = Math.max(...files(join(REPO, 'assembly')).map((f) => statSync(f).mtimeMs));
  return Math.min(...built) < newest;
}

/** Builds dist/, packs it and installs the tarball into `dir`/consumer. */
function create(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (wasmIsStale()) run('npm', ['run', '--silent', 'build:wasm'], REPO);
  run(process.execPath, [join(REPO, 'node_modules/rollup/dist/bin/rollup'), '-c', '--silent'], REPO);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], REPO)) as { filename: string }[];
  const consumer = join(dir, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', join(dir, packed[0].filename)], consumer);
}

/**
 * The consumer directory (with node_modules/webppo installed from the packed tarball), created once per
 * package content and reused by every caller.
 */
export async function packedConsumer(): Promise<string> {
  const dir = join(tmpdir(), `webppo-packed-${contentKey()}`);
  const ready = join(dir, 'ready');
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(ready)) return join(dir, 'consumer');
    try {
      mkdirSync(lock);
    } catch {
      // Another process is building this consumer; a lock older than 10 minutes is a crashed run's.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      await sleep(500);
      continue;
    }
    try {
      if (!existsSync(ready)) {
        create(dir);
        writeFileSync(ready, new Date().toISOString());
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** The tarball `packedConsumer()` installed (in its parent directory). */
export function packedTarball(consumer: string): string {
  const dir = join(consumer, '..');
  return join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
}
