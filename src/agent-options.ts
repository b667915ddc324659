// Agent options: defaults, validation that names each field, and the JSON form a checkpoint keeps.
import type { BackendChoice } from './backend/index.js';
import { type PPOConfig, type PPOConfigInput, resolvePPOConfig } from './config.js';
import { checkBoolean, checkInteger, checkOneOf, fail } from './errors.js';
import { type NetworkSpec, type NetworkSpecInput, resolveNetworkSpec } from './policy/network.js';
import { CheckpointError } from './policy/safetensors.js';
import { spaceFromJson, spaceToJson } from './policy/checkpoint.js';
import { type Schedules, validateSchedules } from './schedule.js';
import { type ActionSpace, isSpace, type Space } from './spaces.js';
import { checkTrainInWorker, type TrainInWorker } from './worker/index.js';

export type { BackendChoice };

/**
 * What `Agent.create` takes. Every field is validated before anything is built: a bad value throws a
 * `ValidationError` naming the field (`numAgents`, `ppo.gamma`, ...), the expected and the actual value.
 */
export interface AgentOptions {
  /** What each agent observes, one row per agent (`Box(n)` for a vector of floats). */
  observationSpace: Space;
  /** What each agent may do: `Discrete(n)`, `MultiDiscrete([...])` or `Box(n, low, high)`. */
  actionSpace: ActionSpace;
  /**
   * Agents acting each tick (envs), up to 2^20; they share one policy.
   * @default 1
   */
  numAgents?: number;
  /**
   * The actor-critic network; missing fields come from {@link DEFAULT_NETWORK}.
   * @default `{ hidden: [64, 64], activation: 'tanh', shared: false, distribution: 'normal' }`
   */
  network?: NetworkSpecInput;
  /**
   * PPO hyperparameters; missing fields come from {@link DEFAULT_PPO_CONFIG} (CleanRL's defaults).
   * @default DEFAULT_PPO_CONFIG
   */
  ppo?: PPOConfigInput;
  /**
   * Which trainer runs the updates: `'cpu'` (WebAssembly), `'webgpu'`, or `'auto'` (WebGPU on a hardware
   * adapter, the CPU backend otherwise). Inference (`act`) always runs on the CPU, in wasm.
   * @default 'auto'
   */
  backend?: BackendChoice;
  /**
   * Seeds parameters, action sampling and minibatch order (an integer in [0, 2^32 - 1]).
   * @default 0
   */
  seed?: number;
  /**
   * Whether act() takes action masks (categorical action spaces).
   * @default false
   */
  masks?: boolean;
  /**
   * Schedules for learning rate, entropy coefficient and clip, over `totalSteps`.
   * @default none
   */
  schedules?: Schedules;
  /**
   * The horizon for schedules and the learning-rate anneal (agent steps); without it they stay constant.
   * `train()` sets it to its own totalSteps.
   * @default none
   */
  totalSteps?: number;
  /**
   * Run updates in a Web Worker: true (dist/worker.js), a worker script URL, or a Worker.
   * @default false
   */
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
}

const KNOWN = ['observationSpace', 'actionSpace', 'numAgents', 'network', 'ppo', 'backend', 'seed', 'masks', 'schedules', 'totalSteps', 'trainInWorker'];

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
  return { observationSpace: options.observationSpace, actionSpace: options.actionSpace, numAgents, network, ppo, backend, seed, masks, schedules, totalSteps, trainInWorker };
}

// Infinity has no JSON form: it travels as a string.
const replacer = (_key: string, value: unknown) => (value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : value);
const reviver = (_key: string, value: unknown) => (value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value);

export function optionsToJson(o: ResolvedAgentOptions): unknown {
  const { trainInWorker: _where, ...saved } = o; // where training runs belongs to the session, not the agent
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
