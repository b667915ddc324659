// Agent.create({ trainInWorker }): the same agent trained through a worker endpoint and in this thread ends
// with the same parameters and the same checkpoint; the option itself is validated and never saved.
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { makeEnv } from '../../src/envs/index.js';
import { vectorize } from '../../src/envs/vector.js';
import { train } from '../../src/train.js';
import type { MessageEndpoint } from '../../src/worker/protocol.js';
import { serveTrainer } from '../../src/worker/serve.js';

const env = () => makeEnv('CartPole-v1');
const ports: { close(): void }[] = [];
afterEach(() => { for (const port of ports.splice(0)) port.close(); });

function workerEndpoint(): MessageEndpoint {
  const channel = new MessageChannel();
  ports.push(channel.port1, channel.port2);
  serveTrainer(channel.port1 as unknown as MessageEndpoint);
  return channel.port2 as unknown as MessageEndpoint;
}

const create = (trainInWorker?: MessageEndpoint | boolean) => Agent.create({
  observationSpace: env().observationSpace, actionSpace: env().actionSpace, numAgents: 4, backend: 'cpu', seed: 9,
  network: { hidden: [16] }, ppo: { numSteps: 32 }, trainInWorker,
});

describe('Agent with trainInWorker', () => {
  it('trains exactly as in this thread, and saves the same checkpoint', async () => {
    const here = await create();
    const there = await create(workerEndpoint());
    for (const agent of [here, there]) await train(agent, vectorize(env, 4), { totalSteps: 4 * 32 * 3 });
    expect(there.updates).toBe(3);
    expect(await there.getParameters()).toEqual(await here.getParameters());
    expect(await there.save()).toEqual(await here.save());
    // A checkpoint trained in a worker loads anywhere, in a worker or not.
    const loaded = await Agent.load(await there.save(), { trainInWorker: workerEndpoint() });
    expect(await loaded.getParameters()).toEqual(await here.getParameters());
    expect(loaded.updates).toBe(3);
    for (const agent of [here, there, loaded]) agent.dispose();
  });

  it('rejects a bad trainInWorker naming the option', async () => {
    await expect(create(42 as never)).rejects.toThrow(/trainInWorker: expected a boolean, a worker script URL, or a Worker, got 42/);
  });

  it('starts a worker thread in Node; from the source tree (no dist/worker.js) it says the script is missing', async () => {
    await expect(create(true)).rejects.toThrow(/^webppo: trainInWorker: the training worker \(file:.*\/worker\.js\) failed: Cannot find module/);
  });
});

describe('train() with a worker', () => {
  it('overlaps rollouts and updates when asked: every batch after the first lags one update, reproducibly', async () => {
    const lagged: boolean[][] = [];
    const parameters: Float32Array[] = [];
    for (let run = 0; run < 2; run++) {
      const agent = await create(workerEndpoint());
      const flags: boolean[] = [];
      agent.on('update', (e) => flags.push(e.lagged));
      await train(agent, vectorize(env, 4), { totalSteps: 4 * 32 * 3, overlap: true });
      lagged.push(flags);
      parameters.push(await agent.getParameters());
      agent.dispose();
    }
    expect(lagged).toEqual([[false, true, true], [false, true, true]]);
    expect(parameters[1]).toEqual(parameters[0]);
  });

  it('rejects a bad overlap naming it, before anything changes', async () => {
    const agent = await create(workerEndpoint());
    await expect(train(agent, vectorize(env, 4), { totalSteps: 128, overlap: 'yes' as never })).rejects.toThrow(/overlap: expected a boolean, got "yes"/);
    expect(agent.steps).toBe(0);
    agent.dispose();
  });
});
