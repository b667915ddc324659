// `webppo serve-env <env id | module.js>`: a game's env served to Python over a local socket
// (src/interop/serve-env, protocol in docs/serve-env.md). Loads no wasm.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENV_IDS, makeEnv } from '../../envs/registry.js';
import { type EnvSource, serveEnv } from '../../interop/serve-env/server.js';
import { noExtraPositionals, positionalArg } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

/** The factory a serve-env target names: a built-in env id, or a module's default export / createEnv. */
export async function loadEnvSource(target: string): Promise<EnvSource> {
  if (ENV_IDS.includes(target)) return () => makeEnv(target);
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(resolve(target)).href);
  } catch (error) {
    throw new UsageError(`serve-env: ${JSON.stringify(target)} is neither a built-in env (${ENV_IDS.join(', ')}) nor an importable module: ${(error as Error).message}`);
  }
  const exported = module.default ?? module.createEnv;
  if (exported === undefined) throw new UsageError(`serve-env: module ${target} has no default export or createEnv`);
  return typeof exported === 'function' ? (exported as EnvSource) : () => exported;
}

function boundedInteger(flags: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name}: expected an integer in [${min}, ${max}], got ${JSON.stringify(text)}`);
  return value;
}

export const serveEnvCommand: Command = {
  usage: '<env id | module.js> [--num-envs N] [--port P | --socket path]',
  summary:
    'Serves an env to Python over 127.0.0.1 TCP (or a Unix socket) with the protocol of docs/serve-env.md;\n' +
    'prints "webppo serve-env: listening on <address>" and runs until stopped. A module\'s default export\n' +
    '(or createEnv) is a factory returning an Env, a VectorEnv or a PettingZoo-style ParallelEnv; a\n' +
    'single-agent Env is served as N copies (--num-envs).',
  flags: {
    'num-envs': { value: 'N', help: 'copies of a single-agent env to serve as one vector env (default 1)' },
    port: { value: 'P', help: 'TCP port on 127.0.0.1 (default 0: any free port)' },
    host: { value: 'address', help: 'a loopback address to listen on (default 127.0.0.1)' },
    socket: { value: 'path', help: 'a Unix socket path instead of TCP' },
  },
  async run(args, io) {
    const target = positionalArg(args, 1, 'the env id or module (serve-env <env>)');
    noExtraPositionals(args, 2);
    const flags = args.flags;
    if (flags.has('port') && flags.has('socket')) throw new UsageError('serve-env: give --port or --socket, not both');
    const options = {
      numEnvs: boundedInteger(flags, 'num-envs', 1, 1, 1 << 20),
      port: boundedInteger(flags, 'port', 0, 0, 65535),
      host: flags.get('host'),
      path: flags.get('socket'),
    };
    const server = await serveEnv(await loadEnvSource(target), options);
    io.out(`webppo serve-env: listening on ${server.address}`);
    await new Promise<void>((done) => {
      if (io.signal.aborted) return done();
      io.signal.addEventListener('abort', () => done(), { once: true });
      process.once('SIGTERM', () => done());
    });
    await server.close();
  },
};
