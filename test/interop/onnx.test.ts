// The exported ONNX model, run by onnxruntime-node, against predict() (deterministic actions), the wasm
// critic, and a float64 reference forward pass, for every head type and activation.
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { exportOnnx } from '../../src/interop/onnx/index.js';
import { CheckpointError } from '../../src/policy/checkpoint.js';
import { PCG32 } from '../../src/rng.js';
import { actionSize, logitCount } from '../../src/spaces.js';
import { checkpointFor, gaussian, POLICY_CASES, randomMasks, referenceForward, wasmForward } from './fixtures.js';

const sessions: ort.InferenceSession[] = [];
afterAll(async () => { for (const s of sessions) await s.release(); });

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(model);
  sessions.push(session);
  return session.run(feeds);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('ONNX export', () => {
  for (const [index, c] of POLICY_CASES.entries()) {
    it(`matches predict(), the critic and a float64 reference: ${c.name}`, async () => {
      await init();
      const fixture = checkpointFor(c.options, 100 + index);
      const { policy, numAgents } = fixture;
      const agent = await Agent.load(fixture.bytes, { backend: 'cpu' });
      try {
        const rng = new PCG32(7 + index);
        const observations = gaussian(rng, numAgents * policy.observationSize, 2);
        const logits = logitCount(policy.actionSpace);
        const masks = c.options.masks ? randomMasks(policy.actionSpace, numAgents, rng) : undefined;
        const expectedActions = agent.predict(observations, { masks }).slice();

        // The wasm critic on the agent's normalized observations.
        const out = wasmForward(fixture, observations, numAgents, masks);

        const reference = referenceForward(fixture, observations, numAgents);
        const fromAgent = await agent.exportOnnx();
        const fromFile = await exportOnnx(fixture.bytes);
        expect(fromFile).toEqual(fromAgent);

        const feeds: Record<string, ort.Tensor> = { observation: new ort.Tensor('float32', observations, [numAgents, policy.observationSize]) };
        if (masks) feeds.action_mask = new ort.Tensor('uint8', masks, [numAgents, logits]);
        const result = await run(fromAgent, feeds);

        expect(result.value.dims).toEqual([numAgents]);
        expect(maxAbsDiff(result.value.data as Float32Array, out.values)).toBeLessThan(1e-5);
        expect(maxAbsDiff(result.value.data as Float32Array, reference.values)).toBeLessThan(1e-5);
        const head = policy.actionSpace.kind === 'box' ? result.action_mean : result.logits;
        expect(maxAbsDiff(head.data as Float32Array, reference.actor.flatMap((row) => Array.from(row)))).toBeLessThan(1e-5);
        const actions = result.action;
        expect(actions.dims).toEqual([numAgents, actionSize(policy.actionSpace)]);
        if (policy.actionSpace.kind === 'box') {
          expect(maxAbsDiff(actions.data as Float32Array, expectedActions)).toBeLessThan(1e-5);
          const logStd = fixture.layout.parameters.find((p) => p.name === 'log_std')!;
          expect(Array.from(result.action_log_std.data as Float32Array)).toEqual(Array.from(fixture.parameters.subarray(logStd.offset, logStd.offset + policy.actionSpace.size)));
        } else {
          expect(Array.from(actions.data as BigInt64Array, Number)).toEqual(Array.from(expectedActions));
        }
        // A batch of one row through the same model: the batch dimension is dynamic.
        const one: Record<string, ort.Tensor> = { observation: new ort.Tensor('float32', observations.slice(0, policy.observationSize), [1, policy.observationSize]) };
        if (masks) one.action_mask = new ort.Tensor('uint8', masks.slice(0, logits), [1, logits]);
        const single = await run(fromAgent, one);
        expect(Math.abs((single.value.data as Float32Array)[0] - (result.value.data as Float32Array)[0])).toBeLessThan(1e-6);
      } finally {
        agent.dispose();
      }
    });
  }

  it('rejects bytes that are not a checkpoint with a CheckpointError', async () => {
    await expect(exportOnnx(new Uint8Array(16))).rejects.toThrow(CheckpointError);
    await expect(exportOnnx(new Uint8Array(3))).rejects.toThrow(/truncated/);
  });
});
