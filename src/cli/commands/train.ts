// `webppo train <env>`: trains a built-in env with a progress bar, evaluates the result with deterministic
// episodes and saves a safetensors checkpoint. Every argument (the PPO flags, --config, the output path, the
// WebGPU adapter) is checked before the first step.
import { readFile } from 'node:fs/promises';
import { Agent } from '../../agent/agent.js';
import { resolveAgentOptions } from '../../agent/options.js';
import { getGPU, probeAdapter } from '../../backend/webgpu/device.js';
import { type PPOConfigInput, resolvePPOConfig } from '../../config.js';
import { ENV_IDS, makeEnv } from '../../envs/registry.js';
import { ValidationError } from '../../errors.js';
import { presetFor } from '../../presets.js';
import { evaluateAgent, train } from '../../train.js';
import { choiceFlag, integerFlag, noExtraPositionals, positionalArg } from '../args.js';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { openOutput } from '../output.js';
import { flagForField, mergePPO, PPO_FLAG_SPECS, ppoFromFlags } from '../ppo-flags.js';

const BACKENDS = ['auto', 'cpu', 'webgpu'] as const;

async function readConfigFile(file: string): Promise<PPOConfigInput> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--config: cannot read ${file} as JSON (${(error as Error).message})`);
  }
  try {
    resolvePPOConfig(json as PPOConfigInput);
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(`--config ${file}: ${error.message}`);
    throw error;
  }
  return json as PPOConfigInput;
}

/** Fails with one clear message when --backend webgpu cannot have an adapter. */
async function requireAdapter(): Promise<void> {
  if (!(await getGPU())) {
    throw new Error("--backend webgpu: WebGPU is not available here (in Node it comes from the optional package 'webgpu': npm i webgpu); or use --backend cpu");
  }
  if (!(await probeAdapter())) throw new Error('--backend webgpu: WebGPU found no adapter on this machine (no usable GPU driver); use --backend cpu');
}

export const trainCommand: Command = {
  usage: '<env> [--steps N] [--seed S] [--backend auto|cpu|webgpu] [--out file] [--config file.json] [--quiet] [--<ppo-option> value ...]',
  summary: `Trains on <env> for N agent steps (default: the env's preset), prints progress, evaluates the result
with 20 deterministic episodes and saves a safetensors checkpoint (default <env>.safetensors).
--config reads PPOConfig fields from a JSON file ({"learningRate": 0.001, "vtrace": {"rhoClip": 1}});
every PPOConfig field is also a flag (below) and flags win over the file, which wins over the preset.`,
  flags: {
    steps: { value: 'N', help: "agent steps to train, >= 1 (default: the env's preset)" },
    seed: { value: 'S', help: 'seed of parameters, sampling and envs (default 1)' },
    backend: { value: 'auto|cpu|webgpu', help: 'where updates run (default auto)' },
    out: { value: 'file', help: 'checkpoint path (default <env>.safetensors); checked before training' },
    config: { value: 'file.json', help: 'PPOConfig fields as JSON' },
    quiet: { help: 'no progress bar' },
    ...PPO_FLAG_SPECS,
  },
  async run(args, io) {
    const id = positionalArg(args, 1, 'the env id (train <env>)');
    noExtraPositionals(args, 2);
    if (!ENV_IDS.includes(id)) throw new UsageError(`unknown env ${JSON.stringify(id)} (known: ${ENV_IDS.join(', ')})`);
    const { flags } = args;
    const preset = presetFor(id);
    const steps = integerFlag(flags, 'steps', preset.totalSteps, 1);
    const seed = integerFlag(flags, 'seed', 1, 0);
    const backend = choiceFlag(flags, 'backend', 'auto', BACKENDS);
    const file = flags.has('config') ? await readConfigFile(flags.get('config')!) : undefined;
    const ppo = mergePPO(preset.agent.ppo, file, ppoFromFlags(flags));
    const env = makeEnv(id);
    const options = { ...preset.agent, ppo, observationSpace: env.observationSpace, actionSpace: env.actionSpace, backend, seed };
    try {
      // Whole-option checks (e.g. numMinibatches against numSteps x numAgents) before anything is opened.
      resolveAgentOptions(options);
    } catch (error) {
      if (error instanceof ValidationError) {
        const flag = flagForField(error.field);
        throw new UsageError(flag ? `--${flag} (${error.field}): expected ${error.expected}, got ${JSON.stringify(error.actual)}` : error.message);
      }
      throw error;
    }
    if (backend === 'webgpu') await requireAdapter();
    const output = await openOutput('--out', flags.get('out') ?? `${id}.safetensors`);
    let saved = false;
    try {
      const agent = await Agent.create(options);
      try {
        io.out(`webppo: training ${id} for ${steps} steps on the ${agent.backend} backend (seed ${seed})`);
        const result = await train(agent, () => makeEnv(id), { totalSteps: steps, progress: !flags.has('quiet'), signal: io.signal });
        const returns = await evaluateAgent(agent, () => makeEnv(id), 20, seed + 1_000_003);
        const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
        io.out(`webppo: ${result.aborted ? 'stopped' : 'done'} after ${result.steps} steps, ${result.updates} updates in ${(result.elapsedMs / 1000).toFixed(1)} s`);
        io.out(`webppo: deterministic mean return over 20 episodes: ${mean.toFixed(1)}`);
        await output.commit(await agent.save());
        saved = true;
        io.out(`webppo: saved ${flags.get('out') ?? `${id}.safetensors`}`);
        return result.aborted ? EXIT.interrupted : EXIT.ok;
      } finally {
        agent.dispose();
      }
    } finally {
      if (!saved) await output.discard();
    }
  },
};
