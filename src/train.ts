// train(): the headless loop. Steps a vector of envs with the agent, awaiting each update before acting
// again (synchronous updates: the batch is always on-policy and nothing runs in parallel, which is faster
// here than double buffering), with schedules, periodic deterministic evaluation, progress events, a progress
// bar and an AbortSignal that stops cleanly between steps. It yields to the event loop at least every
// YIELD_MS of work, so timers, UI and aborts are seen promptly; an env that fails rejects with an EnvError
// and leaves the agent between ticks, usable and saveable.
import type { Agent, DivergedEvent, EpisodeEvent, RecoveredEvent, UpdateEvent } from './agent/agent.js';
import type { BackendReport } from './backend/index.js';
import { checkBoolean, checkInteger, checkKeys, fail } from './errors.js';
import { type Env, isVectorEnv, type VectorEnv, type VectorStepResult } from './envs/env.js';
import { EnvError, envName } from './envs/env-error.js';
import { nextTurn } from './next-turn.js';
import { vectorize } from './envs/vector.js';
import { sameSpace, spaceToJson } from './policy/checkpoint.js';
import { validateSpace } from './spaces.js';
import { ProgressReporter } from './progress.js';
import { type Schedules, validateSchedules } from './schedule.js';
import { trainsOnAnotherThread } from './worker/index.js';
import { Behaviours } from './behaviours/behaviours.js';
import { isParallelEnv, type ParallelEnv } from './envs/parallel.js';
import { trainMultiAgent } from './train/multi-agent.js';
import type { MultiAgentTrainOptions, MultiAgentTrainResult } from './train/multi-agent-options.js';

/**
 * What `train()` passes to `onProgress`: a rollout finished (`'rollout'`), an update finished
 * (`'update'`, with the {@link UpdateEvent} fields), an episode ended (`'episode'`, with the {@link EpisodeEvent}
 * fields), or an evaluation finished (`'eval'`).
 * @property type Which event: `'rollout'`, `'update'`, `'episode'` or `'eval'`.
 * @property steps Agent steps taken so far.
 * @property sps `'rollout'`: agent steps per second since train() started.
 * @property meanReturn `'eval'`: the mean return of the evaluation episodes.
 * @property returns `'eval'`: the return of each evaluation episode.
 */
export type ProgressEvent =
  | { type: 'rollout'; steps: number; sps: number }
  | ({ type: 'update' } & UpdateEvent)
  | ({ type: 'episode' } & EpisodeEvent)
  | ({ type: 'diverged' } & DivergedEvent)
  | ({ type: 'recovered' } & RecoveredEvent)
  | { type: 'eval'; steps: number; meanReturn: number; returns: number[] }
  /** Once at the start, when backend 'auto' chose the agent's backend: which, and the update times it measured. */
  | ({ type: 'backend' } & BackendReport);

/** Periodic deterministic evaluation during `train()`. */
export interface EvaluateOptions {
  /** Evaluate every this many agent steps. */
  every: number;
  /**
   * Deterministic episodes per evaluation.
   * @default 10
   */
  episodes?: number;
  /**
   * The env to evaluate on (required when training on a VectorEnv).
   * @default the training env's factory
   */
  env?: () => Env;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /**
   * Train until the agent has taken this many steps in all (a loaded agent continues where it stopped).
   * Schedules run over the larger of this and the agent's own horizon, so training in several calls (or
   * saving, loading and training on) follows the same schedule as one call.
   */
  totalSteps: number;
  /** Schedules for this run; default: the agent's own (from Agent.create, Agent.load or an earlier train()). */
  schedules?: Schedules;
  /**
   * Evaluate every `evaluate.every` steps with deterministic actions.
   * @default no evaluation
   */
  evaluate?: EvaluateOptions;
  /** Called with every {@link ProgressEvent}. */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * A progress bar on a TTY, plain lines otherwise.
   * @default false
   */
  progress?: boolean;
  /** Stops training: seen within one turn of the event loop (train() yields at least every ~16 ms). */
  signal?: AbortSignal;
  /**
   * Collect the next rollout while the previous one trains (each batch then lags one update and is trained with
   * V-trace). Default: true when the agent trains on another thread (trainInWorker), where it uses a second core.
   */
  overlap?: boolean;
}

/** Work between two yields to the event loop, in ms: about one frame. */
const YIELD_MS = 16;

/** What {@link train} resolves to. */
export interface TrainResult {
  /** Agent steps taken in all (including those before this call). */
  steps: number;
  /** Updates finished in all. */
  updates: number;
  /** Episodes finished in all. */
  episodes: number;
  /** Mean return of the last (up to) 20 finished training episodes. */
  meanReturn: number | undefined;
  /**
   * Each evaluation of this run.
   * @property steps Agent steps when it ran.
   * @property meanReturn Mean return of its episodes.
   */
  evaluations: { steps: number; meanReturn: number }[];
  /** Wall time of this call in milliseconds. */
  elapsedMs: number;
  /** Whether `signal` stopped training before `totalSteps`. */
  aborted: boolean;
}

/** Observations where each VectorEnv passed to train() stopped, so the next call continues its episodes. */
const running = new WeakMap<VectorEnv, Float32Array>();

const TRAIN_OPTIONS = ['totalSteps', 'schedules', 'evaluate', 'onProgress', 'progress', 'signal', 'overlap'];

/**
 * Trains an agent headless until it has taken `totalSteps` steps in all: steps `numAgents` envs (a factory is
 * vectorized with autoreset, or pass a {@link VectorEnv}) and trains on each full rollout. Unless `overlap` is
 * on (the default with trainInWorker) it awaits each update before acting again, so every batch is on-policy.
 * Resolves after the last update; called again, the agent keeps training where it stopped.
 * @example
 * ```ts
 * import { Agent, makeEnv, train } from 'webppo';
 * const env = makeEnv('CartPole-v1');
 * const agent = await Agent.create({ observationSpace: env.observationSpace, actionSpace: env.actionSpace, numAgents: 4 });
 * const result = await train(agent, () => makeEnv('CartPole-v1'), { totalSteps: 2048 });
 * console.log(result.steps >= 2048); // true
 * ```
 */
export function train(agent: Agent, env: VectorEnv | (() => Env), options: TrainOptions): Promise<TrainResult>;
/**
 * Trains every behaviour on a multi-agent env (PettingZoo's Parallel API, see {@link ParallelEnv}) until the
 * behaviours' agents have taken `totalSteps` steps in all: each env agent id acts through the behaviour that
 * `policyMapping` names, in a slot of its agent (an id that appears takes a slot, an id that finishes leaves
 * it), with the same progress, evaluation, abort and checkpoint features. A self-play behaviour
 * (`AgentOptions.selfPlay`) gets both sides of a duel on slots of different teams, and the game results in the
 * env's infos (`infos[id].result`) update its ratings. Called again with the same env, its episodes go on.
 * @example
 * ```ts
 * import { Behaviours, HuntersAndPrey, train } from 'webppo';
 * const env = new HuntersAndPrey({ hunters: 2, prey: 3 });
 * const behaviours = await Behaviours.create({
 *   hunter: { observationSpace: env.observationSpace('hunter_0'), actionSpace: env.actionSpace('hunter_0'), numAgents: 2, ppo: { numSteps: 32 } },
 *   prey: { observationSpace: env.observationSpace('prey_0'), actionSpace: env.actionSpace('prey_0'), numAgents: 3, ppo: { numSteps: 32 } },
 * }, { backend: 'cpu', seed: 1 });
 * const result = await train(behaviours, env, {
 *   totalSteps: 500,
 *   policyMapping: (id) => (id.startsWith('hunter') ? 'hunter' : 'prey'),
 * });
 * console.log(result.steps >= 500); // true
 * behaviours.dispose();
 * ```
 */
export function train<N extends string>(behaviours: Behaviours<N> | Agent, env: ParallelEnv, options: MultiAgentTrainOptions<N>): Promise<MultiAgentTrainResult<N>>;
export function train(target: Agent | Behaviours, env: VectorEnv | (() => Env) | ParallelEnv, options: TrainOptions | MultiAgentTrainOptions): Promise<TrainResult | MultiAgentTrainResult> {
  if (isParallelEnv(env)) return trainMultiAgent(target, env, options as MultiAgentTrainOptions);
  if (target instanceof Behaviours) fail('env', 'a ParallelEnv (Behaviours train on a multi-agent env)', env);
  return trainVector(target, env, options as TrainOptions);
}

async function trainVector(agent: Agent, env: VectorEnv | (() => Env), options: TrainOptions): Promise<TrainResult> {
  checkKeys('options', options, TRAIN_OPTIONS, 'option');
  if (options.progress !== undefined) checkBoolean('progress', options.progress);
  if (options.signal !== undefined && typeof (options.signal as { aborted?: unknown } | null)?.aborted !== 'boolean') fail('signal', 'an AbortSignal', options.signal);
  const totalSteps = checkInteger('totalSteps', options.totalSteps, 1);
  const schedules = options.schedules === undefined ? undefined : validateSchedules(options.schedules);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') fail('onProgress', 'a function', options.onProgress);
  const evaluate = checkEvaluate(options.evaluate, env);
  const overlap = options.overlap === undefined ? trainsOnAnotherThread(agent.options.trainInWorker) : checkBoolean('overlap', options.overlap);
  const venv = isVectorEnv(env) ? env : typeof env === 'function' ? vectorize(env, agent.numAgents) : fail('env', 'a VectorEnv or a factory () => Env', env);
  if (venv.numEnvs !== agent.numAgents) fail('env.numEnvs', `${agent.numAgents} (the agent's numAgents)`, venv.numEnvs);
  validateSpace('env.observationSpace', venv.observationSpace);
  validateSpace('env.actionSpace', venv.actionSpace);
  if (!sameSpace(venv.observationSpace, agent.observationSpace)) fail('env.observationSpace', `the agent's ${JSON.stringify(spaceToJson(agent.observationSpace))}`, spaceToJson(venv.observationSpace));
  if (!sameSpace(venv.actionSpace, agent.actionSpace)) fail('env.actionSpace', `the agent's ${JSON.stringify(spaceToJson(agent.actionSpace))}`, spaceToJson(venv.actionSpace));

  agent.setSchedules(schedules, Math.max(totalSteps, agent.scheduleHorizon ?? 0));
  const emit = options.onProgress ?? (() => {});
  const reporter = options.progress ? new ProgressReporter() : undefined;
  const recent: number[] = [];
  const evaluations: TrainResult['evaluations'] = [];
  const startSteps = agent.steps;
  const started = performance.now();
  const snapshot = () => ({
    steps: agent.steps, totalSteps, startSteps, updates: agent.updates, elapsedMs: performance.now() - started,
    meanReturn: recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : undefined,
  });
  if (agent.backendReport) {
    emit({ type: 'backend', ...agent.backendReport });
    reporter?.note(`backend: ${agent.backendReport.backend} (${agent.backendReport.reason})`);
  }
  const offEpisode = agent.on('episode', (e) => {
    recent.push(e.return);
    if (recent.length > 20) recent.shift();
    emit({ type: 'episode', ...e });
  });
  const offUpdate = agent.on('update', (e) => emit({ type: 'update', ...e }));
  const offDiverged = agent.on('diverged', (e) => emit({ type: 'diverged', ...e }));
  const offRecovered = agent.on('recovered', (e) => emit({ type: 'recovered', ...e }));
  let nextEval = evaluate ? (Math.floor(agent.steps / evaluate.every) + 1) * evaluate.every : Infinity;
  let observation = running.get(venv);
  if (!observation) observation = Float32Array.from(venv.reset({ seed: agent.options.seed }).observation);
  running.delete(venv);
  let aborted = false;
  let failed = false;
  let envSteps = 0;
  let lastYield = performance.now();
  try {
    while (agent.steps < totalSteps) {
      if (performance.now() - lastYield >= YIELD_MS) {
        await nextTurn();
        lastYield = performance.now();
      }
      if (options.signal?.aborted) { aborted = true; break; }
      const actions = agent.act(observation);
      try {
        const out = venv.step(actions);
        checkStep(out, observation.length, venv.numEnvs);
        agent.observe(out.reward, out.terminated, out.truncated, { finalObservations: out.info?.finalObservation });
        observation.set(out.observation);
      } catch (error) {
        failed = true;
        agent.cancelStep();
        throw new EnvError(envName(venv), envSteps, error);
      }
      envSteps++;
      if (agent.rolloutReady) {
        emit({ type: 'rollout', steps: agent.steps, sps: ((agent.steps - startSteps) * 1000) / (performance.now() - started) });
        // Training on another thread, the update runs while the next rollout is collected (at most one in flight;
        // its reply is read here, so every rollout lags exactly one update and the Agent trains it with V-trace).
        // In this thread nothing would overlap, so each batch stays on-policy.
        if (overlap) await agent.whenIdle();
        agent.finishRollout(observation);
        if (!overlap) await agent.whenIdle();
      }
      if (agent.steps >= nextEval && evaluate) {
        const returns = await evaluateAgent(agent, evaluate.env, evaluate.episodes, agent.options.seed + 1_000_003);
        const meanReturn = returns.reduce((a, b) => a + b, 0) / returns.length;
        evaluations.push({ steps: agent.steps, meanReturn });
        emit({ type: 'eval', steps: agent.steps, meanReturn, returns });
        nextEval += evaluate.every;
      }
      reporter?.update(snapshot(), performance.now());
    }
  } finally {
    offEpisode();
    offUpdate();
    offDiverged();
    offRecovered();
    if (!failed) running.set(venv, observation); // a failed env starts over (reset) next time
  }
  await agent.whenIdle();
  const last = snapshot();
  reporter?.done(last, performance.now());
  return { steps: agent.steps, updates: agent.updates, episodes: agent.episodes, meanReturn: last.meanReturn, evaluations, elapsedMs: last.elapsedMs, aborted };
}

/** Returns of `episodes` deterministic episodes (numAgents envs at a time; the agent records nothing). */
export async function evaluateAgent(agent: Agent, factory: () => Env, episodes = 10, seed = 0): Promise<number[]> {
  checkInteger('episodes', episodes, 1);
  const venv = vectorize(factory, agent.numAgents);
  const observation = Float32Array.from(venv.reset({ seed }).observation);
  const totals = new Float64Array(agent.numAgents);
  const returns: number[] = [];
  // Every env runs the same number of episodes, so short episodes are not over-represented.
  const perEnv = Math.ceil(episodes / agent.numAgents);
  const done = new Int32Array(agent.numAgents);
  // Every env starts an episode now, and again after each end (a recurrent policy's predict() memory restarts).
  const episodeStarts = new Uint8Array(agent.numAgents).fill(1);
  while (returns.length < perEnv * agent.numAgents) {
    const out = venv.step(agent.predict(observation, { episodeStarts }));
    for (let e = 0; e < agent.numAgents; e++) {
      totals[e] += out.reward[e];
      episodeStarts[e] = out.terminated[e] || out.truncated[e] ? 1 : 0;
      if (out.terminated[e] || out.truncated[e]) {
        if (done[e] < perEnv) returns.push(totals[e]);
        done[e]++;
        totals[e] = 0;
      }
    }
    observation.set(out.observation);
  }
  venv.close();
  return returns.slice(0, episodes);
}

/**
 * What the agent cannot check itself, before observe(): the next observations (their length; finiteness), and the
 * final observation of every episode that ended, terminated or truncated. observe() reads only truncated ones (to
 * bootstrap), but a broken observation is the env's failure whichever way its episode ended.
 */
function checkStep(out: VectorStepResult, size: number, numEnvs: number): void {
  if (typeof out !== 'object' || out === null) fail('step()', 'an object { observation, reward, terminated, truncated, info }', out);
  const observation = out.observation;
  if (observation?.length !== size) fail('step().observation.length', String(size), observation?.length);
  for (let i = 0; i < size; i++) if (!Number.isFinite(observation[i])) fail(`step().observation[${i}]`, 'a finite number', observation[i]);
  const finals = out.info?.finalObservation;
  if (finals === undefined) return;
  if (finals?.length !== size) fail('step().info.finalObservation.length', String(size), finals?.length);
  const perEnv = size / numEnvs;
  for (let e = 0; e < numEnvs; e++) {
    if (!out.terminated?.[e] && !out.truncated?.[e]) continue; // missing flags are observe()'s to report
    for (let i = e * perEnv; i < (e + 1) * perEnv; i++) {
      if (!Number.isFinite(finals[i])) fail(`step().info.finalObservation[${i}]`, 'a finite number', finals[i]);
    }
  }
}

function checkEvaluate(evaluate: EvaluateOptions | undefined, env: unknown): Required<EvaluateOptions> | undefined {
  if (evaluate === undefined) return undefined;
  checkKeys('evaluate', evaluate, ['every', 'episodes', 'env'], 'option');
  const every = checkInteger('evaluate.every', evaluate.every, 1);
  const episodes = checkInteger('evaluate.episodes', evaluate.episodes === undefined ? 10 : evaluate.episodes, 1);
  const factory = evaluate.env ?? (typeof env === 'function' && !isVectorEnv(env) ? (env as () => Env) : undefined);
  if (typeof factory !== 'function') fail('evaluate.env', 'a factory () => Env (required when training on a VectorEnv)', evaluate.env);
  return { every, episodes, env: factory };
}
