// train(): the headless loop. Steps a vector of envs with the agent, awaiting each update before acting
// again (synchronous updates: the batch is always on-policy and nothing runs in parallel, which is faster
// here than double buffering), with schedules, periodic deterministic evaluation, progress events, a progress
// bar and an AbortSignal that stops cleanly between steps.
import type { Agent, EpisodeEvent, UpdateEvent } from './agent.js';
import { checkInteger, fail } from './errors.js';
import { type Env, isVectorEnv, type VectorEnv } from './envs/env.js';
import { vectorize } from './envs/vector.js';
import { sameSpace } from './policy/checkpoint.js';
import { ProgressReporter } from './progress.js';
import { type Schedules, validateSchedules } from './schedule.js';

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
  | { type: 'eval'; steps: number; meanReturn: number; returns: number[] };

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
  /** Train until the agent has taken this many steps in all (a loaded agent continues where it stopped). */
  totalSteps: number;
  /**
   * Schedules over this run's `totalSteps` (they replace the agent's own).
   * @default none: hyperparameters as configured, learning rate annealed over totalSteps
   */
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
  /** Aborting it stops training between steps, with the agent intact (`aborted` is then true). */
  signal?: AbortSignal;
}

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

/**
 * Trains an agent headless until it has taken `totalSteps` steps: steps `numAgents` envs (a factory is
 * vectorized with autoreset, or pass a {@link VectorEnv}), and awaits each update before acting again, so every
 * batch is on-policy. Resolves after the last update; the agent keeps training where it stopped if called again.
 * @example
 * ```ts
 * import { init, Agent, makeEnv, train } from 'webppo';
 * await init();
 * const env = () => makeEnv('CartPole-v1');
 * const probe = env();
 * const agent = await Agent.create({ observationSpace: probe.observationSpace, actionSpace: probe.actionSpace, numAgents: 4 });
 * const result = await train(agent, env, { totalSteps: 2048 });
 * console.log(result.steps, result.meanReturn);
 * ```
 */
export async function train(agent: Agent, env: VectorEnv | (() => Env), options: TrainOptions): Promise<TrainResult> {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
  const totalSteps = checkInteger('totalSteps', options.totalSteps, 1);
  const schedules = validateSchedules(options.schedules);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') fail('onProgress', 'a function', options.onProgress);
  const evaluate = checkEvaluate(options.evaluate, env);
  const venv = isVectorEnv(env) ? env : typeof env === 'function' ? vectorize(env, agent.numAgents) : fail('env', 'a VectorEnv or a factory () => Env', env);
  if (venv.numEnvs !== agent.numAgents) fail('env.numEnvs', `${agent.numAgents} (the agent's numAgents)`, venv.numEnvs);
  if (!sameSpace(venv.observationSpace, agent.observationSpace)) fail('env.observationSpace', JSON.stringify(agent.observationSpace), venv.observationSpace);
  if (!sameSpace(venv.actionSpace, agent.actionSpace)) fail('env.actionSpace', JSON.stringify(agent.actionSpace), venv.actionSpace);

  agent.setSchedules(schedules, totalSteps);
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
  const offEpisode = agent.on('episode', (e) => {
    recent.push(e.return);
    if (recent.length > 20) recent.shift();
    emit({ type: 'episode', ...e });
  });
  const offUpdate = agent.on('update', (e) => emit({ type: 'update', ...e }));
  let nextEval = evaluate ? (Math.floor(agent.steps / evaluate.every) + 1) * evaluate.every : Infinity;
  let observation = running.get(venv);
  if (!observation) observation = Float32Array.from(venv.reset({ seed: agent.options.seed }).observation);
  running.delete(venv);
  let aborted = false;
  try {
    while (agent.steps < totalSteps) {
      if (options.signal?.aborted) { aborted = true; break; }
      const actions = agent.act(observation);
      const out = venv.step(actions);
      agent.observe(out.reward, out.terminated, out.truncated, { finalObservations: out.info.finalObservation });
      observation.set(out.observation);
      if (agent.rolloutReady) {
        emit({ type: 'rollout', steps: agent.steps, sps: ((agent.steps - startSteps) * 1000) / (performance.now() - started) });
        agent.finishRollout(observation);
        await agent.whenIdle();
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
    running.set(venv, observation);
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
  while (returns.length < perEnv * agent.numAgents) {
    const out = venv.step(agent.predict(observation));
    for (let e = 0; e < agent.numAgents; e++) {
      totals[e] += out.reward[e];
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

function checkEvaluate(evaluate: EvaluateOptions | undefined, env: unknown): Required<EvaluateOptions> | undefined {
  if (evaluate === undefined) return undefined;
  if (typeof evaluate !== 'object' || evaluate === null) fail('evaluate', 'an object', evaluate);
  const every = checkInteger('evaluate.every', evaluate.every, 1);
  const episodes = checkInteger('evaluate.episodes', evaluate.episodes ?? 10, 1);
  const factory = evaluate.env ?? (typeof env === 'function' && !isVectorEnv(env) ? (env as () => Env) : undefined);
  if (typeof factory !== 'function') fail('evaluate.env', 'a factory () => Env (required when training on a VectorEnv)', evaluate.env);
  return { every, episodes, env: factory };
}
