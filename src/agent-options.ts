// Agent options: defaults, validation that names each field, and the JSON form a checkpoint keeps.
import type { BackendChoice } from './backend/index.js';
import { type PPOConfig, type PPOConfigInput, resolvePPOConfig } from './config.js';
import { checkBoolean, checkInteger, checkNumber, checkOneOf, fail } from './errors.js';
import { type NetworkSpec, type NetworkSpecInput, resolveNetworkSpec } from './policy/network.js';
import { CheckpointError } from './policy/safetensors.js';
import { spaceFromJson, spaceToJson } from './policy/checkpoint.js';
import { type Schedules, validateSchedules } from './schedule.js';
import { type ActionSpace, isSpace, type Space } from './spaces.js';
import { checkTrainInWorker, type TrainInWorker } from './worker/index.js';

export type { BackendChoice };

export interface AgentOptions {
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
  /**
   * On the CPU backend in the game's thread, the most training work (ms) one event-loop turn may do: updates
   * are cut into slices that fit (same results, measured speed, no tuning). 0 runs each update whole. Default 2.
   * Not saved in checkpoints (it belongs to the session); `agent.frameBudgetMs` changes it any time.
   */
  frameBudgetMs?: number;
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
  frameBudgetMs: number;
}

/** Training work per event-loop turn (ms) on the CPU backend in the game's thread, unless set. */
export const DEFAULT_FRAME_BUDGET_MS = 2;

const KNOWN = ['observationSpace', 'actionSpace', 'numAgents', 'network', 'ppo', 'backend', 'seed', 'masks', 'schedules', 'totalSteps', 'trainInWorker', 'frameBudgetMs'];

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
  const frameBudgetMs = checkNumber('frameBudgetMs', options.frameBudgetMs ?? DEFAULT_FRAME_BUDGET_MS, 0);
  return { observationSpace: options.observationSpace, actionSpace: options.actionSpace, numAgents, network, ppo, backend, seed, masks, schedules, totalSteps, trainInWorker, frameBudgetMs };
}

// Infinity has no JSON form: it travels as a string.
const replacer = (_key: string, value: unknown) => (value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : value);
const reviver = (_key: string, value: unknown) => (value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value);

export function optionsToJson(o: ResolvedAgentOptions): unknown {
  const { trainInWorker: _where, frameBudgetMs: _budget, ...saved } = o; // where and how training runs belongs to the session, not the agent
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
