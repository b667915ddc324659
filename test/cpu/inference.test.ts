// CpuPolicy (the act path): against a float64 forward, against the trainer's own scoring, masks, seeds,
// deterministic mode, parameter round trips and wasm memory staying put after warm-up.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, wasm } from '../../src/init.js';
import { CpuPolicy, type ActOutput } from '../../src/backend/cpu/inference.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import { initialParameters } from '../../src/policy/init.js';
import { networkLayout } from '../../src/policy/network.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete, MultiDiscrete } from '../../src/spaces.js';
import { policySpec, referenceForward, trainerOptions } from './helpers.js';

function observations(rows: number, size: number, seed: number): Float32Array {
  const rng = new PCG32(seed, 3);
  return Float32Array.from({ length: rows * size }, () => rng.nextNormal());
}

function output(agents: number, perRow: number, categorical: boolean): ActOutput {
  return {
    actions: categorical ? new Int32Array(agents * perRow) : new Float32Array(agents * perRow),
    logProbs: new Float32Array(agents), values: new Float32Array(agents), squashedActions: new Float32Array(agents * perRow),
  };
}

/** Parameters with a larger actor head, so probabilities differ visibly between actions. */
function spread(policy: ReturnType<typeof policySpec>, seed: number): Float32Array {
  const layout = networkLayout(policy);
  const flat = initialParameters(layout, seed);
  const head = layout.layers.find((l) => l.role === 'actor' && !l.activated)!;
  for (let i = 0; i < head.inputs * head.outputs; i++) flat[head.weightOffset + i] *= 150;
  return flat;
}

describe('CpuPolicy', () => {
  beforeAll(() => init());

  it('matches a float64 forward: values, log-probs, deterministic argmax', () => {
    const policy = policySpec(5, Discrete(4), { hidden: [16, 8] });
    const params = spread(policy, 3);
    const cpu = new CpuPolicy(policy, { parameters: params, seed: 1 });
    const obs = observations(33, 5, 1);
    const out = output(33, 1, true);
    cpu.act(obs, out, { deterministic: true });
    const ref = referenceForward(policy, params, obs);
    for (let r = 0; r < 33; r++) {
      const logits = ref.actor[r];
      const top = Math.max(...logits);
      const lse = top + Math.log(logits.reduce((s, z) => s + Math.exp(z - top), 0));
      expect(out.actions[r]).toBe(logits.indexOf(top));
      expect(out.logProbs[r]).toBeCloseTo(top - lse, 5);
      expect(out.values[r]).toBeCloseTo(ref.values[r], 5);
    }
    cpu.dispose();
  });

  it('scores its actions exactly as the trainer does (ratio 1, zero critic loss)', async () => {
    const spaces = [
      policySpec(4, MultiDiscrete([3, 4]), { shared: true, activation: 'relu' }),
      policySpec(4, Box(2)),
      policySpec(4, Box(3, -1, 2), { distribution: 'tanh_normal' }),
    ];
    for (const policy of spaces) {
      const agents = 24;
      const params = spread(policy, 9);
      const cpu = new CpuPolicy(policy, { parameters: params, seed: 5 });
      const trainer = createCpuTrainer(trainerOptions(policy, { clipValue: false, normalizeAdvantage: false }));
      trainer.setParameters(params);
      const obs = observations(agents, 4, 2);
      const per = policy.actionSpace.kind === 'box' ? policy.actionSpace.size : 2;
      const out = output(agents, per, policy.actionSpace.kind !== 'box');
      cpu.act(obs, out);
      const { stats } = await trainer.computeGradients({
        numSteps: 1, numEnvs: agents, observations: obs, actions: out.actions, logProbs: out.logProbs,
        values: out.values, returns: out.values, advantages: new Float32Array(agents).fill(1),
      });
      expect(Math.abs(stats.kl_approx)).toBeLessThan(1e-7);
      expect(stats.loss_critic).toBeLessThan(1e-12);
      expect(stats.clip_fraction).toBe(0);
      if (policy.network.distribution === 'tanh_normal') {
        const box = Box(3, -1, 2);
        for (let i = 0; i < agents * per; i++) {
          const d = i % per;
          const expected = (box.high[d] + box.low[d]) / 2 + ((box.high[d] - box.low[d]) / 2) * Math.tanh(out.actions[i]);
          expect(out.squashedActions![i]).toBeCloseTo(expected, 5);
        }
      }
      cpu.dispose();
      trainer.dispose();
    }
  });

  it('never samples a masked action, over many seeds', () => {
    const policy = policySpec(3, MultiDiscrete([5, 3]));
    const agents = 64;
    const rng = new PCG32(11, 1);
    for (let seed = 0; seed < 20; seed++) {
      const cpu = new CpuPolicy(policy, { parameters: spread(policy, seed), seed });
      const masks = new Uint8Array(agents * 8);
      for (let a = 0; a < agents; a++) {
        for (let k = 0; k < 8; k++) masks[a * 8 + k] = rng.nextFloat() < 0.4 ? 1 : 0;
        masks[a * 8 + Math.floor(rng.nextFloat() * 5)] = 1;
        masks[a * 8 + 5 + Math.floor(rng.nextFloat() * 3)] = 1;
      }
      const out = output(agents, 2, true);
      for (let call = 0; call < 10; call++) {
        cpu.act(observations(agents, 3, seed * 10 + call), out, { masks });
        for (let a = 0; a < agents; a++) {
          expect(masks[a * 8 + out.actions[a * 2]]).toBe(1);
          expect(masks[a * 8 + 5 + out.actions[a * 2 + 1]]).toBe(1);
          expect(Number.isFinite(out.logProbs[a])).toBe(true);
        }
        // Deterministic picks are allowed too.
        cpu.act(observations(agents, 3, seed), out, { masks, deterministic: true });
        for (let a = 0; a < agents; a++) expect(masks[a * 8 + out.actions[a * 2]]).toBe(1);
      }
      cpu.dispose();
    }
  });

  it('samples the softmax frequencies, reproducibly for a seed; deterministic mode is stable', () => {
    const policy = policySpec(2, Discrete(3), { hidden: [4] });
    const params = spread(policy, 4);
    const agents = 4000;
    const one = observations(1, 2, 8);
    const obs = new Float32Array(agents * 2);
    for (let a = 0; a < agents; a++) obs.set(one, a * 2);
    const logits = referenceForward(policy, params, one).actor[0];
    const total = logits.reduce((s, z) => s + Math.exp(z), 0);
    const a = new CpuPolicy(policy, { parameters: params, seed: 42 });
    const b = new CpuPolicy(policy, { parameters: params, seed: 42 });
    const outA = output(agents, 1, true);
    const outB = output(agents, 1, true);
    a.act(obs, outA);
    b.act(obs, outB);
    expect(outB.actions).toEqual(outA.actions);
    const counts = [0, 0, 0];
    for (const x of outA.actions) counts[x]++;
    counts.forEach((c, k) => expect(Math.abs(c / agents - Math.exp(logits[k]) / total)).toBeLessThan(0.03));
    a.act(obs, outA);
    expect(outA.actions).not.toEqual(outB.actions); // the generator moved on
    a.act(obs, outA, { deterministic: true });
    const first = Int32Array.from(outA.actions as Int32Array);
    a.act(obs, outA, { deterministic: true });
    expect(outA.actions).toEqual(first);
    a.dispose();
    b.dispose();
  });

  it('draws its Gaussian noise from the PCG32 sequence of src/rng.ts (seed, policy stream)', () => {
    const policy = policySpec(2, Box(1), { hidden: [4] });
    const cpu = new CpuPolicy(policy, { seed: 77 });
    const obs = Float32Array.of(0.3, -0.2);
    const out = output(1, 1, false);
    cpu.act(obs, out, { deterministic: true }); // deterministic draws nothing
    const mean = out.actions[0];
    const reference = new PCG32(77, 0x6163);
    for (let i = 0; i < 50; i++) {
      cpu.act(obs, out);
      expect(out.actions[0] - mean).toBeCloseTo(reference.nextNormal(), 5); // sigma = exp(0) = 1
    }
    cpu.dispose();
  });

  it('round-trips parameters bit-exactly and starts from the seeded init', () => {
    const policy = policySpec(3, Box(2), { hidden: [5] });
    const layout = networkLayout(policy);
    const cpu = new CpuPolicy(policy, { seed: 7 });
    expect(cpu.getParameters()).toEqual(initialParameters(layout, 7));
    const flat = Float32Array.from({ length: layout.size }, (_, i) => Math.fround(Math.sin(i) * 1e-3 + i));
    cpu.setParameters(flat);
    expect(new Uint32Array(cpu.getParameters().buffer)).toEqual(new Uint32Array(flat.buffer));
    expect(() => cpu.setParameters(new Float32Array(layout.size - 1))).toThrow(/parameters.length: expected/);
    expect(new Uint32Array(cpu.getParameters().buffer)).toEqual(new Uint32Array(flat.buffer));
    cpu.dispose();
  });

  it('rejects bad input naming the field', () => {
    const policy = policySpec(3, Discrete(2));
    const cpu = new CpuPolicy(policy, { seed: 1 });
    const out = output(2, 1, true);
    expect(() => cpu.act(new Float32Array(5), out)).toThrow(/observations: expected/);
    expect(() => cpu.act(Float32Array.of(0, 1, 2, 3, NaN, 5), out)).toThrow(/observations\[agent 1, 1\]/);
    expect(() => cpu.act(new Float32Array(6), null as never)).toThrow(/out: expected an object/);
    expect(() => cpu.act(new Float32Array(6), { ...out, values: new Float32Array(1) })).toThrow(/out.values/);
    expect(() => cpu.act(new Float32Array(6), { ...out, actions: new Float32Array(2) })).toThrow(/out.actions/);
    expect(() => cpu.act(new Float32Array(6), out, { masks: Uint8Array.of(1, 0, 0, 0) })).toThrow(/options.masks\[agent 1, branch 0\]/);
    cpu.dispose();
  });

  it('grows wasm memory only while warming up', () => {
    const policy = policySpec(4, Discrete(2), { hidden: [64, 64] });
    const cpu = new CpuPolicy(policy, { seed: 1, maxAgents: 1024 });
    const obs = observations(1024, 4, 1);
    const out = output(1024, 1, true);
    cpu.act(obs, out);
    const bytes = wasm().memory.buffer.byteLength;
    for (let i = 0; i < 200; i++) cpu.act(i % 2 ? obs : obs.subarray(0, 4), out, { deterministic: i % 3 === 0 });
    expect(wasm().memory.buffer.byteLength).toBe(bytes);
    cpu.dispose();
  });
});
