// A training worker that fails, in each way it can, rejects Agent.create (or the pending update) with a
// WorkerError carrying its code, promptly: never a hang. Real worker threads run the fixtures; the happy path
// through the built worker is tested on the packed tarball (test/package/).
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { WorkerError } from '../../src/errors.js';
import { Discrete, Box } from '../../src/spaces.js';
import { createWorkerTrainer } from '../../src/worker/remote-trainer.js';
import { resolvePPOConfig } from '../../src/config.js';
import { resolveNetworkSpec } from '../../src/policy/network.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const create = (trainInWorker: unknown) => Agent.create({
  observationSpace: Box(4), actionSpace: Discrete(2), numAgents: 2, backend: 'cpu', network: { hidden: [8] },
  ppo: { numSteps: 8 }, trainInWorker: trainInWorker as never,
});

async function rejection(promise: Promise<unknown>): Promise<WorkerError> {
  const started = performance.now();
  const error = await promise.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkerError);
  expect(performance.now() - started).toBeLessThan(15_000);
  return error as WorkerError;
}

const ports: MessagePort[] = [];
afterEach(() => { for (const port of ports.splice(0)) port.close(); });

describe('a failing training worker', () => {
  it('whose script throws while loading: E_WORKER with the thrown message', async () => {
    const error = await rejection(create(fixture('throws.mjs')));
    expect(error.code).toBe('E_WORKER');
    expect(error.message).toMatch(/^webppo: trainInWorker: the training worker .*throws\.mjs.* failed: broken worker bundle/);
  });

  it('that exits while building its trainer: E_WORKER_EXITED with the exit code', async () => {
    const error = await rejection(create(fixture('exits.mjs')));
    expect(error.code).toBe('E_WORKER_EXITED');
    expect(error.message).toMatch(/exited with code 3/);
  });

  it('that never answers: E_WORKER_START_TIMEOUT after startTimeoutMs, and later calls reject the same way', async () => {
    const channel = new MessageChannel();
    ports.push(channel.port1, channel.port2); // nothing serves port1
    const promise = createWorkerTrainer({
      worker: channel.port2 as never, startTimeoutMs: 200, seed: 0,
      policy: { observationSize: 4, actionSpace: Discrete(2), network: resolveNetworkSpec({ hidden: [8] }) }, ppo: resolvePPOConfig({ numSteps: 8 }),
    });
    const error = await rejection(promise);
    expect(error.code).toBe('E_WORKER_START_TIMEOUT');
    expect(error.message).toMatch(/did not answer within 200 ms/);
  });

  it('rejects a bad startTimeoutMs naming it', async () => {
    await expect(createWorkerTrainer({ worker: new MessageChannel().port1 as never, startTimeoutMs: -1 } as never)).rejects.toThrow(/startTimeoutMs: expected a number of milliseconds > 0, got -1/);
  });
});
