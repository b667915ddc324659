// The worker trainer against the local one: same options, same batch, same plan -> bit-identical stats and
// parameters. The two ends talk over a MessageChannel here (same messages, transfers and shared buffers as a
// Web Worker); the browser tests run the real Worker through the demo.
import { afterEach, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createTrainer } from '../../src/backend/index.js';
import type { Batch, Trainer } from '../../src/backend/trainer.js';
import { resolvePPOConfig } from '../../src/config.js';
import { resolveNetworkSpec } from '../../src/policy/network.js';
import { Discrete } from '../../src/spaces.js';
import { createMinibatchPlan } from '../../src/storage/plan.js';
import { RemoteTrainer } from '../../src/worker/remote-trainer.js';
import { serveTrainer } from '../../src/worker/serve.js';
import type { MessageEndpoint } from '../../src/worker/protocol.js';

const T = 8, N = 4, OBS = 3, ACTIONS = 3;
const options = () => ({
  policy: { observationSize: OBS, actionSpace: Discrete(ACTIONS), network: resolveNetworkSpec({ hidden: [8] }) },
  ppo: resolvePPOConfig({ numSteps: T, numEpochs: 2, numMinibatches: 2 }),
  seed: 3,
});

function randomBatch(seed: number): Batch {
  let s = seed;
  const rand = () => { s = (s * 1103515245 + 12345) >>> 0; return s / 4294967296; };
  const rows = T * N;
  const f = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  return {
    numSteps: T, numEnvs: N, observations: f(rows * OBS), actions: Int32Array.from({ length: rows }, () => Math.floor(rand() * ACTIONS)),
    logProbs: Float32Array.from({ length: rows }, () => Math.log(1 / ACTIONS) + (rand() - 0.5) * 0.1), values: f(rows, 0.5),
    advantages: f(rows), returns: f(rows),
  };
}

const open: { close(): void }[] = [];
afterEach(() => { for (const port of open.splice(0)) port.close(); });

async function pair(transport: 'transfer' | 'shared'): Promise<{ local: Trainer; remote: RemoteTrainer }> {
  await init();
  const channel = new MessageChannel();
  open.push(channel.port1, channel.port2);
  serveTrainer(channel.port1 as unknown as MessageEndpoint);
  const remote = await RemoteTrainer.create({ ...options(), backend: 'cpu', worker: channel.port2 as unknown as MessageEndpoint, transport });
  const local = await createTrainer({ ...options(), backend: 'cpu' });
  return { local, remote };
}

describe('RemoteTrainer (trainInWorker)', () => {
  for (const transport of ['transfer', 'shared'] as const) {
    it(`matches the local trainer bit for bit (${transport} buffers)`, async () => {
      const { local, remote } = await pair(transport);
      expect(remote.transport).toBe(transport);
      expect(remote.backend).toBe('cpu');
      expect(remote.parameterLayout).toEqual(local.parameterLayout);
      expect(await remote.getParameters()).toEqual(await local.getParameters());
      for (let k = 0; k < 3; k++) {
        const batch = randomBatch(k + 1);
        const before = batch.observations.slice();
        const plan = createMinibatchPlan({ numSteps: T, numEnvs: N, numEpochs: 2, numMinibatches: 2, unit: 'rows', mode: 'shuffled', seed: k });
        remote.setHyperparameters({ learningRate: 1e-2 * (k + 1) });
        local.setHyperparameters({ learningRate: 1e-2 * (k + 1) });
        const [a, b] = await Promise.all([remote.update(batch, plan), local.update(batch, plan)]);
        expect(a).toEqual(b);
        // The caller's arrays were copied, never transferred away.
        expect(batch.observations).toEqual(before);
      }
      expect(await remote.getParameters()).toEqual(await local.getParameters());
      const [ra, la] = await Promise.all([remote.getOptimizerState(), local.getOptimizerState()]);
      expect(ra).toEqual(la);
      const g = await Promise.all([remote.computeGradients(randomBatch(9)), local.computeGradients(randomBatch(9))]);
      expect(g[0]).toEqual(g[1]);
      remote.dispose(); local.dispose();
    });
  }

  it('clones demonstrations (imitate, computeImitationGradients) exactly as the local trainer does', async () => {
    const { local, remote } = await pair('transfer');
    const batch = randomBatch(5);
    const demo = { rows: T * N, observations: batch.observations, actions: batch.actions, returns: batch.returns };
    const plan = createMinibatchPlan({ numSteps: T * N, numEnvs: 1, numEpochs: 2, numMinibatches: 4, unit: 'rows', mode: 'shuffled', seed: 2 });
    const options = { criticCoef: 0.5, learningRate: 0.01 };
    const [a, b] = await Promise.all([remote.imitate(demo, plan, options), local.imitate(demo, plan, options)]);
    expect(a).toEqual(b);
    expect(a.minibatches).toBe(8);
    expect(await remote.getParameters()).toEqual(await local.getParameters());
    const g = await Promise.all([remote.computeImitationGradients(demo), local.computeImitationGradients(demo)]);
    expect(g[0]).toEqual(g[1]);
    await expect(remote.imitate({ ...demo, actions: new Int32Array(3) })).rejects.toThrow(/demo\.actions/);
    remote.dispose(); local.dispose();
  });

  it('clones demonstrations into a recurrent network as the local trainer does (streams and episode ends cross over)', async () => {
    await init();
    const channel = new MessageChannel();
    open.push(channel.port1, channel.port2);
    serveTrainer(channel.port1 as unknown as MessageEndpoint);
    const recurrent = { ...options(), policy: { ...options().policy, network: resolveNetworkSpec({ hidden: [4], memory: { cell: 'gru', size: 4, sequenceLength: 3 } }) } };
    const remote = await RemoteTrainer.create({ ...recurrent, backend: 'cpu', worker: channel.port2 as unknown as MessageEndpoint, transport: 'transfer' });
    const local = await createTrainer({ ...recurrent, backend: 'cpu' });
    const batch = randomBatch(6);
    const rows = T * N;
    const demo = {
      rows, observations: batch.observations, actions: batch.actions,
      streams: Int32Array.from({ length: rows }, (_, i) => i % N), episodeEnds: Uint8Array.from({ length: rows }, (_, i) => (i % 7 === 3 ? 1 : 0)),
    };
    const [a, b] = await Promise.all([remote.imitate(demo), local.imitate(demo)]);
    expect(a).toEqual(b);
    expect(await remote.getParameters()).toEqual(await local.getParameters());
    await expect(remote.imitate({ ...demo, streams: undefined })).rejects.toThrow(/demo\.streams/);
    remote.dispose(); local.dispose();
  });

  it('sets parameters and optimizer state across the boundary', async () => {
    const { local, remote } = await pair('transfer');
    const flat = (await local.getParameters()).map((v, i) => v + 0.001 * (i % 7));
    remote.setParameters(flat);
    expect(await remote.getParameters()).toEqual(flat);
    const state = await local.getOptimizerState();
    remote.setOptimizerState({ m: state.m.map(() => 0.5), v: state.v.map(() => 0.25), step: 7 });
    const back = await remote.getOptimizerState();
    expect(back.step).toBe(7);
    expect(back.m.every((x) => x === 0.5)).toBe(true);
    remote.dispose(); local.dispose();
  });

  it('rejects bad input before sending it, naming the field, and stays usable', async () => {
    const { local, remote } = await pair('transfer');
    await expect(remote.update({ ...randomBatch(1), actions: new Int32Array(3) })).rejects.toThrow(/batch\.actions/);
    expect(() => remote.setParameters(new Float32Array(2))).toThrow(/setParameters\(flat\): expected a Float32Array of length \d+, got a Float32Array of length 2/);
    const nan = (await local.getParameters()).slice(); nan[4] = NaN;
    expect(() => remote.setParameters(nan)).toThrow(/setParameters\(flat\)\[4\]: expected a finite number, got NaN/);
    expect(await remote.getParameters()).toEqual(await local.getParameters());
    remote.dispose(); local.dispose();
  });

  it("passes the worker's own errors back with their message", async () => {
    const channel = new MessageChannel();
    open.push(channel.port1, channel.port2);
    serveTrainer(channel.port1 as unknown as MessageEndpoint);
    await expect(RemoteTrainer.create({ ...options(), backend: 'nope' as 'cpu', worker: channel.port2 as unknown as MessageEndpoint }))
      .rejects.toThrow(/backend.*\(in the training worker\)/);
  });
});
