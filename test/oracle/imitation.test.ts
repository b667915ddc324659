// The behaviour-cloning oracle against a float64 loss written here from the trainer.ts definition (on the
// float64 reference network of reference64.ts), its gradient against central finite differences of it, and
// its accuracy and plan composition.
import { describe, expect, it } from 'vitest';
import type { DemoBatch } from '../../src/backend/trainer.js';
import { networkLayout, type PolicySpec } from '../../src/policy/network.js';
import { IMITATION_CASES } from './bc-cases.js';
import { oracleImitate, oracleImitationLoss, storedActions } from './bc-oracle.js';
import { oracleAdamStep, oracleEvaluate } from './ppo-oracle.js';
import { evaluate64 } from './reference64.js';

const SEED = 7;

/** -mean(w logp) + criticCoef mean((V - R)^2), in float64; `trunk` params see only the actor term (separateLosses). */
function bc64(policy: PolicySpec, params: Float64Array, demo: DemoBatch, criticCoef: number) {
  const m = demo.rows;
  const batch = {
    numSteps: m, numEnvs: 1, observations: demo.observations, actions: storedActions(policy, demo.actions), masks: demo.masks,
    logProbs: new Float32Array(m), values: new Float32Array(m), advantages: new Float32Array(m), returns: new Float32Array(m),
    entropyNoise: new Float32Array(m * (policy.actionSpace.kind === 'box' ? policy.actionSpace.size : 0)),
  };
  const { logp, value } = evaluate64(policy, 1, params, batch);
  let bc = 0, critic = 0;
  for (let i = 0; i < m; i++) {
    bc -= logp[i] / m;
    critic += (value[i] - (demo.returns?.[i] ?? 0)) ** 2 / m;
  }
  return { bc, critic: criticCoef * critic, logp };
}

describe('imitation oracle against the float64 loss', () => {
  for (const c of IMITATION_CASES) {
    const policy = c.base.policy;
    it(`${c.name}: loss, stats and gradients (central differences)`, () => {
      const params = c.base.params(SEED);
      const demo = c.makeDemo(SEED);
      const p64 = Float64Array.from(params);
      const ref = bc64(policy, p64, demo, c.criticCoef);
      const { grads, stats } = oracleImitationLoss(policy, c.base.ppo, params, demo, c.criticCoef);
      expect(Math.abs(stats.loss_bc - ref.bc)).toBeLessThanOrEqual(1e-4 * Math.abs(ref.bc) + 1e-5);
      expect(Math.abs(stats.loss_critic - ref.critic)).toBeLessThanOrEqual(1e-4 * Math.abs(ref.critic) + 1e-5);
      expect(Math.abs(stats.log_likelihood + ref.bc)).toBeLessThanOrEqual(1e-4 * Math.abs(ref.bc) + 1e-5);
      expect(c.criticCoef === 0 || ref.critic > 0).toBe(true);

      const layout = networkLayout(policy);
      const trunk = new Set<number>();
      if (policy.network.shared && c.base.ppo.separateLosses) {
        for (const layer of layout.layers) {
          if (layer.role !== 'trunk') continue;
          for (let i = 0; i < layer.outputs * (layer.inputs + 1); i++) trunk.add(layer.weightOffset + i);
        }
      }
      const h = 1e-6;
      const fd = new Float64Array(layout.size);
      for (let i = 0; i < layout.size; i++) {
        const at = (delta: number) => {
          const p = Float64Array.from(p64);
          p[i] += delta;
          const l = bc64(policy, p, demo, c.criticCoef);
          return l.bc + (trunk.has(i) ? 0 : l.critic);
        };
        fd[i] = (at(h) - at(-h)) / (2 * h);
      }
      const scale = fd.reduce((a, g) => Math.max(a, Math.abs(g)), 0);
      let worst = 0;
      for (let i = 0; i < fd.length; i++) worst = Math.max(worst, Math.abs(grads[i] - fd[i]) / (1e-5 * scale + 1e-3 * Math.abs(fd[i])));
      expect(worst).toBeLessThanOrEqual(1);
      expect(scale).toBeGreaterThan(1e-3);
    });
  }

  it('accuracy counts the branches whose most likely allowed action is the demonstrated one, overall and per branch', () => {
    const c = IMITATION_CASES.find((x) => x.name.startsWith('multidiscrete[3,2] masked'))!;
    const policy = c.base.policy;
    const params = c.base.params(SEED);
    const demo = c.makeDemo(SEED);
    const { actorOutputs } = oracleEvaluate(policy, params, { numSteps: demo.rows, numEnvs: 1, observations: demo.observations, actions: demo.actions, masks: demo.masks });
    // Relabel every row with its most likely allowed actions (accuracy 1), then move branch 1 to another allowed one (1/2).
    const best = new Int32Array(demo.actions.length);
    const other = new Int32Array(demo.actions.length);
    for (let row = 0; row < demo.rows; row++) {
      let base = 0;
      [3, 2].forEach((n, b) => {
        const ok = (k: number) => demo.masks![row * 5 + base + k] === 1;
        let top = -1;
        for (let k = 0; k < n; k++) if (ok(k) && (top < 0 || actorOutputs[row * 5 + base + k] > actorOutputs[row * 5 + base + top])) top = k;
        best[row * 2 + b] = other[row * 2 + b] = top;
        if (b === 1) other[row * 2 + b] = ok(1 - top) ? 1 - top : top;
        base += n;
      });
    }
    const changed = other.filter((a, i) => a !== best[i]).length;
    expect(changed).toBeGreaterThan(0);
    const stats = (actions: Int32Array) => oracleImitationLoss(policy, c.base.ppo, params, { ...demo, actions }, 0).stats;
    expect(stats(best).accuracy).toBe(1);
    expect(stats(best).branchAccuracy).toEqual([1, 1]);
    expect(stats(other).accuracy).toBeCloseTo(1 - changed / 2 / demo.rows, 12);
    expect(stats(other).branchAccuracy![0]).toBe(1);
    expect(stats(other).branchAccuracy![1]).toBeCloseTo(1 - changed / demo.rows, 12);
  });

  it('an update of one minibatch of all rows is one Adam step on the loss', () => {
    const c = IMITATION_CASES[1];
    const params = c.base.params(SEED);
    const demo = c.makeDemo(SEED);
    const plan = { unit: 'rows' as const, numEpochs: 1, numMinibatches: 1, unitsPerMinibatch: demo.rows, indices: Int32Array.from({ length: demo.rows }, (_, i) => i) };
    const lr = 0.01;
    const out = oracleImitate(c.base.policy, c.base.ppo, params, demo, plan, c.criticCoef, lr);
    const g = oracleImitationLoss(c.base.policy, c.base.ppo, params, demo, c.criticCoef);
    const hp = { learningRate: lr, adamEps: c.base.ppo.adamEps, weightDecay: c.base.ppo.weightDecay, maxGradNorm: c.base.ppo.maxGradNorm };
    const step = oracleAdamStep(params, g.grads, { m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 }, hp);
    expect(out.params).toEqual(step.params);
    expect(out.stats).toEqual({ ...g.stats, epochs: 1, minibatches: 1 });
    expect(out.params).not.toEqual(params);
  });
});
