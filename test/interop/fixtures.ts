// Checkpoints with random (not freshly initialized) parameters and observation statistics, for every head
// type and activation, so exported and ported policies are compared where their outputs differ clearly.
import { optionsToJson, resolveAgentOptions, type AgentOptions } from '../../src/agent/options.js';
import { encodeCheckpoint } from '../../src/policy/checkpoint.js';
import { networkLayout, type NetworkLayout, type PolicySpec } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { actionSize, Box, Discrete, flatSize, logitCount, MultiDiscrete } from '../../src/spaces.js';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import { ObservationNormalizer } from '../../src/normalize.js';

export interface PolicyCase {
  name: string;
  options: AgentOptions;
}

export const POLICY_CASES: PolicyCase[] = [
  { name: 'discrete, tanh, separate', options: { observationSpace: Box(4), actionSpace: Discrete(3), network: { hidden: [16, 8], activation: 'tanh' } } },
  { name: 'discrete, relu, shared, normalized', options: { observationSpace: Box(5), actionSpace: Discrete(4), network: { hidden: [12], activation: 'relu', shared: true }, ppo: { normalizeObservations: true } } },
  { name: 'multi-discrete, tanh, masks, normalized', options: { observationSpace: Box([2, 3]), actionSpace: MultiDiscrete([3, 2, 4]), masks: true, network: { hidden: [10, 10] }, ppo: { normalizeObservations: true, normalizeRewards: true } } },
  { name: 'box normal, relu', options: { observationSpace: Box(3), actionSpace: Box(2), network: { hidden: [8, 8], activation: 'relu' } } },
  { name: 'box tanh_normal, tanh, normalized', options: { observationSpace: Box(6), actionSpace: Box(2, [-2, 0], [2, 1]), network: { hidden: [16], distribution: 'tanh_normal' }, ppo: { normalizeObservations: true } } },
  { name: 'discrete, no hidden layer', options: { observationSpace: Box(3), actionSpace: Discrete(2), network: { hidden: [] } } },
];

export function gaussian(rng: PCG32, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const u = Math.max(rng.nextFloat(), 1e-12);
    return scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat());
  });
}

export interface Fixture {
  bytes: Uint8Array;
  policy: PolicySpec;
  layout: NetworkLayout;
  parameters: Float32Array;
  obsStats?: { mean: Float64Array; var: Float64Array };
  numAgents: number;
}

/** A valid webppo checkpoint for the case, with parameters drawn N(0, 0.5^2) and non-trivial statistics. */
export function checkpointFor(options: AgentOptions, seed: number, numAgents = 5): Fixture {
  const resolved = resolveAgentOptions({ ...options, numAgents, backend: 'cpu', ppo: { numSteps: 4, ...options.ppo } });
  const policy: PolicySpec = { observationSize: flatSize(resolved.observationSpace), actionSpace: resolved.actionSpace, network: resolved.network };
  const layout = networkLayout(policy);
  const rng = new PCG32(seed);
  const parameters = gaussian(rng, layout.size, 0.5);
  const size = policy.observationSize;
  const obsStats = resolved.ppo.normalizeObservations
    ? { mean: Float64Array.from(gaussian(rng, size, 1)), var: Float64Array.from(gaussian(rng, size, 1), (v) => 0.05 + v * v), count: 321.5 }
    : undefined;
  const bytes = encodeCheckpoint({
    config: optionsToJson(resolved),
    parameters,
    optimizer: { m: new Float32Array(layout.size), v: new Float32Array(layout.size), step: 0 },
    observationStats: obsStats,
    rewardStats: resolved.ppo.normalizeRewards ? { mean: Float64Array.of(0), var: Float64Array.of(1), count: 1e-4, returns: new Float64Array(numAgents) } : undefined,
    extra: new Map([
      ['episode.returns', { dtype: 'F64', shape: [numAgents], data: new Float64Array(numAgents) }],
      ['episode.lengths', { dtype: 'I32', shape: [numAgents], data: new Int32Array(numAgents) }],
    ]),
    rng: { inference: '1:3', plan: '2:5', noise: '3:7' },
    counters: { steps: 0, updates: 0, episodes: 0, awaitingBootstrap: 0, rolloutLagged: 0 },
  }, layout);
  return { bytes, policy, layout, parameters, obsStats, numAgents };
}

/** Float64 reference forward pass (independent of the wasm and the ONNX graph): actor outputs and values. */
export function referenceForward(f: Fixture, observations: Float32Array, rows: number): { actor: Float64Array[]; values: Float64Array } {
  const { policy, layout, parameters } = f;
  const get = (name: string) => {
    const p = layout.parameters.find((q) => q.name === name)!;
    return { data: parameters.subarray(p.offset, p.offset + p.shape.reduce((a, b) => a * b, 1)), shape: p.shape };
  };
  const act = policy.network.activation === 'tanh' ? Math.tanh : (v: number) => Math.max(0, v);
  const dense = (x: Float64Array, prefix: string, activated: boolean) => {
    const w = get(`${prefix}.weight`);
    const b = get(`${prefix}.bias`);
    const [out, inp] = w.shape;
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = b.data[o];
      for (let i = 0; i < inp; i++) s += w.data[o * inp + i] * x[i];
      y[o] = activated ? act(s) : s;
    }
    return y;
  };
  const L = policy.network.hidden.length;
  const size = policy.observationSize;
  const actor: Float64Array[] = [];
  const values = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let x = Float64Array.from(observations.subarray(r * size, (r + 1) * size));
    if (f.obsStats) x = x.map((v, k) => Math.min(10, Math.max(-10, (v - f.obsStats!.mean[k]) / Math.sqrt(f.obsStats!.var[k] + 1e-8))));
    let a = x;
    let c = x;
    if (policy.network.shared) {
      for (let i = 0; i < L; i++) a = dense(a, `trunk.${2 * i}`, true);
      c = a;
      actor.push(dense(a, 'actor.0', false));
      values[r] = dense(c, 'critic.0', false)[0];
    } else {
      for (let i = 0; i < L; i++) a = dense(a, `actor.${2 * i}`, true);
      for (let i = 0; i < L; i++) c = dense(c, `critic.${2 * i}`, true);
      actor.push(dense(a, `actor.${2 * L}`, false));
      values[r] = dense(c, `critic.${2 * L}`, false)[0];
    }
  }
  return { actor, values };
}

/** The wasm policy's deterministic actions and critic values (CpuPolicy), normalizing as the Agent does. */
export function wasmForward(f: Pick<Fixture, 'policy' | 'parameters' | 'obsStats'>, observations: Float32Array, rows: number, masks?: Uint8Array): { values: Float32Array; actions: Float32Array | Int32Array } {
  const { policy } = f;
  const cpu = new CpuPolicy(policy, { seed: 1, parameters: f.parameters, maxAgents: rows });
  const normalized = new Float32Array(observations.length);
  if (f.obsStats) {
    const norm = new ObservationNormalizer(policy.observationSize);
    norm.stats.setState({ ...f.obsStats, count: 1 });
    norm.normalize(observations, normalized, rows, false);
  } else normalized.set(observations);
  const per = actionSize(policy.actionSpace);
  const out = { actions: policy.actionSpace.kind === 'box' ? new Float32Array(rows * per) : new Int32Array(rows * per), logProbs: new Float32Array(rows), values: new Float32Array(rows), squashedActions: new Float32Array(rows * per) };
  cpu.act(normalized, out, { masks, deterministic: true });
  cpu.dispose();
  return { values: out.values, actions: policy.network.distribution === 'tanh_normal' && policy.actionSpace.kind === 'box' ? out.squashedActions : out.actions };
}

/** Random masks that leave the first action of every branch allowed. */
export function randomMasks(space: PolicySpec['actionSpace'], rows: number, rng: PCG32): Uint8Array {
  const logits = logitCount(space);
  const firsts = new Set(space.kind === 'multi_discrete' ? space.nvec.map((_, b) => space.nvec.slice(0, b).reduce((a, n) => a + n, 0)) : [0]);
  return Uint8Array.from({ length: rows * logits }, (_, i) => (firsts.has(i % logits) || rng.nextFloat() < 0.6 ? 1 : 0));
}
