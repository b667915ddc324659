// Shared by the hardening tests: a small CPU agent that has trained a little (so its checkpoint holds an
// unfinished rollout, optimizer moments and normalization statistics), and ways to tell whether it changed.
import { expect } from 'vitest';
import { Agent, type AgentOptions, Box, Discrete, WebppoError } from '../../src/index.js';
import { wasm } from '../../src/init.js';

export const SEED = 0x5eed;
/** Runs per property; FUZZ_RUNS raises it for a longer search. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 0) || undefined;

export function wasmMemoryBytes(): number {
  return (wasm().memory.buffer as ArrayBuffer).byteLength;
}

export const AGENT_OPTIONS: AgentOptions = {
  observationSpace: Box(3), actionSpace: Discrete(3), numAgents: 2, backend: 'cpu', seed: 7, masks: true,
  network: { hidden: [8] }, ppo: { numSteps: 4, numEpochs: 1, numMinibatches: 2, normalizeObservations: true, normalizeRewards: true },
};

/** An agent after `ticks` ticks (one update at 4; an unfinished rollout after). */
export async function trainedAgent(ticks = 6, options: AgentOptions = AGENT_OPTIONS): Promise<Agent> {
  const agent = await Agent.create(options);
  await tick(agent, ticks);
  return agent;
}

export async function tick(agent: Agent, ticks: number): Promise<void> {
  const n = agent.numAgents;
  const obs = new Float32Array(n * agent.observationSize);
  const masks = new Uint8Array(n * 3).fill(1);
  for (let t = 0; t < ticks; t++) {
    for (let i = 0; i < obs.length; i++) obs[i] = Math.sin(t * 7 + i);
    agent.act(obs, agent.options.masks ? { masks } : undefined);
    agent.observe(Float32Array.from({ length: n }, (_, e) => Math.cos(t + e)), new Uint8Array(n).fill(t % 5 === 4 ? 1 : 0), new Uint8Array(n));
    await agent.whenIdle();
  }
}

/** The error is one of webppo's documented classes, with a code. */
export function expectDocumented(error: unknown): asserts error is WebppoError {
  expect(error).toBeInstanceOf(WebppoError);
  expect((error as WebppoError).code).toMatch(/^E_[A-Z_]+$/);
  expect((error as Error).message).not.toMatch(/\(Object\)|null\]|\[object Object\]/);
}

export function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
