// Finding: byte counts wrapped past 32 bits, an allocation then corrupted the shared wasm module, and a
// failed create left hundreds of MB committed. Every size is now computed in f64 and checked before anything
// is allocated; these calls must fail with a SizeError and leave memory and every agent as they were.
import { describe, expect, it } from 'vitest';
import { Agent, Box, createMinibatchPlan, Discrete, init, RolloutBuffer, samplePrioritized, SizeError } from '../../src/index.js';
import { allocBlock, MAX_BLOCK_BYTES, wasmBytesInUse } from '../../src/wasm-memory.js';
import { AGENT_OPTIONS, expectDocumented, tick, trainedAgent, wasmMemoryBytes } from './helpers.js';

function rejects(call: () => unknown, field: RegExp): SizeError {
  let caught: unknown;
  try { call(); } catch (error) { caught = error; }
  expectDocumented(caught);
  expect(caught).toBeInstanceOf(SizeError);
  expect((caught as SizeError).code).toBe('E_SIZE');
  expect((caught as SizeError).field).toMatch(field);
  return caught as SizeError;
}

describe('sizes are checked before anything is allocated', () => {
  it('oversized standalone calls and creates are rejected, memory stays, every agent keeps working', async () => {
    await init();
    const agent = await trainedAgent();
    const before = await agent.save();
    const memory = wasmMemoryBytes(), inUse = wasmBytesInUse();
    const priorities = new Float32Array(8).fill(1);
    rejects(() => samplePrioritized({ priorities, count: 2 ** 30 + 1, alpha: 0.6, beta: 0.4, seed: 1 }), /^count$/);
    rejects(() => createMinibatchPlan({ numSteps: 4, numEnvs: 4, numEpochs: 2 ** 28, numMinibatches: 2, unit: 'rows', mode: 'shuffled', seed: 1 }), /^numEpochs$/);
    rejects(() => RolloutBuffer.create({ numSteps: 2 ** 16, numEnvs: 2 ** 16, observationSize: 4, actionSpace: Discrete(2) }), /numSteps x numEnvs/);
    rejects(() => allocBlock(2 ** 32 + 16), /wasm memory/);
    for (const [options, field] of [
      [{ numAgents: 2 ** 20, ppo: { numSteps: 128 } }, /^numAgents$/],
      [{ numAgents: 100_000, ppo: { numSteps: 128 } }, /^numAgents$/],
      [{ ppo: { numEpochs: 2 ** 28 } }, /^ppo\.numEpochs$/],
      [{ ppo: { numSteps: 2 ** 30 } }, /^ppo\.numSteps$/],
      [{ network: { hidden: [65536, 65536] } }, /^network\.hidden$/],
      [{ observationSpace: Box(2 ** 22), network: { hidden: [1024] } }, /^observationSpace$/],
    ] as const) {
      let caught: unknown;
      try { await Agent.create({ ...AGENT_OPTIONS, ...options } as never); } catch (error) { caught = error; }
      expect(caught, Object.keys(options).join()).toBeInstanceOf(SizeError);
      expect((caught as SizeError).field).toMatch(field);
    }
    expect(wasmMemoryBytes()).toBe(memory);
    expect(wasmBytesInUse()).toBe(inUse);
    expect(await agent.save()).toEqual(before);
    await tick(agent, 4);
    expect(agent.updates).toBe(2);
    const other = await Agent.create(AGENT_OPTIONS);
    await tick(other, 5);
    expect(other.updates).toBe(1);
    agent.dispose();
    other.dispose();
  });

  it('the largest agent that fits is accepted and the error says how many fit', async () => {
    let caught: SizeError | undefined;
    try { await Agent.create({ ...AGENT_OPTIONS, numAgents: 1_000_000, ppo: { ...AGENT_OPTIONS.ppo, numSteps: 128 } }); } catch (error) { caught = error as SizeError; }
    const most = Number(/at most about (\d+)/.exec(caught!.message)![1]);
    expect(most).toBeGreaterThan(1000);
    expect(caught!.bytes).toBeGreaterThan(caught!.limit);
    expect(MAX_BLOCK_BYTES).toBeLessThan(2 ** 30);
  });
});
