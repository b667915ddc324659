// train() on a multi-agent env (PettingZoo's Parallel API): each env agent id acts through the behaviour the
// policy mapping names, in a slot of that behaviour's agent. An id that appears takes a slot (spawn), an id that
// finishes gives it back (observe() ends its episode, then leave()), so every env step of every id is one
// decision of one slot. Each tick gathers each behaviour's observations into its agent's rows, acts for the
// live slots only, scatters the actions into the env's action record and observes the answers; rollouts are
// finished and trained as the agents fill them, awaiting each update before acting again (on-policy batches).
// Under self-play the two sides of a duel sit on slots of different teams and the env's game results go to the
// agent's ratings. Env failures become an EnvError and leave every agent between ticks.
import type { Agent } from '../agent/agent.js';
import { Behaviours } from '../behaviours/behaviours.js';
import { fail } from '../errors.js';
import { checkParallelEnv, type ParallelEnvChecker } from '../envs/check-parallel.js';
import { EnvError, envName } from '../envs/env-error.js';
import type { EnvAction } from '../envs/env.js';
import type { ParallelEnv, ParallelResetResult, ParallelStepResult } from '../envs/parallel.js';
import { nextTurn } from '../next-turn.js';
import { sameSpace, spaceToJson } from '../policy/checkpoint.js';
import { ProgressReporter } from '../progress.js';
import { evaluateParallel } from './evaluate-parallel.js';
import { Lane } from './lane.js';
import type { GameResult } from '../selfplay/index.js';
import { checkMultiAgentOptions, type MultiAgentTrainOptions, type MultiAgentTrainResult, type PolicyMapping } from './multi-agent-options.js';

/** Work between two yields to the event loop, in ms: about one frame. */
const YIELD_MS = 16;
/** The behaviour name of a single Agent trained on a parallel env. */
const SINGLE = 'agent';
const RESULTS = new Set(['win', 'draw', 'loss']);

/** Where a parallel env stopped, so the next train() with the same agents continues its episodes. */
interface Running {
  target: object;
  lanes: Lane[];
  where: Map<string, { lane: Lane; slot: number }>;
  checker: ParallelEnvChecker;
  resets: number;
}
const running = new WeakMap<ParallelEnv, Running>();

/** Trains every behaviour of `target` on `env`; see `train()`. */
export async function trainMultiAgent<N extends string>(target: Behaviours<N> | Agent, env: ParallelEnv, options: MultiAgentTrainOptions<N>): Promise<MultiAgentTrainResult<N>> {
  const o = checkMultiAgentOptions(options);
  const state = running.get(env)?.target === target ? running.get(env)! : start(target, env, o.mapping);
  running.delete(env);
  const lanes = state.lanes as Lane<N>[];
  const where = state.where as Map<string, { lane: Lane<N>; slot: number }>;
  const laneOf = laneMap(env, lanes, o.mapping);
  const teamOf = teams(env, laneOf);
  const steps = () => lanes.reduce((sum, lane) => sum + lane.agent.steps, 0);
  const seed = lanes[0].agent.options.seed;
  const reporter = o.progress ? new ProgressReporter() : undefined;
  const recent = new Map(lanes.map((lane) => [lane.name, [] as number[]]));
  const evaluations: MultiAgentTrainResult<N>['evaluations'] = [];
  const startSteps = steps();
  const started = performance.now();
  const offs: (() => void)[] = [];
  const budgets = lanes.map((lane) => lane.agent.frameBudgetMs);
  for (const lane of lanes) {
    const { agent, name: behaviour } = lane;
    // Headless, each update runs whole: nothing else wants the thread between its slices.
    agent.frameBudgetMs = 0;
    offs.push(agent.on('episode', (e) => {
      const list = recent.get(behaviour)!;
      list.push(e.return);
      if (list.length > 20) list.shift();
      o.emit({ type: 'episode', behaviour, ...e });
    }));
    offs.push(agent.on('update', (e) => o.emit({ type: 'update', behaviour, ...e })));
    offs.push(agent.on('diverged', (e) => o.emit({ type: 'diverged', behaviour, ...e })));
    offs.push(agent.on('recovered', (e) => o.emit({ type: 'recovered', behaviour, ...e })));
  }
  const meanReturns = () => {
    const out: Partial<Record<N, number>> = {};
    for (const [name, list] of recent) if (list.length > 0) out[name] = list.reduce((a, b) => a + b, 0) / list.length;
    return out;
  };
  const snapshot = () => ({
    steps: steps(), totalSteps: o.totalSteps, startSteps, elapsedMs: performance.now() - started,
    updates: lanes.reduce((sum, lane) => sum + lane.agent.updates, 0), meanReturn: Object.values<number | undefined>(meanReturns())[0],
  });
  const next = (every: number | undefined) => (every === undefined ? Infinity : (Math.floor(steps() / every) + 1) * every);
  let nextEval = next(o.evaluate?.every);
  let nextCheckpoint = next(o.checkpoint?.every);
  let aborted = false;
  let failed = false;
  let envSteps = 0;
  let lastYield = performance.now();
  const idle = () => Promise.all(lanes.map((lane) => lane.agent.whenIdle()));
  try {
    while (steps() < o.totalSteps) {
      if (performance.now() - lastYield >= YIELD_MS) {
        await nextTurn();
        lastYield = performance.now();
      }
      if (o.signal?.aborted) { aborted = true; break; }
      if (env.agents.length === 0 || where.size === 0) reset(env, state, laneOf, teamOf, seed);
      const acted = [...env.agents];
      const actions: Record<string, EnvAction> = {};
      for (const lane of lanes) lane.decide.fill(0);
      for (const id of acted) {
        const { lane, slot } = where.get(id)!;
        lane.decide[slot] = 1;
      }
      for (const lane of lanes) {
        lane.acted = lane.decide.includes(1);
        if (!lane.acted) continue;
        const out = lane.agent.act(lane.observations, { decide: lane.decide });
        for (let slot = 0; slot < lane.ids.length; slot++) if (lane.decide[slot] === 1) actions[lane.ids[slot]!] = lane.action(out, slot);
      }
      let out: ParallelStepResult;
      try {
        out = env.step(actions);
        state.checker.checkStep(acted, out);
      } catch (error) {
        failed = true;
        for (const lane of lanes) if (lane.acted) lane.agent.cancelStep();
        throw error instanceof EnvError ? error : new EnvError(envName(env), envSteps, error);
      }
      envSteps++;
      scatter(acted, out, where);
      for (const lane of lanes) if (lane.acted) lane.agent.observe(lane.rewards, lane.terminated, lane.truncated, { finalObservations: lane.finals });
      reportResults(acted, out, where);
      for (const id of acted) {
        if (!out.terminations[id] && !out.truncations[id]) continue;
        const { lane, slot } = where.get(id)!;
        lane.release(slot);
        where.delete(id);
      }
      for (const id of env.agents) if (!where.has(id)) enter(id, out.observations[id], laneOf, teamOf, where);
      for (const lane of lanes) {
        if (!lane.agent.rolloutReady) continue;
        o.emit({ type: 'rollout', behaviour: lane.name, steps: steps(), sps: ((steps() - startSteps) * 1000) / (performance.now() - started) });
        lane.agent.finishRollout(lane.observations);
      }
      // A rollout can also fill when an agent leaves: either way, each update finishes before the next act().
      if (lanes.some((lane) => lane.agent.pendingUpdates > 0)) await idle();
      if (steps() >= nextEval && o.evaluate) {
        const result = evaluateParallel(lanes, laneOf, o.evaluate.env, o.evaluate.episodes, seed + 1_000_003);
        evaluations.push({ steps: steps(), meanReturns: result });
        o.emit({ type: 'eval', steps: steps(), meanReturns: result });
        nextEval = next(o.evaluate.every);
      }
      if (steps() >= nextCheckpoint && o.checkpoint) {
        const bytes = await target.save();
        await o.checkpoint.save(bytes, steps());
        o.emit({ type: 'checkpoint', steps: steps(), bytes: bytes.length });
        nextCheckpoint = next(o.checkpoint.every);
      }
      reporter?.update(snapshot(), performance.now());
    }
  } finally {
    for (const off of offs) off();
    lanes.forEach((lane, i) => { lane.agent.frameBudgetMs = budgets[i]; });
    if (!failed) running.set(env, state); // a failed env starts over (reset) next time
  }
  await idle();
  const last = snapshot();
  reporter?.done(last, performance.now());
  return {
    steps: last.steps, updates: last.updates, episodes: lanes.reduce((sum, lane) => sum + lane.agent.episodes, 0), envSteps,
    meanReturns: meanReturns(), evaluations, elapsedMs: last.elapsedMs, aborted,
  };
}

/**
 * A fresh start on this env: one lane per behaviour, and every slot the agents hold from before (a loaded
 * checkpoint, an earlier game) leaves, truncated: the env's episodes start anew with a reset.
 */
function start(target: Behaviours | Agent, env: ParallelEnv, mapping: PolicyMapping | undefined): Running {
  const checker = checkParallelEnv(env);
  const lanes: Lane[] = [];
  if (target instanceof Behaviours) {
    if (mapping === undefined) fail('policyMapping', 'a function (id) => behaviour name, or an object keyed by agent id (required with Behaviours)', mapping);
    target.forEach((agent, name) => lanes.push(new Lane(name, agent)));
  } else if (typeof target === 'object' && target !== null && typeof (target as Agent).act === 'function') {
    lanes.push(new Lane(SINGLE, target as Agent));
  } else {
    fail('agent', 'an Agent or a Behaviours container', target);
  }
  for (const lane of lanes) {
    const alive = lane.agent.alive;
    for (let slot = 0; slot < alive.length; slot++) if (alive[slot] === 1) lane.agent.leave(slot, { truncated: true });
  }
  return { target, lanes, where: new Map(), checker, resets: 0 };
}

/** Each env id's lane, checked: a known behaviour whose spaces are the id's, with a slot for each of its ids. */
function laneMap<N extends string>(env: ParallelEnv, lanes: readonly Lane<N>[], mapping: PolicyMapping<N> | undefined): Map<string, Lane<N>> {
  const byName = new Map(lanes.map((lane) => [lane.name as string, lane]));
  const laneOf = new Map<string, Lane<N>>();
  const count = new Map<Lane<N>, number>();
  for (const id of env.possibleAgents) {
    const name = lanes.length === 1 && mapping === undefined ? lanes[0].name : typeof mapping === 'function' ? mapping(id) : mapping?.[id];
    const lane = byName.get(name as string);
    if (lane === undefined) fail(`policyMapping('${id}')`, `one of ${[...byName.keys()].map((n) => JSON.stringify(n)).join(', ')}`, name);
    const agent = lane.agent;
    if (!sameSpace(env.observationSpace(id), agent.observationSpace)) fail(`env.observationSpace('${id}')`, `behaviour ${lane.name}'s ${JSON.stringify(spaceToJson(agent.observationSpace))}`, spaceToJson(env.observationSpace(id)));
    if (!sameSpace(env.actionSpace(id), agent.actionSpace)) fail(`env.actionSpace('${id}')`, `behaviour ${lane.name}'s ${JSON.stringify(spaceToJson(agent.actionSpace))}`, spaceToJson(env.actionSpace(id)));
    laneOf.set(id, lane);
    count.set(lane, (count.get(lane) ?? 0) + 1);
  }
  for (const [lane, ids] of count) {
    if (ids > lane.agent.numAgents) fail(`behaviours.${lane.name}.numAgents`, `at least ${ids} (the env's ids mapped to it)`, lane.agent.numAgents);
  }
  return laneOf;
}

/**
 * Under self-play, each id's team: the ids of a self-play behaviour, in `possibleAgents` order, take teams 0, 1,
 * ... in turn (a duel's 'left' and 'right' play for different teams).
 */
function teams(env: ParallelEnv, laneOf: ReadonlyMap<string, Lane>): Map<string, number> {
  const teamOf = new Map<string, number>();
  const seen = new Map<Lane, number>();
  for (const id of env.possibleAgents) {
    const lane = laneOf.get(id)!;
    if (lane.teams === undefined) continue;
    const k = seen.get(lane) ?? 0;
    teamOf.set(id, k % lane.teams);
    seen.set(lane, k + 1);
  }
  return teamOf;
}

/** Starts a new env episode (seeded per reset) and places its first agents. */
function reset(env: ParallelEnv, state: Running, laneOf: ReadonlyMap<string, Lane>, teamOf: ReadonlyMap<string, number>, seed: number): void {
  for (const [id, { lane, slot }] of state.where) {
    // Ids still in a slot when the env starts over: their episodes end here, cut short.
    lane.agent.leave(slot, { truncated: true });
    lane.ids[slot] = undefined;
    state.where.delete(id);
  }
  let result: ParallelResetResult;
  try {
    result = env.reset({ seed: seed + state.resets++ });
    state.checker.checkReset(result);
  } catch (error) {
    throw error instanceof EnvError ? error : new EnvError(envName(env), 0, error);
  }
  for (const id of env.agents) enter(id, result.observations[id], laneOf, teamOf, state.where);
}

/** Places an id that just appeared in a slot of its behaviour. */
function enter(id: string, observation: ArrayLike<number>, laneOf: ReadonlyMap<string, Lane>, teamOf: ReadonlyMap<string, number>, where: Map<string, { lane: Lane; slot: number }>): void {
  const lane = laneOf.get(id)!;
  where.set(id, { lane, slot: lane.place(id, observation, teamOf.get(id)) });
}

/** The env's answer into each lane's rows: rewards, flags, next (or final) observations. */
function scatter(acted: readonly string[], out: ParallelStepResult, where: ReadonlyMap<string, { lane: Lane; slot: number }>): void {
  for (const id of acted) {
    const { lane, slot } = where.get(id)!;
    const terminated = out.terminations[id], truncated = out.truncations[id] && !terminated;
    lane.rewards[slot] = out.rewards[id];
    lane.terminated[slot] = terminated ? 1 : 0;
    lane.truncated[slot] = truncated ? 1 : 0;
    if (truncated) lane.write(lane.finals, slot, out.observations[id]);
    else if (!terminated) lane.write(lane.observations, slot, out.observations[id]);
  }
}

/**
 * Game results in the env's infos (`infos[id].result`: 'win', 'draw' or 'loss' from that id's view) go to the
 * self-play ratings, once per game: from the id on the learning team.
 */
function reportResults(acted: readonly string[], out: ParallelStepResult, where: ReadonlyMap<string, { lane: Lane; slot: number }>): void {
  for (const id of acted) {
    const { lane, slot } = where.get(id)!;
    if (lane.teams === undefined) continue;
    const result = (out.infos?.[id] as { result?: unknown } | undefined)?.result;
    if (typeof result !== 'string' || !RESULTS.has(result)) continue;
    const team = slot % lane.teams;
    if (team === lane.agent.selfPlay?.learningTeam) lane.agent.reportResult(team, result as GameResult);
  }
}
