// One shape for every env serve-env accepts: a batch of rows written straight into the reply frame's views.
// A Gymnasium-style VectorEnv (or Env, vectorized) gives one row per env with same-step autoreset; a
// PettingZoo-style ParallelEnv gives one row per possible agent, `alive` marking those still playing.
import { fail } from '../../errors.js';
import { spaceToJson } from '../../policy/checkpoint.js';
import { actionSize, flatSize, type Space } from '../../spaces.js';
import type { VectorEnv } from '../../envs/env.js';
import type { AgentAction, ParallelEnv } from './parallel.js';
import { type EnvSpec, PROTOCOL_VERSION } from './protocol.js';

/** Views over one reply frame. */
export interface BatchViews {
  observation: Float32Array;
  reward: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  alive: Uint8Array;
  finalObservation: Float32Array;
}

export interface BatchedEnv {
  readonly spec: EnvSpec;
  reset(seed: number | undefined, out: BatchViews): void;
  /** Steps every row; returns whether final observations were written (same-step autoreset). */
  step(actions: Int32Array | Float32Array, out: BatchViews): boolean;
  close(): void;
}

function specOf(kind: EnvSpec['kind'], rows: number, observationSpace: Space, actionSpace: Space, agents?: string[]): EnvSpec {
  return {
    version: PROTOCOL_VERSION, kind, rows, agents,
    observationSize: flatSize(observationSpace), actionSize: actionSize(actionSpace),
    observationSpace: spaceToJson(observationSpace), actionSpace: spaceToJson(actionSpace),
    autoreset: kind === 'vector' ? 'same-step' : 'none',
  };
}

/** Checks every action before any env moves, so a bad batch changes nothing. */
export function checkActions(space: Space, actions: Int32Array | Float32Array, rows: number): void {
  const per = actionSize(space);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < per; k++) {
      const a = actions[r * per + k];
      if (space.kind === 'box') {
        if (!Number.isFinite(a)) fail(`actions[row ${r}, ${k}]`, 'a finite number', a);
      } else {
        const n = space.kind === 'discrete' ? space.n : space.nvec[k];
        if (!(a >= 0 && a < n)) fail(`actions[row ${r}, ${k}]`, `an integer in [0, ${n - 1}]`, a);
      }
    }
  }
}

export function batchVector(env: VectorEnv): BatchedEnv {
  const spec = specOf('vector', env.numEnvs, env.observationSpace, env.actionSpace);
  return {
    spec,
    reset(seed, out) {
      out.observation.set(env.reset(seed === undefined ? {} : { seed }).observation);
      out.reward.fill(0);
      out.terminated.fill(0);
      out.truncated.fill(0);
      out.alive.fill(1);
    },
    step(actions, out) {
      checkActions(env.actionSpace, actions, spec.rows);
      const result = env.step(actions);
      out.observation.set(result.observation);
      out.reward.set(result.reward);
      out.terminated.set(result.terminated);
      out.truncated.set(result.truncated);
      const finals = result.info.finalObservation;
      if (finals) out.finalObservation.set(finals);
      return finals !== undefined;
    },
    close: () => env.close?.(),
  };
}

export function batchParallel(env: ParallelEnv): BatchedEnv {
  const ids = [...env.possibleAgents];
  if (ids.length === 0) fail('env.possibleAgents', 'at least one agent', ids);
  const observationSpace = env.observationSpace(ids[0]);
  const actionSpace = env.actionSpace(ids[0]);
  for (const id of ids) {
    if (JSON.stringify(spaceToJson(env.observationSpace(id))) !== JSON.stringify(spaceToJson(observationSpace))) fail(`env.observationSpace(${JSON.stringify(id)})`, `the same space as agent ${JSON.stringify(ids[0])}`, 'a different space');
    if (JSON.stringify(spaceToJson(env.actionSpace(id))) !== JSON.stringify(spaceToJson(actionSpace))) fail(`env.actionSpace(${JSON.stringify(id)})`, `the same space as agent ${JSON.stringify(ids[0])}`, 'a different space');
  }
  const spec = specOf('parallel', ids.length, observationSpace, actionSpace, ids);
  const size = spec.observationSize;
  const per = spec.actionSize;
  // One reusable action per agent and one reusable actions object: no allocation per step.
  const holders = ids.map(() => (actionSpace.kind === 'box' ? new Float32Array(per) : new Int32Array(per)));
  const actionsByAgent: Record<string, AgentAction> = {};
  const writeObservations = (observations: Record<string, ArrayLike<number>>, out: BatchViews) => {
    out.observation.fill(0);
    ids.forEach((id, r) => {
      const o = observations[id];
      if (o === undefined) return;
      if (o.length !== size) fail(`observations[${JSON.stringify(id)}].length`, String(size), o.length);
      for (let k = 0; k < size; k++) out.observation[r * size + k] = o[k];
    });
    const alive = new Set(env.agents);
    ids.forEach((id, r) => { out.alive[r] = alive.has(id) ? 1 : 0; });
  };
  return {
    spec,
    reset(seed, out) {
      writeObservations(env.reset(seed === undefined ? {} : { seed }).observations, out);
      out.reward.fill(0);
      out.terminated.fill(0);
      out.truncated.fill(0);
    },
    step(actions, out) {
      checkActions(actionSpace, actions, spec.rows);
      const alive = new Set(env.agents);
      if (alive.size === 0) fail('step', 'reset() first (every agent is done)', 'a step after the episode ended');
      ids.forEach((id, r) => {
        if (!alive.has(id)) { delete actionsByAgent[id]; return; }
        if (actionSpace.kind === 'discrete') actionsByAgent[id] = actions[r];
        else { holders[r].set(actions.subarray(r * per, (r + 1) * per)); actionsByAgent[id] = holders[r]; }
      });
      const result = env.step(actionsByAgent);
      writeObservations(result.observations, out);
      ids.forEach((id, r) => {
        out.reward[r] = result.rewards[id] ?? 0;
        out.terminated[r] = result.terminations[id] ? 1 : 0;
        out.truncated[r] = result.truncations[id] ? 1 : 0;
      });
      return false;
    },
    close: () => env.close?.(),
  };
}
