// Recurrent policies exported as ONNX (ONNX's LSTM / GRU operators, state_in -> state_out), run by
// onnxruntime-node one step per call with the state fed back and zeroed where an episode ended, against
// CpuPolicy acting deterministically over the same steps and resets: values, actions, log-probs of the chosen
// actions and the carried states, for LSTM and GRU, shared and separate networks, discrete and continuous heads.
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentOptions } from '../../src/agent/options.js';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import { init } from '../../src/init.js';
import { exportOnnx, policyToOnnx } from '../../src/interop/onnx/index.js';
import { ONNX_PROTO } from '../../src/interop/onnx/onnx-proto.js';
import { ObservationNormalizer } from '../../src/normalize.js';
import { PCG32 } from '../../src/rng.js';
import { actionSize, Box, Discrete, logitCount, MultiDiscrete } from '../../src/spaces.js';
import { checkpointFor, gaussian, randomMasks } from './fixtures.js';

const CASES: { name: string; options: AgentOptions }[] = [
  { name: 'LSTM, discrete, separate', options: { observationSpace: Box(4), actionSpace: Discrete(3), network: { hidden: [8], memory: { cell: 'lstm', size: 6 } } } },
  { name: 'GRU, multi-discrete with masks, shared, relu, normalized', options: { observationSpace: Box(5), actionSpace: MultiDiscrete([3, 2]), masks: true, network: { hidden: [7], activation: 'relu', shared: true, memory: { cell: 'gru', size: 5 } }, ppo: { normalizeObservations: true } } },
  { name: 'LSTM, box normal, shared', options: { observationSpace: Box(3), actionSpace: Box(2), network: { hidden: [6, 5], shared: true, memory: { cell: 'lstm', size: 4 } } } },
  { name: 'GRU, box tanh_normal, separate, no hidden layer, normalized', options: { observationSpace: Box(4), actionSpace: Box(2, [-2, 0], [2, 1]), network: { hidden: [], distribution: 'tanh_normal', memory: { cell: 'gru', size: 7 } }, ppo: { normalizeObservations: true } } },
  { name: 'GRU, discrete, separate, two hidden layers', options: { observationSpace: Box(3), actionSpace: Discrete(4), network: { hidden: [5, 6], memory: { cell: 'gru', size: 8 } } } },
];
const T = 7;
const TOL = 2e-5;

const sessions: ort.InferenceSession[] = [];
afterAll(async () => { for (const s of sessions) await s.release(); });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Log-probability of the chosen action per row from logits (masked: -inf), summed over branches. */
function logProbOf(logits: Float32Array, actions: ArrayLike<number | bigint>, nvec: number[], masks: Uint8Array | undefined, rows: number): Float64Array {
  const L = nvec.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let base = 0;
    nvec.forEach((n, b) => {
      const z = Array.from({ length: n }, (_, k) => (masks && masks[r * L + base + k] === 0 ? -Infinity : logits[r * L + base + k]));
      const top = Math.max(...z);
      const lse = top + Math.log(z.reduce((s, v) => s + Math.exp(v - top), 0));
      out[r] += z[Number(actions[r * nvec.length + b])] - lse;
      base += n;
    });
  }
  return out;
}

describe('ONNX export of recurrent policies', () => {
  for (const [index, c] of CASES.entries()) {
    it(`one call per act step, state fed back and reset, matches CpuPolicy: ${c.name}`, async () => {
      await init();
      const N = 4;
      const fixture = checkpointFor(c.options, 300 + index, N);
      const { policy, layout } = fixture;
      const space = policy.actionSpace;
      const S = layout.stateSize;
      expect(S).toBeGreaterThan(0);
      const model = await exportOnnx(fixture.bytes);
      const direct = await policyToOnnx({ policy, layout, parameters: fixture.parameters, masks: c.options.masks === true, observationStats: fixture.obsStats && { ...fixture.obsStats, count: 1 } });
      expect(direct).toEqual(model);
      const session = await ort.InferenceSession.create(model);
      sessions.push(session);
      expect(session.inputNames).toContain('state_in');
      expect(session.outputNames).toContain('state_out');

      const cpu = new CpuPolicy(policy, { parameters: fixture.parameters, maxAgents: N });
      const norm = new ObservationNormalizer(policy.observationSize);
      if (fixture.obsStats) norm.stats.setState({ ...fixture.obsStats, count: 1 });
      const rng = new PCG32(40 + index);
      const per = actionSize(space);
      const nvec = space.kind === 'discrete' ? [space.n] : space.kind === 'multi_discrete' ? [...space.nvec] : [];
      let state = new Float32Array(N * S);
      let resets = 0;
      for (let t = 0; t < T; t++) {
        const observations = gaussian(rng, N * policy.observationSize, 1.5);
        const masks = c.options.masks ? randomMasks(space, N, rng) : undefined;
        const normalized = new Float32Array(observations.length);
        if (fixture.obsStats) norm.normalize(observations, normalized, N, false);
        else normalized.set(observations);
        const out = {
          actions: space.kind === 'box' ? new Float32Array(N * per) : new Int32Array(N * per),
          logProbs: new Float32Array(N), values: new Float32Array(N), squashedActions: new Float32Array(N * per),
        };
        cpu.act(normalized, out, { masks, deterministic: true });
        const expectedState = new Float32Array(N * S);
        cpu.copyStates(expectedState);

        const feeds: Record<string, ort.Tensor> = {
          observation: new ort.Tensor('float32', observations, [N, policy.observationSize]),
          state_in: new ort.Tensor('float32', state, [N, S]),
        };
        if (masks) feeds.action_mask = new ort.Tensor('uint8', masks, [N, logitCount(space)]);
        const result = await session.run(feeds);
        expect(result.state_out.dims).toEqual([N, S]);
        const where = `step ${t}`;
        expect(maxAbsDiff(result.value.data as Float32Array, out.values), `${where} value`).toBeLessThan(TOL);
        expect(maxAbsDiff(result.state_out.data as Float32Array, expectedState), `${where} state`).toBeLessThan(TOL);
        if (space.kind === 'box') {
          const expected = policy.network.distribution === 'tanh_normal' ? out.squashedActions : out.actions;
          expect(maxAbsDiff(result.action.data as Float32Array, expected), `${where} action`).toBeLessThan(TOL);
          expect(maxAbsDiff(result.action_mean.data as Float32Array, out.actions), `${where} mean`).toBeLessThan(TOL);
        } else {
          expect(Array.from(result.action.data as BigInt64Array, Number), `${where} action`).toEqual(Array.from(out.actions));
          const logp = logProbOf(result.logits.data as Float32Array, result.action.data as BigInt64Array, nvec, masks, N);
          expect(maxAbsDiff(logp, out.logProbs), `${where} log-prob`).toBeLessThan(TOL);
        }

        // The state carries over, zeroed for the agents whose episode ended (as resetStates does).
        state = new Float32Array(result.state_out.data as Float32Array);
        const done = Uint8Array.from({ length: N }, () => (rng.nextFloat() < 0.3 ? 1 : 0));
        cpu.resetStates(done);
        done.forEach((d, a) => { if (d) { state.fill(0, a * S, (a + 1) * S); resets++; } });
      }
      expect(resets).toBeGreaterThan(0);
      expect(state.some((v) => v !== 0)).toBe(true);

      // One agent alone through the same model: the batch dimension is dynamic and rows are independent.
      const one = await session.run({
        observation: new ort.Tensor('float32', new Float32Array(policy.observationSize), [1, policy.observationSize]),
        state_in: new ort.Tensor('float32', new Float32Array(S), [1, S]),
        ...(c.options.masks ? { action_mask: new ort.Tensor('uint8', new Uint8Array(logitCount(space)).fill(1), [1, logitCount(space)]) } : {}),
      });
      expect(one.state_out.dims).toEqual([1, S]);
      cpu.dispose();
    });
  }

  it('declares state_in and state_out as [batch, stateSize] and says the state size in the metadata', async () => {
    const fixture = checkpointFor(CASES[0].options, 300);
    const bytes = await exportOnnx(fixture.bytes);
    const session = await ort.InferenceSession.create(bytes);
    sessions.push(session);
    const S = fixture.layout.stateSize;
    for (const meta of [session.inputMetadata.find((m) => m.name === 'state_in'), session.outputMetadata.find((m) => m.name === 'state_out')]) {
      expect(meta?.isTensor && meta.shape).toEqual(['batch', S]);
    }
    const { default: protobuf } = await import('protobufjs/light.js');
    const Model = protobuf.Root.fromJSON(ONNX_PROTO as unknown as protobuf.INamespace).lookupType('onnx.ModelProto');
    const decoded = Model.toObject(Model.decode(bytes)) as { metadataProps: { key: string; value: string }[] };
    expect(decoded.metadataProps.find((p) => p.key === 'webppo.state_size')?.value).toBe(String(S));
  });
});
