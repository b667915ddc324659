// PettingZoo's Parallel API in camelCase: the multi-agent env contract of webppo. Every live agent acts at
// once; every answer is a plain object keyed by agent id. Envs written outside webppo only need these members
// (plain objects work, no base class).
import type { Space } from '../spaces.js';
import type { EnvAction, Info } from './env.js';

/** What `ParallelEnv.reset` returns: the first observation of every agent in `agents`. */
export interface ParallelResetResult<Id extends string = string> {
  /** One observation per live agent (observation-space-size numbers each). */
  observations: Record<Id, ArrayLike<number>>;
  /** Extra information per agent (free-form; may be empty). */
  infos: Partial<Record<Id, Info>>;
}

/**
 * What `ParallelEnv.step` returns. Agents that acted get a reward, a termination and a truncation flag and an
 * observation (their final one when they leave); agents that spawned in this step appear in `agents` and get an
 * observation (their first).
 */
export interface ParallelStepResult<Id extends string = string> {
  /** One observation per agent that acted and per agent that just spawned. */
  observations: Record<Id, ArrayLike<number>>;
  /** The reward of each agent that acted. */
  rewards: Record<Id, number>;
  /** Agents whose episode ended in a terminal state (no bootstrap); they leave `agents`. */
  terminations: Record<Id, boolean>;
  /** Agents whose episode was cut short (a time limit): they bootstrap from their final observation and leave `agents`. */
  truncations: Record<Id, boolean>;
  /** Extra information per agent (free-form, e.g. a game result); may be empty. */
  infos: Partial<Record<Id, Info>>;
}

/**
 * A multi-agent environment following PettingZoo's Parallel API in camelCase. `agents` lists the live agents:
 * it shrinks as agents terminate or are truncated and may grow as agents spawn. Any object with these members
 * works (a class is not required); {@link checkParallelEnv} checks one.
 * @example
 * ```ts
 * import { PaddleDuel } from 'webppo';
 * const env = new PaddleDuel();
 * let { observations } = env.reset({ seed: 1 });
 * while (env.agents.length > 0) {
 *   const actions = Object.fromEntries(env.agents.map((id) => [id, 1]));
 *   ({ observations } = env.step(actions));
 * }
 * ```
 */
export interface ParallelEnv<Id extends string = string> {
  /** Every agent id the env can ever have, in a fixed order. */
  readonly possibleAgents: readonly Id[];
  /** The live agents: those that act in the next `step`. */
  readonly agents: readonly Id[];
  /** What agent `id` observes. */
  observationSpace(id: Id): Space;
  /** What agent `id` may do. */
  actionSpace(id: Id): Space;
  /** Starts a new episode; `seed` makes it reproducible. */
  reset(options?: { seed?: number }): ParallelResetResult<Id>;
  /** One action per live agent: an index (Discrete), or one entry per branch / dimension. */
  step(actions: Partial<Record<Id, EnvAction>>): ParallelStepResult<Id>;
  /** Releases resources, when the env holds any. */
  close?(): void;
}

/** Whether `value` looks like a {@link ParallelEnv}: an array `possibleAgents` and functions `observationSpace` and `step`. */
export function isParallelEnv(value: unknown): value is ParallelEnv {
  const env = value as ParallelEnv | null;
  return typeof env === 'object' && env !== null && Array.isArray(env.possibleAgents)
    && typeof env.observationSpace === 'function' && typeof env.step === 'function';
}
