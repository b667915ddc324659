// Checks a PettingZoo-style parallel env and each of its answers before an agent takes them: a bad answer
// becomes an EnvError whose cause (a ValidationError) names the agent id, the field, the expected and the
// actual value, so the env's author sees which agent and which field is wrong, not a NaN three updates later.
import { ValidationError } from '../errors.js';
import { flatSize, validateSpace } from '../spaces.js';
import { EnvError, envName } from './env-error.js';
import type { ParallelEnv, ParallelResetResult, ParallelStepResult } from './parallel.js';

const STEP_FIELDS = ['observations', 'rewards', 'terminations', 'truncations', 'infos'] as const;
const RESET_FIELDS = ['observations', 'infos'] as const;

/** Checks a parallel env's answers for the agent ids it declared; made by {@link checkParallelEnv}. */
export interface ParallelEnvChecker<Id extends string = string> {
  /** Observation floats per agent id (the flat size of its observation space). */
  readonly observationSizes: ReadonlyMap<Id, number>;
  /** Checks what `reset()` returned and the `agents` it left (at least one, each with an observation). */
  checkReset(result: ParallelResetResult<Id>): void;
  /**
   * Checks what `step()` returned: `acted` are the agents that were live before the step (they need an
   * observation, a finite reward and boolean flags); the env's `agents` after the step must hold exactly the
   * acted agents that did not finish, plus any that spawned (each with an observation).
   */
  checkStep(acted: readonly Id[], result: ParallelStepResult<Id>): void;
}

/**
 * Checks that `env` is a usable {@link ParallelEnv} (members, unique `possibleAgents`, a valid observation and
 * action space for each id) and returns a checker for its answers. Every problem throws an `EnvError` whose
 * `agent` is the id to blame and whose cause is a `ValidationError` naming the field, the expected and the
 * actual value. The checker counts steps since the last reset, which each error reports as `step`.
 * @example
 * ```ts
 * import { checkParallelEnv, HuntersAndPrey } from 'webppo';
 * const env = new HuntersAndPrey();
 * const checker = checkParallelEnv(env);
 * checker.checkReset(env.reset({ seed: 1 }));
 * const acted = [...env.agents];
 * checker.checkStep(acted, env.step(Object.fromEntries(acted.map((id) => [id, 0]))));
 * ```
 */
export function checkParallelEnv<Id extends string>(env: ParallelEnv<Id>): ParallelEnvChecker<Id> {
  let name = 'without a name';
  let steps = 0;
  function reject(field: string, expected: string, actual: unknown, agent?: string): never {
    throw new EnvError(name, steps, new ValidationError(field, expected, actual), agent);
  }
  if (typeof env !== 'object' || env === null) reject('env', 'a parallel env (possibleAgents, agents, observationSpace, actionSpace, reset, step)', env);
  name = envName(env);
  for (const method of ['observationSpace', 'actionSpace', 'reset', 'step'] as const) {
    if (typeof env[method] !== 'function') reject(`env.${method}`, 'a function', env[method]);
  }
  if (env.close !== undefined && typeof env.close !== 'function') reject('env.close', 'a function or undefined', env.close);
  const possible = env.possibleAgents;
  if (!Array.isArray(possible) || possible.length === 0) reject('env.possibleAgents', 'a non-empty array of agent ids', possible);
  const known = new Set<string>();
  const observationSizes = new Map<Id, number>();
  for (const [i, id] of (possible as readonly Id[]).entries()) {
    if (typeof id !== 'string' || id === '') reject(`env.possibleAgents[${i}]`, 'a non-empty string', id);
    if (known.has(id)) reject(`env.possibleAgents[${i}]`, 'an id not listed before', id, id);
    known.add(id);
    const space = (method: 'observationSpace' | 'actionSpace') => {
      try {
        return validateSpace(`env.${method}('${id}')`, env[method](id));
      } catch (error) {
        throw new EnvError(name, steps, error, id);
      }
    };
    observationSizes.set(id, flatSize(space('observationSpace')));
    space('actionSpace');
  }
  const quoted = (id: string) => `'${id}'`;
  const record = (call: string, result: object, field: string): Record<string, unknown> => {
    const value = (result as Record<string, unknown>)[field];
    if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
      reject(`${call}.${field}`, 'an object keyed by agent id', value);
    }
    for (const key of Object.keys(value as object)) {
      if (!known.has(key)) reject(`${call}.${field}[${quoted(key)}]`, `an id from possibleAgents (${possible.join(', ')})`, key, key);
    }
    return value as Record<string, unknown>;
  };
  const answer = (call: string, result: unknown, fields: readonly string[]): Record<string, Record<string, unknown>> => {
    if (typeof result !== 'object' || result === null) reject(call, `an object { ${fields.join(', ')} }`, result);
    return Object.fromEntries(fields.map((f) => [f, record(call, result as object, f)]));
  };
  const observation = (call: string, observations: Record<string, unknown>, id: Id) => {
    const field = `${call}.observations[${quoted(id)}]`;
    const value = observations[id] as ArrayLike<number> | undefined;
    const size = observationSizes.get(id) as number;
    if (typeof value !== 'object' || value === null || typeof value.length !== 'number') {
      reject(field, `an array of ${size} numbers`, value, id);
    }
    if (value.length !== size) reject(`${field}.length`, String(size), value.length, id);
    for (let k = 0; k < size; k++) {
      if (typeof value[k] !== 'number' || !Number.isFinite(value[k])) reject(`${field}[${k}]`, 'a finite number', value[k], id);
    }
  };
  const liveAgents = (call: string): readonly Id[] => {
    const agents = env.agents;
    if (!Array.isArray(agents)) reject(`env.agents after ${call}`, 'an array of agent ids', agents);
    const seen = new Set<string>();
    for (const [i, id] of agents.entries()) {
      if (!known.has(id)) reject(`env.agents[${i}] after ${call}`, `an id from possibleAgents (${possible.join(', ')})`, id, typeof id === 'string' ? id : undefined);
      if (seen.has(id)) reject(`env.agents[${i}] after ${call}`, 'an id not listed before', id, id);
      seen.add(id);
    }
    return agents;
  };

  return {
    observationSizes,
    checkReset(result) {
      steps = 0;
      const { observations } = answer('reset()', result, RESET_FIELDS);
      const agents = liveAgents('reset()');
      if (agents.length === 0) reject('env.agents after reset()', 'at least one live agent', '[]');
      for (const id of agents) observation('reset()', observations, id);
    },
    checkStep(acted, result) {
      const { observations, rewards, terminations, truncations } = answer('step()', result, STEP_FIELDS);
      const actedSet = new Set<string>(acted);
      for (const id of acted) {
        observation('step()', observations, id);
        const reward = rewards[id];
        if (typeof reward !== 'number' || !Number.isFinite(reward)) reject(`step().rewards[${quoted(id)}]`, 'a finite number', reward, id);
        if (typeof terminations[id] !== 'boolean') reject(`step().terminations[${quoted(id)}]`, 'a boolean', terminations[id], id);
        if (typeof truncations[id] !== 'boolean') reject(`step().truncations[${quoted(id)}]`, 'a boolean', truncations[id], id);
      }
      for (const [id, reward] of Object.entries(rewards)) {
        if (!actedSet.has(id) && (typeof reward !== 'number' || !Number.isFinite(reward))) reject(`step().rewards[${quoted(id)}]`, 'a finite number', reward, id);
      }
      const agents = liveAgents('step()');
      const live = new Set<string>(agents);
      for (const id of acted) {
        const finished = terminations[id] === true || truncations[id] === true;
        if (finished && live.has(id)) reject(`env.agents after step()`, `no ${quoted(id)} (it was ${terminations[id] ? 'terminated' : 'truncated'} in this step)`, `[${agents.join(', ')}]`, id);
        if (!finished && !live.has(id)) reject(`env.agents after step()`, `${quoted(id)} (it left without being terminated or truncated)`, `[${agents.join(', ')}]`, id);
      }
      for (const id of agents) if (!actedSet.has(id)) observation('step()', observations, id);
      steps++;
    },
  };
}
