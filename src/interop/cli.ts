// The interop subcommands of the `webppo` CLI: `export-onnx` and `serve-env`. Each takes its own argv (the
// words after the subcommand) and resolves to an exit code; usage mistakes throw InteropUsageError.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENV_IDS, makeEnv } from '../envs/registry.js';
import { type EnvSource, serveEnv } from './serve-env/server.js';

export class InteropUsageError extends Error {
  override name = 'InteropUsageError';
}

/** The usage lines of the interop subcommands. */
export const INTEROP_USAGE = `  webppo export-onnx <checkpoint> [--out file.onnx]
  webppo serve-env <env id | module.js> [--num-envs N] [--port P | --socket path]`;

/** What the interop subcommands do, for the CLI's help. */
export const INTEROP_HELP = `export-onnx  writes the checkpoint's policy as ONNX: observation normalization, logits or action means, the
             deterministic action and the value, with a dynamic batch dimension (default <checkpoint>.onnx).
serve-env    serves an env to Python over 127.0.0.1 TCP (or a Unix socket) with the protocol of
             docs/serve-env.md; prints "webppo serve-env: listening on <address>" and runs until stopped.
             A module's default export (or createEnv) is a factory returning an Env, a VectorEnv or a
             PettingZoo-style ParallelEnv; a single-agent Env is served as N copies (--num-envs).`;

function options(argv: readonly string[], known: readonly string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) { positional.push(arg); continue; }
    const [name, inline] = arg.slice(2).split('=', 2);
    if (!known.includes(name)) throw new InteropUsageError(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(', ')})`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new InteropUsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { positional, flags };
}

function integerFlag(flags: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new InteropUsageError(`--${name}: expected an integer in [${min}, ${max}], got ${JSON.stringify(text)}`);
  return value;
}

/** `webppo export-onnx <checkpoint> [--out file.onnx]` */
export async function exportOnnxCommand(argv: readonly string[]): Promise<number> {
  const { positional, flags } = options(argv, ['out']);
  const file = positional[0];
  if (!file || positional.length > 1) throw new InteropUsageError('export-onnx needs exactly one checkpoint file');
  const out = flags.get('out') ?? `${file.replace(/\.safetensors$/, '')}.onnx`;
  // Loaded here so that serve-env, which needs no wasm, does not load the agent's modules.
  const { exportOnnx } = await import('./onnx/export.js');
  const model = await exportOnnx(new Uint8Array(await readFile(file)));
  await writeFile(out, model);
  console.log(`webppo: wrote ${out} (${model.length} bytes)`);
  return 0;
}

/** The factory a serve-env target names: a built-in env id, or a module's default export / createEnv. */
export async function loadEnvSource(target: string): Promise<EnvSource> {
  if (ENV_IDS.includes(target)) return () => makeEnv(target);
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(resolve(target)).href);
  } catch (error) {
    throw new InteropUsageError(`serve-env: ${JSON.stringify(target)} is neither a built-in env (${ENV_IDS.join(', ')}) nor an importable module: ${(error as Error).message}`);
  }
  const exported = module.default ?? module.createEnv;
  if (exported === undefined) throw new InteropUsageError(`serve-env: module ${target} has no default export or createEnv`);
  return typeof exported === 'function' ? (exported as EnvSource) : () => exported;
}

/** `webppo serve-env <target> [--num-envs N] [--port P | --socket path]`: runs until SIGINT / SIGTERM. */
export async function serveEnvCommand(argv: readonly string[]): Promise<number> {
  const { positional, flags } = options(argv, ['num-envs', 'port', 'socket', 'host']);
  const target = positional[0];
  if (!target || positional.length > 1) throw new InteropUsageError('serve-env needs exactly one env id or module');
  if (flags.has('port') && flags.has('socket')) throw new InteropUsageError('serve-env: give --port or --socket, not both');
  const server = await serveEnv(await loadEnvSource(target), {
    numEnvs: integerFlag(flags, 'num-envs', 1, 1, 1 << 20),
    port: integerFlag(flags, 'port', 0, 0, 65535),
    host: flags.get('host'),
    path: flags.get('socket'),
  });
  console.log(`webppo serve-env: listening on ${server.address}`);
  await new Promise<void>((done) => {
    const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); done(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

/** The interop subcommands by name, for the CLI's dispatch. */
export const INTEROP_COMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = {
  'export-onnx': exportOnnxCommand,
  'serve-env': serveEnvCommand,
};
