// Deterministic evaluation of every behaviour on a fresh multi-agent env: predict() only, so the agents record
// nothing and their slots, staging and rollouts are untouched.
import { EnvError, envName } from '../envs/env-error.js';
import type { EnvAction } from '../envs/env.js';
import { checkParallelEnv } from '../envs/check-parallel.js';
import { fail } from '../errors.js';
import type { ParallelEnv } from '../envs/parallel.js';
import type { Lane } from './lane.js';

/**
 * Plays `episodes` env episodes (seeds `seed`, `seed + 1`, ...) with every behaviour's deterministic policy and
 * returns, per behaviour, the mean over episodes of its ids' mean return (ids that never appeared in an episode
 * do not count for it). `laneOf` maps each env agent id to its behaviour's lane.
 */
export function evaluateParallel<N extends string>(lanes: readonly Lane<N>[], laneOf: ReadonlyMap<string, Lane<N>>, factory: () => ParallelEnv, episodes: number, seed: number): Record<N, number> {
  const parallel = factory();
  const checker = checkParallelEnv(parallel);
  const inputs = new Map(lanes.map((lane) => [lane, new Float32Array(lane.observations.length)]));
  const sums = new Map(lanes.map((lane) => [lane, { total: 0, episodes: 0 }]));
  // The rows whose id entered since the lane's last predict(): a recurrent policy forgets their memory first.
  const starts = new Map(lanes.map((lane) => [lane, { episodeStarts: new Uint8Array(lane.agent.numAgents) }]));
  try {
    for (let episode = 0; episode < episodes; episode++) {
      const reset = parallel.reset({ seed: seed + episode });
      checker.checkReset(reset);
      const rows = new Map<string, { lane: Lane<N>; row: number }>();
      const returns = new Map<string, number>();
      const used = new Map(lanes.map((lane) => [lane, new Uint8Array(lane.agent.numAgents)]));
      const enter = (id: string, observation: ArrayLike<number>) => {
        const lane = laneOf.get(id);
        if (lane === undefined) fail(`policyMapping('${id}')`, 'a behaviour for every id of the evaluation env', undefined);
        const free = used.get(lane)!.indexOf(0);
        if (free < 0) fail(`behaviours.${lane.name}.numAgents`, 'a row for every live id of the evaluation env', lane.agent.numAgents);
        used.get(lane)![free] = 1;
        starts.get(lane)!.episodeStarts[free] = 1;
        rows.set(id, { lane, row: free });
        if (!returns.has(id)) returns.set(id, 0);
        lane.write(inputs.get(lane)!, free, observation);
      };
      for (const id of parallel.agents) enter(id, reset.observations[id]);
      while (parallel.agents.length > 0) {
        const acted = [...parallel.agents];
        const predicted = new Map(lanes.map((lane) => [lane, used.get(lane)!.includes(1) ? lane.agent.predict(inputs.get(lane)!, starts.get(lane)) : undefined]));
        for (const { episodeStarts } of starts.values()) episodeStarts.fill(0);
        const actions: Record<string, EnvAction> = {};
        for (const id of acted) {
          const { lane, row } = rows.get(id)!;
          const out = predicted.get(lane)!;
          actions[id] = lane.action(out, row);
          // Non-scalar actions are views of predict()'s output: the env reads them in this step.
        }
        const out = parallel.step(actions);
        checker.checkStep(acted, out);
        for (const id of acted) {
          const { lane, row } = rows.get(id)!;
          returns.set(id, returns.get(id)! + out.rewards[id]);
          if (out.terminations[id] || out.truncations[id]) {
            used.get(lane)![row] = 0;
            rows.delete(id);
          } else {
            lane.write(inputs.get(lane)!, row, out.observations[id]);
          }
        }
        for (const id of parallel.agents) if (!rows.has(id)) enter(id, out.observations[id]);
      }
      for (const lane of lanes) {
        let total = 0, count = 0;
        for (const [id, value] of returns) if (laneOf.get(id) === lane) { total += value; count++; }
        if (count === 0) continue;
        const sum = sums.get(lane)!;
        sum.total += total / count;
        sum.episodes++;
      }
    }
  } catch (error) {
    throw error instanceof EnvError ? error : new EnvError(envName(parallel), 0, error);
  } finally {
    parallel.close?.();
  }
  const meanReturns = {} as Record<N, number>;
  for (const lane of lanes) {
    const sum = sums.get(lane)!;
    meanReturns[lane.name] = sum.episodes === 0 ? NaN : sum.total / sum.episodes;
  }
  return meanReturns;
}
