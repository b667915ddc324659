// The exported ONNX model in onnxruntime-web (its wasm backend, served from this repository's node_modules)
// inside headless Chromium, against predict() and the wasm critic in Node, for every head type; and recurrent
// models (LSTM / GRU operators, state_in -> state_out) for one step from given states against CpuPolicy.
import { describe, expect, it } from 'vitest';
import { collectErrors } from '../browser/chromium.js';
import { servedChromium } from '../browser/served.js';
import { Agent } from '../../src/agent/agent.js';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import { init } from '../../src/init.js';
import { exportOnnx } from '../../src/interop/onnx/index.js';
import { PCG32 } from '../../src/rng.js';
import { actionSize, Box, Discrete, logitCount } from '../../src/spaces.js';
import { checkpointFor, gaussian, POLICY_CASES, randomMasks, wasmForward } from './fixtures.js';

const served = servedChromium();

interface WebCase { model: number[]; observation: number[]; mask: number[] | null; rows: number; size: number; logits: number; state?: number[] }
type WebResult = { action: number[]; value: number[]; state: number[] | null };

async function runInChromium(cases: WebCase[]): Promise<WebResult[]> {
  const page = await served.browser.newPage();
  const errors = collectErrors(page);
  await page.goto(`${served.url}test/interop/ort-web.html`);
  await page.waitForFunction(() => (globalThis as { ortReady?: boolean }).ortReady === true, undefined, { timeout: 60_000 });
  const results = await page.evaluate((all) => (globalThis as unknown as { runOnnx(c: WebCase[]): Promise<WebResult[]> }).runOnnx(all), cases);
  await page.close();
  expect(errors).toEqual([]);
  return results;
}

describe('ONNX export in onnxruntime-web (Chromium)', () => {
  it('gives the actions of predict() and the values of the critic for every head type', async () => {
    await init();
    const expected: { actions: number[]; values: Float32Array; box: boolean; name: string }[] = [];
    const cases: WebCase[] = [];
    for (const [k, c] of POLICY_CASES.entries()) {
      const fixture = checkpointFor(c.options, 700 + k);
      const { policy, numAgents } = fixture;
      const rng = new PCG32(800 + k);
      const observations = gaussian(rng, numAgents * policy.observationSize, 2);
      const masks = c.options.masks ? randomMasks(policy.actionSpace, numAgents, rng) : undefined;
      const agent = await Agent.load(fixture.bytes, { backend: 'cpu' });
      const actions = Array.from(agent.predict(observations, { masks }));
      const model = await agent.exportOnnx();
      agent.dispose();
      expect(actions.length).toBe(numAgents * actionSize(policy.actionSpace));
      expected.push({ actions, values: wasmForward(fixture, observations, numAgents, masks).values, box: policy.actionSpace.kind === 'box', name: c.name });
      cases.push({ model: Array.from(model), observation: Array.from(observations), mask: masks ? Array.from(masks) : null, rows: numAgents, size: policy.observationSize, logits: logitCount(policy.actionSpace) });
    }

    const results = await runInChromium(cases);

    for (const [k, e] of expected.entries()) {
      const got = results[k];
      expect(got.value.length, e.name).toBe(e.values.length);
      got.value.forEach((v, i) => expect(Math.abs(v - e.values[i]), `${e.name} value ${i}`).toBeLessThan(1e-5));
      if (e.box) got.action.forEach((a, i) => expect(Math.abs(a - e.actions[i]), `${e.name} action ${i}`).toBeLessThan(1e-5));
      else expect(got.action, e.name).toEqual(e.actions);
    }
  }, 180_000);

  it('runs recurrent models (LSTM and GRU operators) one step from given states as CpuPolicy does', async () => {
    await init();
    const recurrent = [
      { observationSpace: Box(4), actionSpace: Discrete(3), network: { hidden: [8], memory: { cell: 'lstm' as const, size: 6 } } },
      { observationSpace: Box(3), actionSpace: Box(2), network: { hidden: [5], shared: true, memory: { cell: 'gru' as const, size: 7 } } },
    ];
    const expected: { actions: Float32Array | Int32Array; values: Float32Array; states: Float32Array }[] = [];
    const cases: WebCase[] = [];
    for (const [k, options] of recurrent.entries()) {
      const fixture = checkpointFor(options, 900 + k);
      const { policy, numAgents: rows } = fixture;
      const rng = new PCG32(910 + k);
      const S = fixture.layout.stateSize;
      const observations = gaussian(rng, rows * policy.observationSize, 1.5);
      const state = gaussian(rng, rows * S, 0.5);
      const cpu = new CpuPolicy(policy, { parameters: fixture.parameters, maxAgents: rows });
      cpu.setStates(state);
      const per = actionSize(policy.actionSpace);
      const out = { actions: policy.actionSpace.kind === 'box' ? new Float32Array(rows * per) : new Int32Array(rows * per), logProbs: new Float32Array(rows), values: new Float32Array(rows) };
      cpu.act(observations, out, { deterministic: true });
      const states = new Float32Array(rows * S);
      cpu.copyStates(states);
      cpu.dispose();
      expected.push({ actions: out.actions, values: out.values, states });
      const model = await exportOnnx(fixture.bytes);
      cases.push({ model: Array.from(model), observation: Array.from(observations), mask: null, rows, size: policy.observationSize, logits: logitCount(policy.actionSpace), state: Array.from(state) });
    }
    const results = await runInChromium(cases);
    for (const [k, e] of expected.entries()) {
      const got = results[k];
      got.value.forEach((v, i) => expect(Math.abs(v - e.values[i]), `case ${k} value ${i}`).toBeLessThan(2e-5));
      got.state!.forEach((v, i) => expect(Math.abs(v - e.states[i]), `case ${k} state ${i}`).toBeLessThan(2e-5));
      if (e.actions instanceof Float32Array) got.action.forEach((a, i) => expect(Math.abs(a - e.actions[i]), `case ${k} action ${i}`).toBeLessThan(2e-5));
      else expect(got.action, `case ${k}`).toEqual(Array.from(e.actions));
    }
  }, 180_000);
});
