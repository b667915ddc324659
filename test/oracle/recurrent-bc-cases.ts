// The recurrent behaviour-cloning cases: the recurrent PPO table's networks (LSTM and GRU, every head type, shared
// and separate) cloning a demonstration of three recorded agents whose steps interleave as a recording makes them
// (one row per agent per tick, the shorter ones stopping early), with episode ends inside sequences, a stream
// longer than one sequence (cut inside an episode) and a ragged last sequence.
import type { DemoBatch } from '../../src/backend/trainer.js';
import { resolvePPOConfig, type PPOConfig } from '../../src/config.js';
import type { PolicySpec } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { actionSize, logitCount } from '../../src/spaces.js';
import { policySpec } from '../cpu/helpers.js';
import { perturbed, RECURRENT_CASES } from './recurrent-cases.js';

export interface RecurrentImitationCase {
  name: string;
  policy: PolicySpec;
  ppo: PPOConfig;
  criticCoef: number;
  params(seed: number): Float32Array;
  makeDemo(seed: number): DemoBatch;
}

/** Recorded agents (stream ids, as slots would be), their step counts, and where their episodes end (their own step index). */
const STREAMS = [{ id: 5, steps: 8, ends: [1, 6] }, { id: 0, steps: 5, ends: [3] }, { id: 9, steps: 3, ends: [] as number[] }];

/** The demonstration: per tick, one row per agent still recording (ids in STREAMS order). */
export function interleavedDemo(policy: PolicySpec, seed: number, masks: boolean): DemoBatch {
  const rng = new PCG32(seed, 31);
  const streams: number[] = [];
  const ends: number[] = [];
  for (let t = 0; t < Math.max(...STREAMS.map((s) => s.steps)); t++) {
    for (const s of STREAMS) {
      if (t >= s.steps) continue;
      streams.push(s.id);
      ends.push(s.ends.includes(t) ? 1 : 0);
    }
  }
  const rows = streams.length;
  const space = policy.actionSpace;
  const observations = Float32Array.from({ length: rows * policy.observationSize }, () => rng.nextNormal());
  const returns = Float32Array.from({ length: rows }, () => rng.nextNormal());
  if (space.kind === 'box') {
    const actions = Float32Array.from({ length: rows * space.size }, (_, i) => {
      const d = i % space.size;
      const { low, high } = { low: space.low[d], high: space.high[d] };
      return Number.isFinite(low) && Number.isFinite(high) ? low + (high - low) * (0.05 + 0.9 * rng.nextFloat()) : rng.nextNormal();
    });
    return { rows, observations, actions, returns, streams: Int32Array.from(streams), episodeEnds: Uint8Array.from(ends) };
  }
  const nvec = space.kind === 'discrete' ? [space.n] : space.nvec;
  const actions = new Int32Array(rows * actionSize(space));
  const allowed = new Uint8Array(rows * logitCount(space)).fill(1);
  for (let r = 0; r < rows; r++) {
    let base = 0;
    nvec.forEach((n, b) => {
      const a = Math.floor(rng.nextFloat() * n);
      actions[r * nvec.length + b] = a;
      if (masks) for (let k = 0; k < n; k++) if (k !== a && rng.nextFloat() < 0.3) allowed[r * logitCount(space) + base + k] = 0;
      base += n;
    });
  }
  return { rows, observations, actions, ...(masks ? { masks: allowed } : {}), returns, streams: Int32Array.from(streams), episodeEnds: Uint8Array.from(ends) };
}

export const RECURRENT_IMITATION_CASES: RecurrentImitationCase[] = RECURRENT_CASES.map((c, k) => {
  const policy = policySpec(3, c.space, c.network);
  return {
    name: c.name.replace(/, V-trace|, value clip, smooth_l1/g, ''),
    policy,
    ppo: resolvePPOConfig({ ...c.ppo }),
    criticCoef: k % 2 === 0 ? 0 : 0.5,
    params: (seed) => perturbed(policy, seed + k),
    makeDemo: (seed) => interleavedDemo(policy, seed + k, c.extra?.masks === true),
  };
});
