#!/usr/bin/env node
// `webppo train <env>` / `webppo eval <checkpoint>`: train a built-in env with a progress bar, save the
// checkpoint, and evaluate it.
import { readFile, writeFile } from 'node:fs/promises';
import { Agent } from './agent.js';
import type { BackendChoice } from './agent-options.js';
import { ENV_IDS, makeEnv } from './envs/registry.js';
import { evaluateAgent, train } from './train.js';
import { presetFor } from './presets.js';
import { INTEROP_COMMANDS, INTEROP_HELP, INTEROP_USAGE, InteropUsageError } from './interop/cli.js';

const HELP = `webppo: self-training PPO agents

Usage:
  webppo train <env> [--steps N] [--seed S] [--backend auto|cpu|webgpu] [--out file] [--quiet]
  webppo eval <checkpoint> [--episodes N] [--env id]
${INTEROP_USAGE}
  webppo --help

Envs: ${ENV_IDS.join(', ')}

train   trains on <env> for N agent steps (default: the env's preset), prints progress, evaluates the
        result with deterministic episodes and saves a safetensors checkpoint (default <env>.safetensors).
eval    loads a checkpoint and prints the mean return of N deterministic episodes (default 20).
${INTEROP_HELP}
`;

interface Parsed { positional: string[]; flags: Map<string, string> }

function parse(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h' || arg === '--quiet') flags.set(arg.replace(/^-+/, ''), 'true');
    else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split('=', 2);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else positional.push(arg);
  }
  return { positional, flags };
}

class UsageError extends Error {}

function integer(flags: Map<string, string>, name: string, fallback: number): number {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${name}: expected a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}

function allow(flags: Map<string, string>, names: string[]): void {
  for (const name of flags.keys()) if (!names.includes(name)) throw new UsageError(`unknown option --${name}`);
}

async function trainCommand({ positional, flags }: Parsed): Promise<void> {
  allow(flags, ['steps', 'seed', 'backend', 'out', 'quiet']);
  const id = positional[1];
  if (!id) throw new UsageError('train needs an env id');
  if (!ENV_IDS.includes(id)) throw new UsageError(`unknown env ${JSON.stringify(id)} (known: ${ENV_IDS.join(', ')})`);
  const preset = presetFor(id);
  const steps = integer(flags, 'steps', preset.totalSteps);
  const seed = integer(flags, 'seed', 1);
  const backend = (flags.get('backend') ?? 'auto') as BackendChoice;
  if (!['auto', 'cpu', 'webgpu'].includes(backend)) throw new UsageError(`--backend: expected auto, cpu or webgpu, got ${JSON.stringify(backend)}`);
  const out = flags.get('out') ?? `${id}.safetensors`;
  const quiet = flags.has('quiet');
  const env = makeEnv(id);
  const agent = await Agent.create({ ...preset.agent, observationSpace: env.observationSpace, actionSpace: env.actionSpace, backend, seed });
  try {
    console.log(`webppo: training ${id} for ${steps} steps on the ${agent.backend} backend (seed ${seed})`);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    const result = await train(agent, () => makeEnv(id), { totalSteps: steps, progress: !quiet, signal: controller.signal });
    process.off('SIGINT', stop);
    const returns = await evaluateAgent(agent, () => makeEnv(id), 20, seed + 1_000_003);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    console.log(`webppo: ${result.aborted ? 'stopped' : 'done'} after ${result.steps} steps, ${result.updates} updates in ${(result.elapsedMs / 1000).toFixed(1)} s`);
    console.log(`webppo: deterministic mean return over 20 episodes: ${mean.toFixed(1)}`);
    await writeFile(out, await agent.save());
    console.log(`webppo: saved ${out}`);
  } finally {
    agent.dispose();
  }
}

async function evalCommand({ positional, flags }: Parsed): Promise<void> {
  allow(flags, ['episodes', 'env']);
  const file = positional[1];
  if (!file) throw new UsageError('eval needs a checkpoint file');
  const episodes = integer(flags, 'episodes', 20);
  if (episodes < 1) throw new UsageError('--episodes: expected at least 1');
  const agent = await Agent.load(new Uint8Array(await readFile(file)), { backend: 'cpu' });
  try {
    const id = flags.get('env') ?? ENV_IDS.find((candidate) => {
      const env = makeEnv(candidate);
      return JSON.stringify(env.observationSpace) === JSON.stringify(agent.observationSpace) && JSON.stringify(env.actionSpace) === JSON.stringify(agent.actionSpace);
    });
    if (!id || !ENV_IDS.includes(id)) throw new UsageError(`no built-in env matches the checkpoint's spaces; pass --env (known: ${ENV_IDS.join(', ')})`);
    const returns = await evaluateAgent(agent, () => makeEnv(id), episodes, 12345);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    console.log(`webppo: ${id}: deterministic mean return over ${episodes} episodes: ${mean.toFixed(1)} (min ${Math.min(...returns).toFixed(1)}, max ${Math.max(...returns).toFixed(1)})`);
  } finally {
    agent.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const parsed = parse(argv);
    const command = parsed.positional[0];
    if (parsed.flags.has('help') || parsed.flags.has('h') || command === undefined || command === 'help') {
      console.log(HELP);
      return command === undefined && !parsed.flags.has('help') && !parsed.flags.has('h') ? 1 : 0;
    }
    if (Object.hasOwn(INTEROP_COMMANDS, command)) return await INTEROP_COMMANDS[command](argv.slice(argv.indexOf(command) + 1));
    if (command === 'train') await trainCommand(parsed);
    else if (command === 'eval') await evalCommand(parsed);
    else throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof InteropUsageError) {
      console.error(`webppo: ${error.message}\n\n${HELP}`);
      return 2;
    }
    console.error(`webppo: ${(error as Error).message ?? error}`);
    return 1;
  }
}

const argv = (globalThis as { process?: { argv?: string[] } }).process?.argv;
if (argv && /cli\.(js|ts)$/.test(argv[1] ?? '')) {
  main(argv.slice(2)).then((code) => process.exit(code));
}
