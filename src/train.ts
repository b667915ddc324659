// train(): the headless loop. Steps a vector of envs with the agent, awaiting each update before acting
// again (synchronous updates: the batch is always on-policy and nothing runs in parallel, which is faster
// here than double buffering), with schedules, periodic deterministic evaluation, progress events, a progress
// bar and an AbortSignal that stops cleanly between steps.
import type { Agent, EpisodeEvent, UpdateEvent } from './agent.js';
import type { BackendReport } from './backend/index.js';
import { checkInteger, fail } from './errors.js';
import { type Env, isVectorEnv, type VectorEnv } from './envs/env.js';
import { vectorize } from './envs/vector.js';
import { sameSpace } from './policy/checkpoint.js';
import { ProgressReporter } from './progress.js';
import { type Schedules, validateSchedules } from './schedule.js';

export type ProgressEvent =
  | { type: 'rollout'; steps: number; sps: number }
  | ({ type: 'update' } & UpdateEvent)
  | ({ type: 'episode' } & EpisodeEvent)
  | { type: 'eval'; steps: number; meanReturn: number; returns: number[] }
  /** Once at the start, when backend 'auto' chose the agent's backend: which, and the update times it measured. */
  | ({ type: 'backend' } & BackendReport);

export interface EvaluateOptions {
  /** Evaluate every this many agent steps. */
  every: number;
  /** Deterministic episodes per evaluation. Default 10. */
  episodes?: number;
  /** The env to evaluate on; default: the training env's factory (required when training on a VectorEnv). */
  env?: () => Env;
}

export interface TrainOptions {
  /** Train until the agent has taken this many steps in all (a loaded agent continues where it stopped). */
  totalSteps: number;
  schedules?: Schedules;
  evaluate?: EvaluateOptions;
  onProgress?: (event: ProgressEvent) => void;
  /** A progress bar on a TTY, plain lines otherwise. Default false. */
  progress?: boolean;
  signal?: AbortSignal;
}

export interface TrainResult {
  steps: number;
  updates: number;
  episodes: number;
  /** Mean return of the last (up to) 20 finished training episodes. */
  meanReturn: number | undefined;
  evaluations: { steps: number; meanReturn: number }[];
  elapsedMs: number;
  aborted: boolean;
}

/** Observations where each VectorEnv passed to train() stopped, so the next call continues its episodes. */
const running = new WeakMap<VectorEnv, Float32Array>();

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
