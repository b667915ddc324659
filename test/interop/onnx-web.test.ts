// The exported ONNX model in onnxruntime-web (its wasm backend, served from this repository's node_modules)
// inside headless Chromium, against predict() and the wasm critic in Node, for every head type.
import { describe, expect, it } from 'vitest';
import { collectErrors } from '../browser/chromium.js';
import { servedChromium } from '../browser/served.js';
import { Agent } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { PCG32 } from '../../src/rng.js';
import { actionSize, logitCount } from '../../src/spaces.js';
import { checkpointFor, gaussian, POLICY_CASES, randomMasks, wasmForward } from './fixtures.js';

const served = servedChromium();

interface WebCase { model: number[]; observation: number[]; mask: number[] | null; rows: number; size: number; logits: number }

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

    const page = await served.browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${served.url}test/interop/ort-web.html`);
    await page.waitForFunction(() => (globalThis as { ortReady?: boolean }).ortReady === true, undefined, { timeout: 60_000 });
    const results = await page.evaluate((all) => (globalThis as unknown as { runOnnx(c: WebCase[]): Promise<{ action: number[]; value: number[] }[]> }).runOnnx(all), cases);
    await page.close();
    expect(errors).toEqual([]);

    for (const [k, e] of expected.entries()) {
      const got = results[k];
      expect(got.value.length, e.name).toBe(e.values.length);
      got.value.forEach((v, i) => expect(Math.abs(v - e.values[i]), `${e.name} value ${i}`).toBeLessThan(1e-5));
      if (e.box) got.action.forEach((a, i) => expect(Math.abs(a - e.actions[i]), `${e.name} action ${i}`).toBeLessThan(1e-5));
      else expect(got.action, e.name).toEqual(e.actions);
    }
  }, 180_000);
});
