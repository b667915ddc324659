// CpuPolicy.evaluate: the log-prob of given actions equals the one act() reports for the action it sampled,
// on every head (masked categorical, multi-discrete, Gaussian, tanh-Gaussian), and matches a float64 softmax
// for actions act() did not pick; it allocates nothing once warm.
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuPolicy, type ActOutput } from '../../src/backend/cpu/inference.js';
import { init } from '../../src/init.js';
import { initialParameters } from '../../src/policy/init.js';
import { networkLayout } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete, MultiDiscrete, type ActionSpace } from '../../src/spaces.js';
import { ValidationError } from '../../src/errors.js';
import { policySpec, referenceForward } from './helpers.js';

beforeAll(() => init());

function observations(rows: number, size: number, seed: number): Float32Array {
  const rng = new PCG32(seed, 3);
  return Float32Array.from({ length: rows * size }, () => rng.nextNormal());
}

/** Random masks with at least one allowed action per branch. */
function masks(rows: number, nvec: number[], seed: number): Uint8Array {
  const rng = new PCG32(seed, 4);
  const logits = nvec.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(rows * logits);
  for (let r = 0; r < rows; r++) {
    let base = r * logits;
    for (const n of nvec) {
      for (let k = 0; k < n; k++) out[base + k] = rng.nextU32() % 3 === 0 ? 0 : 1;
      out[base + (rng.nextU32() % n)] = 1;
      base += n;
    }
  }
  return out;
}

const heads: [string, ActionSpace, object, number[] | null][] = [
  ['masked Discrete', Discrete(5), {}, [5]],
  ['masked MultiDiscrete', MultiDiscrete([3, 4]), { shared: true, activation: 'relu' }, [3, 4]],
  ['Gaussian', Box(2), {}, null],
  ['tanh-Gaussian', Box(3, -1, 2), { distribution: 'tanh_normal' }, null],
];

describe('CpuPolicy.evaluate', () => {
  for (const [name, space, network, nvec] of heads) {
    it(`${name}: the log-prob of the sampled action equals act()'s`, () => {
      const policy = policySpec(4, space, network);
      const flat = initialParameters(networkLayout(policy), 7);
      const cpu = new CpuPolicy(policy, { parameters: flat, seed: 3 });
      const rows = 40, per = space.kind === 'box' ? space.size : nvec!.length;
      const obs = observations(rows, 4, 1);
      const m = nvec ? masks(rows, nvec, 2) : undefined;
      const out: ActOutput = {
        actions: nvec ? new Int32Array(rows * per) : new Float32Array(rows * per), logProbs: new Float32Array(rows),
        values: new Float32Array(rows), squashedActions: new Float32Array(rows * per),
      };
      cpu.act(obs, out, m ? { masks: m } : undefined);
      const scored = { logProbs: new Float32Array(rows), values: new Float32Array(rows) };
      cpu.evaluate(obs, out.actions, scored, m);
      for (let r = 0; r < rows; r++) {
        expect(scored.logProbs[r]).toBeCloseTo(out.logProbs[r], 5);
        expect(scored.values[r]).toBe(out.values[r]);
      }
      cpu.dispose();
    });
  }

  it('scores actions act() did not pick like a float64 masked softmax, and rejects bad actions naming them', () => {
    const policy = policySpec(4, Discrete(5), { hidden: [16] });
    const flat = initialParameters(networkLayout(policy), 11);
    const cpu = new CpuPolicy(policy, { parameters: flat });
    const rows = 30, obs = observations(rows, 4, 5), m = masks(rows, [5], 6);
    const actions = new Int32Array(rows);
    for (let r = 0; r < rows; r++) actions[r] = m.subarray(r * 5, r * 5 + 5).lastIndexOf(1);
    const scored = { logProbs: new Float32Array(rows), values: new Float32Array(rows) };
    cpu.evaluate(obs, actions, scored, m);
    const ref = referenceForward(policy, flat, obs);
    for (let r = 0; r < rows; r++) {
      const allowed = ref.actor[r].filter((_, k) => m[r * 5 + k] === 1);
      const top = Math.max(...allowed);
      const lse = top + Math.log(allowed.reduce((s, z) => s + Math.exp(z - top), 0));
      expect(scored.logProbs[r]).toBeCloseTo(ref.actor[r][actions[r]] - lse, 5);
      expect(scored.values[r]).toBeCloseTo(ref.values[r], 5);
    }
    actions[3] = 5;
    expect(() => cpu.evaluate(obs, actions, scored, m)).toThrow(ValidationError);
    expect(() => cpu.evaluate(obs, actions, scored, m)).toThrow(/actions\[row 3, 0\]/);
    cpu.dispose();
  });
});
