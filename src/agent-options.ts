// Agent options: defaults, validation that names each field, and the JSON form a checkpoint keeps.
import type { BackendChoice } from './backend/index.js';
import { type PPOConfig, type PPOConfigInput, resolvePPOConfig } from './config.js';
import { checkBoolean, checkInteger, checkOneOf, fail } from './errors.js';
import { type NetworkSpec, type NetworkSpecInput, resolveNetworkSpec } from './policy/network.js';
import { CheckpointError } from './policy/safetensors.js';
import { spaceFromJson, spaceToJson } from './policy/checkpoint.js';
import { type Schedules, validateSchedules } from './schedule.js';
import { checkLogOptions, type Logger, type LogLevel, type LogOptions } from './log.js';
import { type ActionSpace, isSpace, type Space } from './spaces.js';
import { checkTrainInWorker, type TrainInWorker } from './worker/index.js';

export type { BackendChoice };

export interface AgentOptions extends LogOptions {
  observationSpace: Space;
  actionSpace: ActionSpace;
  /** Agents acting each tick (envs). Default 1. */
  numAgents?: number;
  network?: NetworkSpecInput;
  ppo?: PPOConfigInput;
  backend?: BackendChoice;
  /** Seeds parameters, action sampling and minibatch order. Default 0. */
  seed?: number;
  /** Whether act() takes action masks (categorical action spaces). Default false. */
  masks?: boolean;
  /** Schedules for learning rate, entropy coefficient and clip, over `totalSteps`. */
  schedules?: Schedules;
  /** The horizon for schedules and the learning-rate anneal (agent steps); without it they stay constant. */
  totalSteps?: number;
  /** Run updates in a Web Worker: true (dist/worker.js), a worker script URL, or a Worker. Default false. */
  trainInWorker?: TrainInWorker;
}

export interface ResolvedAgentOptions {
  observationSpace: Space;
  actionSpace: ActionSpace;
  numAgents: number;
  network: NetworkSpec;
  ppo: PPOConfig;
  backend: BackendChoice;
  seed: number;
  masks: boolean;
  schedules: Schedules;
  totalSteps: number | null;
  trainInWorker: TrainInWorker;
  /** This agent's log level and logger (not saved in checkpoints); undefined follows the global ones. */
  logLevel: LogLevel | undefined;
  logger: Logger | undefined;
}

const KNOWN = ['observationSpace', 'actionSpace', 'numAgents', 'network', 'ppo', 'backend', 'seed', 'masks', 'schedules', 'totalSteps', 'trainInWorker', 'logLevel', 'logger'];

export function resolveAgentOptions(options: AgentOptions): ResolvedAgentOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
  for (const key of Object.keys(options)) if (!KNOWN.includes(key)) fail(`options.${key}`, `a known option (${KNOWN.join(', ')})`, key);
  if (!isSpace(options.observationSpace)) fail('observationSpace', 'a space (Box, Discrete or MultiDiscrete)', options.observationSpace);
  if (!isSpace(options.actionSpace)) fail('actionSpace', 'a space (Box, Discrete or MultiDiscrete)', options.actionSpace);
  const numAgents = checkInteger('numAgents', options.numAgents ?? 1, 1, 1 << 20);
  const network = resolveNetworkSpec(options.network ?? {});
  const ppo = resolvePPOConfig(options.ppo ?? {});
  const backend = checkOneOf('backend', options.backend ?? 'auto', ['auto', 'cpu', 'webgpu'] as const);
  const seed = checkInteger('seed', options.seed ?? 0, 0, 2 ** 32 - 1);
  const masks = checkBoolean('masks', options.masks ?? false);
  if (masks && options.actionSpace.kind === 'box') fail('masks', 'false for a Box action space', masks);
  const schedules = validateSchedules(options.schedules);
  const totalSteps = options.totalSteps === undefined || options.totalSteps === null ? null : checkInteger('totalSteps', options.totalSteps, 1);
  const rows = ppo.numSteps * numAgents;
  if (ppo.numMinibatches > rows) fail('ppo.numMinibatches', `at most numSteps x numAgents = ${rows}`, ppo.numMinibatches);
  if (ppo.normalizeRewards && ppo.gamma >= 1) fail('ppo.gamma', 'below 1 when normalizeRewards is on', ppo.gamma);
  const trainInWorker = checkTrainInWorker(options.trainInWorker);
  checkLogOptions(options);
  return { observationSpace: options.observationSpace, actionSpace: options.actionSpace, numAgents, network, ppo, backend, seed, masks, schedules, totalSteps, trainInWorker, logLevel: options.logLevel, logger: options.logger };
}

// Infinity has no JSON form: it travels as a string.
const replacer = (_key: string, value: unknown) => (value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : value);
const reviver = (_key: string, value: unknown) => (value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value);

export function optionsToJson(o: ResolvedAgentOptions): unknown {
  // Where training runs and where messages go belong to the session, not the agent.
  const { trainInWorker: _where, logLevel: _level, logger: _logger, ...saved } = o;
  return JSON.parse(JSON.stringify({ ...saved, observationSpace: spaceToJson(saved.observationSpace), actionSpace: spaceToJson(saved.actionSpace) }, replacer));
}

/** Rebuilds (and re-validates) options from a checkpoint's config; errors name the checkpoint field. */
export function optionsFromJson(json: unknown): ResolvedAgentOptions {
  const raw = JSON.parse(JSON.stringify(json), reviver) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) throw new CheckpointError('checkpoint: config is not an object');
  try {
    return resolveAgentOptions({
      ...(raw as object),
      observationSpace: spaceFromJson(raw.observationSpace, 'observationSpace'),
      actionSpace: spaceFromJson(raw.actionSpace, 'actionSpace'),
      totalSteps: (raw.totalSteps ?? undefined) as number | undefined,
    } as AgentOptions);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`checkpoint: config: ${(error as Error).message}`);
  }
}
