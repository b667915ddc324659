// Deno: one gradient check of the WebGPU trainer (dist/index.js, under Deno's own navigator.gpu) against
// float64 central finite differences of the loss of src/backend/trainer.ts, written out here for a Discrete
// policy with separate tanh networks. Exits non-zero on any mismatch. Run by `npm run test:deno:gpu`.
// deno-lint-ignore-file no-explicit-any
import { createWebGPUTrainer, Discrete, initialParameters, networkLayout, resolveNetworkSpec, resolvePPOConfig } from '../../dist/index.js';

declare const Deno: { exit(code: number): never };

const OBS = 4;
const ACTIONS = 3;
const T = 6;
const N = 4;
const ROWS = T * N;
const policy = { observationSize: OBS, actionSpace: Discrete(ACTIONS), network: resolveNetworkSpec({ hidden: [8, 8], activation: 'tanh' }) };
const ppo = resolvePPOConfig({ numSteps: T, clipEpsilon: 0.2, clipValue: true, entropyCoef: 0.01, criticCoef: 0.5 });
const layout = networkLayout(policy);

// A small deterministic generator (the data only has to be fixed, not good).
let state = 12345;
const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296);
const normal = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());

const params = initialParameters(layout, 3);
for (let i = 0; i < params.length; i++) params[i] += 0.2 * normal();

function forward(theta: Float64Array, row: number, observations: Float32Array): { logits: number[]; value: number } {
  const run = (role: string, x: number[]): number[] => {
    for (const layer of layout.layers.filter((l: any) => l.role === role)) {
      const y: number[] = [];
      for (let o = 0; o < layer.outputs; o++) {
        let s = theta[layer.biasOffset + o];
        for (let k = 0; k < layer.inputs; k++) s += theta[layer.weightOffset + o * layer.inputs + k] * x[k];
        y.push(layer.activated ? Math.tanh(s) : s);
      }
      x = y;
    }
    return x;
  };
  const obs = Array.from(observations.subarray(row * OBS, (row + 1) * OBS));
  return { logits: run('actor', obs), value: run('critic', obs)[0] };
}

function logSoftmax(z: number[]): number[] {
  const max = Math.max(...z);
  const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
  return z.map((v) => v - lse);
}

// The batch: actions sampled from the policy, old log-probs and values perturbed.
const observations = Float32Array.from({ length: ROWS * OBS }, normal);
const actions = new Int32Array(ROWS);
const logProbs = new Float32Array(ROWS);
const values = new Float32Array(ROWS);
const theta0 = Float64Array.from(params);
for (let row = 0; row < ROWS; row++) {
  const { logits, value } = forward(theta0, row, observations);
  const lp = logSoftmax(logits);
  let u = uniform();
  let a = 0;
  while (a < ACTIONS - 1 && (u -= Math.exp(lp[a])) > 0) a++;
  actions[row] = a;
  logProbs[row] = lp[a] + 0.15 * normal();
  values[row] = value + 0.25 * normal();
}
const advantages = Float32Array.from({ length: ROWS }, normal);
const returns = Float32Array.from(values, (v, i) => v + advantages[i]);
const batch = { numSteps: T, numEnvs: N, observations, actions, logProbs, values, advantages, returns };

// Normalized advantages (data: no gradient).
const mean = advantages.reduce((s, a) => s + a, 0) / ROWS;
const std = Math.sqrt(advantages.reduce((s, a) => s + (a - mean) ** 2, 0) / (ROWS - 1));
const A = Array.from(advantages, (a) => (a - mean) / (std + 1e-8));

function loss(theta: Float64Array): number {
  let objective = 0;
  let critic = 0;
  let entropy = 0;
  for (let row = 0; row < ROWS; row++) {
    const { logits, value } = forward(theta, row, observations);
    const lp = logSoftmax(logits);
    const r = Math.exp(lp[actions[row]] - logProbs[row]);
    objective += Math.min(r * A[row], Math.min(Math.max(r, 0.8), 1.2) * A[row]);
    const clipped = values[row] + Math.min(Math.max(value - values[row], -0.2), 0.2);
    critic += Math.max((value - returns[row]) ** 2, (clipped - returns[row]) ** 2);
    entropy -= lp.reduce((s, l) => s + Math.exp(l) * l, 0);
  }
  return (-objective + 0.5 * critic - 0.01 * entropy) / ROWS;
}

let failures = 0;
// Both kernel variants: 'direct' (software adapters) and 'tiled' (hardware GPUs; here with ragged 8-wide tiles),
// and each with the reductions' subgroup twins where Deno's adapter offers 'subgroups' (lavapipe here does not).
const subgroups = (await navigator.gpu.requestAdapter())?.features.has('subgroups') === true;
console.log(`deno gradient check: subgroups ${subgroups ? 'offered, checked too' : 'not offered by this adapter, not checked'}`);
const combos = [false, ...(subgroups ? [true] : [])].flatMap((sg) => (['direct', 'tiled'] as const).map((kernels) => ({ kernels, subgroups: sg })));
for (const combo of combos) {
  const kernels = `${combo.kernels}${combo.subgroups ? '+subgroups' : ''}`;
  const trainer = await createWebGPUTrainer({ policy, ppo, seed: 3, parameters: params, ...combo });
  try {
    const { grads, stats } = await trainer.computeGradients(batch);
    const h = 1e-6;
    for (let i = 0; i < layout.size; i++) {
      const plus = Float64Array.from(params);
      const minus = Float64Array.from(params);
      plus[i] += h;
      minus[i] -= h;
      const fd = (loss(plus) - loss(minus)) / (2 * h);
      if (!(Math.abs(grads[i] - fd) <= 1e-5 + 1e-3 * Math.abs(fd))) {
        failures++;
        if (failures <= 10) console.error(`${kernels} gradient[${i}]: webgpu ${grads[i]} vs float64 ${fd}`);
      }
    }
    const total = stats.loss_objective + stats.loss_critic + stats.loss_entropy;
    const expected = loss(theta0);
    if (!(Math.abs(total - expected) <= 1e-5 + 1e-4 * Math.abs(expected))) {
      failures++;
      console.error(`${kernels} loss: webgpu ${total} vs float64 ${expected}`);
    }
    console.log(`deno gradient check (${kernels} kernels): ${layout.size} parameters, ${failures} mismatches so far, loss ${total.toFixed(6)} (float64 ${expected.toFixed(6)}), counters ${JSON.stringify(trainer.counters)}`);
  } finally {
    trainer.dispose();
  }
}
Deno.exit(failures === 0 ? 0 : 1);
