// Agent.create({ trainInWorker }): the same agent trained through a worker endpoint and in this thread ends
// with the same parameters and the same checkpoint; the option itself is validated and never saved.
import { afterEach, describe, expect, it, vi } from 'vitest';
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

/**
 * An endpoint in front of `inner` that records the agent's step count when the worker's last answer of each
 * update arrives (the Adam state the Agent reads to check the update: the update is then done); `late`,
 * it holds the worker's replies from each of the first `held` update requests until open() (called at the
 * rollout boundary; the last update is awaited after the last rollout, with no boundary to open it).
 */
function relayEndpoint(inner: MessageEndpoint, late: boolean, holds = 3) {
  const listeners = new Set<(event: MessageEvent) => void>();
  const held: MessageEvent[] = [];
  let holding = false;
  const ops = new Map<number, string>();
  let updated = false;
  const deliver = (event: MessageEvent) => {
    const op = ops.get((event.data as { id: number }).id);
    if (op === 'update') updated = true;
    if (op === 'getOptimizerState' && updated) {
      updated = false;
      relay.answeredAt.push(relay.steps());
    }
    for (const listener of listeners) listener(event);
  };
  inner.addEventListener('message', (event) => (holding ? held.push(event) : deliver(event)));
  const relay = {
    answeredAt: [] as number[],
    steps: () => 0,
    open() {
      holding = false;
      for (const event of held.splice(0)) deliver(event);
    },
    endpoint: {
      postMessage(message: unknown, transfer?: unknown[]) {
        const { op, id } = message as { op: string; id: number };
        ops.set(id, op);
        if (late && op === 'update' && holds-- > 0) holding = true;
        inner.postMessage(message, transfer as Transferable[]);
      },
      addEventListener: (type: string, listener: (event: MessageEvent) => void) => { if (type === 'message') listeners.add(listener); },
      removeEventListener: (_type: string, listener: (event: MessageEvent) => void) => { listeners.delete(listener); },
      start: () => inner.start?.(),
    } satisfies MessageEndpoint,
  };
  return relay;
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

  it('ends with the same parameters whether each update finishes early (mid-rollout) or late (after the rollout)', async () => {
    // A fake clock makes train() yield to the event loop after every step, so a reply can land anywhere in the
    // rollout; a relay in front of the worker either passes its replies on at once (the update finishes a few
    // steps into the next rollout) or holds them until that rollout is collected. Which policy acts on which
    // step must not depend on it: the new parameters swap in at the rollout boundary either way.
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += 20));
    try {
      const runs = [];
      for (const late of [false, true, false]) {
        const relay = relayEndpoint(workerEndpoint(), late);
        const agent = await create(relay.endpoint);
        relay.steps = () => agent.steps;
        const events: { lagged: boolean; steps: number }[] = [];
        agent.on('update', (e) => events.push({ lagged: e.lagged, steps: agent.steps }));
        await train(agent, vectorize(env, 4), { totalSteps: 4 * 32 * 4, overlap: true, onProgress: (e) => { if (e.type === 'rollout') relay.open(); } });
        runs.push({ late, answeredAt: relay.answeredAt, events, parameters: await agent.getParameters() });
        agent.dispose();
      }
      // The orders really differ: early, each overlapped update is done inside the next rollout; late, at its end.
      const rollout = 4 * 32;
      for (const run of runs) {
        const overlapped = run.answeredAt.slice(0, -1); // the last update runs after the last rollout, not alongside one
        expect(overlapped.length).toBe(3);
        for (const steps of overlapped) expect(steps % rollout === 0, `${run.late ? 'late' : 'early'}: answered at step ${steps}`).toBe(run.late);
      }
      for (const run of runs) {
        // Each overlapped update reaches act() at the end of the rollout collected while it trained.
        expect(run.events).toEqual([
          { lagged: false, steps: 2 * rollout }, { lagged: true, steps: 3 * rollout }, { lagged: true, steps: 4 * rollout }, { lagged: true, steps: 4 * rollout },
        ]);
        expect(run.parameters).toEqual(runs[0].parameters);
      }
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('rejects a bad overlap naming it, before anything changes', async () => {
    const agent = await create(workerEndpoint());
    await expect(train(agent, vectorize(env, 4), { totalSteps: 128, overlap: 'yes' as never })).rejects.toThrow(/overlap: expected a boolean, got "yes"/);
    expect(agent.steps).toBe(0);
    agent.dispose();
  });
});
