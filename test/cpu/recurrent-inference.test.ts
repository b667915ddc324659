// CpuPolicy with memory: act() carries each agent's hidden state one step at a time, resetStates() zeroes it where
// an episode ended, and the values and log-probs it reports equal the oracle's over the same steps run as one
// sequence (stored initial states zero, resets at the same steps). States survive a copy / set round trip.
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import type { Batch } from '../../src/backend/trainer.js';
import { init } from '../../src/init.js';
import { networkLayout } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete } from '../../src/spaces.js';
import { mismatch } from '../oracle/compare.js';
import { oracleEvaluate } from '../oracle/ppo-oracle.js';
import { policySpec } from './helpers.js';

const T = 6;
const N = 5;

describe('CpuPolicy with memory', () => {
  beforeAll(() => init());
  for (const [name, policy] of [
    ['LSTM, discrete, separate', policySpec(3, Discrete(4), { hidden: [5], memory: { cell: 'lstm', size: 6 } })],
    ['GRU, box, shared', policySpec(3, Box(2), { hidden: [4], shared: true, memory: { cell: 'gru', size: 5 } })],
  ] as const) {
    it(`${name}: act carries and resets per agent as the oracle's sequence does`, () => {
      const rng = new PCG32(3, 1);
      const layout = networkLayout(policy);
      const params = Float32Array.from({ length: layout.size }, () => rng.nextNormal() * 0.5);
      const cpu = new CpuPolicy(policy, { parameters: params, seed: 2, maxAgents: 2 }); // grows to N on the first act
      const observations = Float32Array.from({ length: T * N * 3 }, () => rng.nextNormal());
      const done = Uint8Array.from({ length: T * N }, () => (rng.nextFloat() < 0.2 ? 1 : 0));
      const per = policy.actionSpace.kind === 'box' ? 2 : 1;
      const actions = policy.actionSpace.kind === 'box' ? new Float32Array(T * N * per) : new Int32Array(T * N * per);
      const logProbs = new Float32Array(T * N);
      const values = new Float32Array(T * N);
      let saved = new Float32Array(0);
      for (let t = 0; t < T; t++) {
        const at = <A extends Float32Array | Int32Array>(a: A, w: number) => a.subarray(t * N * w, (t + 1) * N * w) as A;
        cpu.act(observations.subarray(t * N * 3, (t + 1) * N * 3), { actions: at(actions, per), logProbs: at(logProbs, 1), values: at(values, 1) });
        cpu.resetStates(done.subarray(t * N, (t + 1) * N));
        if (t === 2) {
          saved = new Float32Array(N * cpu.stateSize);
          cpu.copyStates(saved);
        }
      }
      const batch = {
        numSteps: T, numEnvs: N, observations, actions, terminated: done, truncated: new Uint8Array(T * N),
        hiddenStates: new Float32Array(N * layout.stateSize),
      } as unknown as Batch;
      const expected = oracleEvaluate(policy, params, batch);
      expect(mismatch(values, expected.values)).toBeNull();
      expect(mismatch(logProbs, expected.logProbs)).toBeNull();
      expect(saved.some((v) => v !== 0)).toBe(true);

      // Restoring the states after t = 2 replays steps 3.. with the same values.
      cpu.setStates(saved);
      const again = new Float32Array(N);
      const t = 3;
      cpu.act(observations.subarray(t * N * 3, (t + 1) * N * 3), { actions: actions.slice(0, N * per), logProbs: new Float32Array(N), values: again });
      expect(again).toEqual(values.subarray(t * N, (t + 1) * N));
      // All reset: the next step sees zero states, as a fresh policy does.
      cpu.resetStates();
      const fresh = new CpuPolicy(policy, { parameters: params, maxAgents: N });
      const a = new Float32Array(N), b = new Float32Array(N);
      cpu.act(observations.subarray(0, N * 3), { actions: actions.slice(0, N * per), logProbs: new Float32Array(N), values: a });
      fresh.act(observations.subarray(0, N * 3), { actions: actions.slice(0, N * per), logProbs: new Float32Array(N), values: b });
      expect(a).toEqual(b);
      cpu.dispose();
      fresh.dispose();
    });
  }

  it('evaluate scores rows from the states they entered with, as act did, and leaves the agents\' states alone', () => {
    const policy = policySpec(3, Discrete(4), { hidden: [5], memory: { cell: 'lstm', size: 6 } });
    const rng = new PCG32(5, 1);
    const layout = networkLayout(policy);
    const params = Float32Array.from({ length: layout.size }, () => rng.nextNormal() * 0.5);
    const cpu = new CpuPolicy(policy, { parameters: params, seed: 2, maxAgents: N });
    const obs = () => Float32Array.from({ length: N * 3 }, () => rng.nextNormal());
    const out = { actions: new Int32Array(N), logProbs: new Float32Array(N), values: new Float32Array(N) };
    for (let t = 0; t < 3; t++) cpu.act(obs(), out);
    const entering = new Float32Array(N * cpu.stateSize);
    cpu.copyStates(entering);
    const observations = obs();
    cpu.act(observations, out);
    const after = new Float32Array(N * cpu.stateSize);
    cpu.copyStates(after);
    const scored = { logProbs: new Float32Array(N), values: new Float32Array(N) };
    cpu.evaluate(observations, out.actions, scored, undefined, entering);
    expect(scored.logProbs).toEqual(out.logProbs);
    expect(scored.values).toEqual(out.values);
    const kept = new Float32Array(N * cpu.stateSize);
    cpu.copyStates(kept);
    expect(kept).toEqual(after);
    // Without the states a recurrent policy cannot score: the error names them.
    expect(() => cpu.evaluate(observations, out.actions, scored)).toThrow(/states: expected a Float32Array of rows x 24 floats/);
    expect(() => cpu.evaluate(observations, out.actions, scored, undefined, new Float32Array(3))).toThrow(/states/);
    cpu.dispose();
  });
});
