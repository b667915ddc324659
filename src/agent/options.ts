// Agent options: defaults, validation that names each field, and the JSON form a checkpoint keeps.
import type { BackendChoice } from '../backend/index.js';
import { type PPOConfig, type PPOConfigInput, resolvePPOConfig } from '../config.js';
import { checkBoolean, checkInteger, checkKeys, checkNumber, checkOneOf, fail } from '../errors.js';
import { type NetworkSpec, type NetworkSpecInput, resolveNetworkSpec } from '../policy/network.js';
import { CheckpointError } from '../policy/safetensors.js';
import { spaceFromJson, spaceToJson } from '../policy/checkpoint.js';
import { type Schedules, validateSchedules } from '../schedule.js';
import { checkLogOptions, type Logger, type LogLevel, type LogOptions } from '../log.js';
import { type ActionSpace, type Space, validateSpace } from '../spaces.js';
import { checkTrainInWorker, type TrainInWorker } from '../worker/index.js';
import type { ResolvedSelfPlayOptions, SelfPlayOptions } from '../selfplay/options.js';
import { resolveAgentSelfPlay } from './self-play.js';
import type { BehavioralCloningOptions } from '../imitation/behavioral-cloning.js';
import { behavioralCloningSettings, checkBehavioralCloning } from './imitation.js';

export type { BackendChoice };

/**
 * What `Agent.create` takes. Every field is validated before anything is built: a bad value throws a
 * `ValidationError` naming the field (`numAgents`, `ppo.gamma`, ...), the expected and the actual value.
 */
export interface AgentOptions extends LogOptions {
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
  /**
   * Backpressure for a game that outruns training: at most this many updates queued or running (an integer
   * in [1, 64]; default 4, so a short burst on a slow adapter still trains every rollout). A rollout that
   * fills up while that many are waiting is dropped, not trained: act() and observe() keep working for the game, the dropped steps are
   * counted in `agent.health` and announced by a 'dropped' event, and memory stays bounded. Only whole rollouts are dropped, so every
   * trained batch is a contiguous stretch of each agent's episodes.
   */
  maxPendingUpdates?: number;
  /**
   * On the CPU backend in the game's thread, the most training work (ms) one event-loop turn may do: updates
   * are cut into slices that fit (same results, measured speed, no tuning). 0 runs each update whole. Default 2.
   * Not saved in checkpoints (it belongs to the session); `agent.frameBudgetMs` changes it any time.
   */
  frameBudgetMs?: number;
  /**
   * Ticks between an agent's decisions (an integer >= 1; default 1, a decision every tick), like ML-Agents'
   * DecisionRequester: a slot decides on the ticks where its count of ticks since it spawned (or its episode
   * began) is a multiple of this, and repeats its last action in between. `act(observations, { decide })`
   * and `agent.requestDecision(slot)` ask for decisions off this clock.
   */
  decisionPeriod?: number;
  /**
   * Self-play (ML-Agents' semantics): slot e plays for team `e % teams` (numAgents must be a multiple of
   * teams). The learning team's slots act with the learner and are trained on; every other team's slots act
   * with a frozen snapshot of it (CPU inference) and are never stored. Report each game's result with
   * `agent.reportResult(team, result)`; `agent.selfPlay` and the 'update' and 'selfPlay' events carry the
   * ratings. Saved in checkpoints. Errors name `selfPlay.<field>`.
   * @default none (every slot learns)
   */
  selfPlay?: SelfPlayOptions;
  /**
   * Behaviour cloning during PPO (ML-Agents' `behavioral_cloning`): after each update, passes over these
   * demonstrations at `strength` x the policy's learning rate, annealed to 0 over `steps`; its stats join the
   * update event as `behavioralCloning`. Unset fields default to PPO's minibatch size and epochs. Checkpoints
   * keep the settings but not the demonstrations (nor cloning's own Adam state): `Agent.load(bytes,
   * { demonstrations })` resumes cloning; without them the loaded agent trains without it (and says so).
   * @default none
   */
  behavioralCloning?: BehavioralCloningOptions;
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
  maxPendingUpdates: number;
  frameBudgetMs: number;
  decisionPeriod: number;
  /** Self-play settings with every field set; undefined without self-play. */
  selfPlay: ResolvedSelfPlayOptions | undefined;
  /** Cloning during PPO; after Agent.load without demonstrations, undefined. */
  behavioralCloning: BehavioralCloningOptions | undefined;
  /** This agent's log level and logger (not saved in checkpoints); undefined follows the global ones. */
  logLevel: LogLevel | undefined;
  logger: Logger | undefined;
}

/** Training work per event-loop turn (ms) on the CPU backend in the game's thread, unless set. */
export const DEFAULT_FRAME_BUDGET_MS = 2;

const KNOWN = ['observationSpace', 'actionSpace', 'numAgents', 'network', 'ppo', 'backend', 'seed', 'masks', 'schedules', 'totalSteps', 'trainInWorker', 'maxPendingUpdates', 'frameBudgetMs', 'decisionPeriod', 'selfPlay', 'behavioralCloning', 'logLevel', 'logger'];

export function resolveAgentOptions(options: AgentOptions): ResolvedAgentOptions {
  checkKeys('options', options, KNOWN, 'option');
  validateSpace('observationSpace', options.observationSpace);
  validateSpace('actionSpace', options.actionSpace);
  const numAgents = checkInteger('numAgents', options.numAgents === undefined ? 1 : options.numAgents, 1, 1 << 20);
  const network = resolveNetworkSpec(options.network === undefined ? {} : options.network);
  let ppo = resolvePPOConfig(options.ppo === undefined ? {} : options.ppo);
  // A recurrent network's minibatches are whole agent segments: unless asked for, no more than the agents.
  if (network.memory !== undefined && options.ppo?.numMinibatches === undefined && ppo.numMinibatches > numAgents) ppo = { ...ppo, numMinibatches: numAgents };
  const backend = checkOneOf('backend', options.backend === undefined ? 'auto' : options.backend, ['auto', 'cpu', 'webgpu'] as const);
  const seed = checkInteger('seed', options.seed === undefined ? 0 : options.seed, 0, 2 ** 32 - 1);
  const masks = checkBoolean('masks', options.masks === undefined ? false : options.masks);
  if (masks && options.actionSpace.kind === 'box') fail('masks', 'false for a Box action space', masks);
  const schedules = validateSchedules(options.schedules);
  const totalSteps = options.totalSteps === undefined || options.totalSteps === null ? null : checkInteger('totalSteps', options.totalSteps, 1);
  const rows = ppo.numSteps * numAgents;
  if (ppo.numMinibatches > rows) fail('ppo.numMinibatches', `at most numSteps x numAgents = ${rows}`, ppo.numMinibatches);
  if (ppo.normalizeRewards && ppo.gamma >= 1) fail('ppo.gamma', 'below 1 when normalizeRewards is on', ppo.gamma);
  const trainInWorker = checkTrainInWorker(options.trainInWorker);
  const maxPendingUpdates = checkInteger('maxPendingUpdates', options.maxPendingUpdates ?? 4, 1, 64);
  const frameBudgetMs = checkNumber('frameBudgetMs', options.frameBudgetMs ?? DEFAULT_FRAME_BUDGET_MS, 0);
  const decisionPeriod = checkInteger('decisionPeriod', options.decisionPeriod ?? 1, 1);
  const selfPlay = resolveAgentSelfPlay(options.selfPlay, numAgents);
  const behavioralCloning = checkBehavioralCloning(options.behavioralCloning);
  if (network.memory !== undefined) checkRecurrent(numAgents, ppo.numMinibatches);
  checkLogOptions(options);
  return { observationSpace: options.observationSpace, actionSpace: options.actionSpace, numAgents, network, ppo, backend, seed, masks, schedules, totalSteps, trainInWorker, maxPendingUpdates, frameBudgetMs, decisionPeriod, selfPlay, behavioralCloning, logLevel: options.logLevel, logger: options.logger };
}

/**
 * What a recurrent network (network.memory) needs of the other options: minibatches of whole agent segments
 * (at most one per agent). Self-play opponents carry their own states; behaviour cloning replays
 * demonstrations as sequences (on the CPU backend; WebGPU refuses it when the agent builds its cloning).
 */
function checkRecurrent(numAgents: number, numMinibatches: number): void {
  const why = 'for a recurrent network (network.memory)';
  if (numMinibatches > numAgents) fail('ppo.numMinibatches', `at most numAgents = ${numAgents} ${why}: each minibatch is made of whole agent segments`, numMinibatches);
}

// Infinity has no JSON form: it travels as a string.
const replacer = (_key: string, value: unknown) => (value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : value);
const reviver = (_key: string, value: unknown) => (value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value);

export function optionsToJson(o: ResolvedAgentOptions): unknown {
  // Where and how training runs and where messages go belong to the session, not the agent.
  const { trainInWorker: _where, frameBudgetMs: _budget, logLevel: _level, logger: _logger, ...saved } = o;
  return JSON.parse(JSON.stringify({ ...saved, behavioralCloning: behavioralCloningSettings(saved.behavioralCloning), observationSpace: spaceToJson(saved.observationSpace), actionSpace: spaceToJson(saved.actionSpace) }, replacer));
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
