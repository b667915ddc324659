// The agent in someone else's game: a throwing listener, a game that outruns training (backpressure, a save
// asked for mid-game), a failing env inside train(), an abort from a timer, and schedules that survive
// train() and a checkpoint.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent, type DroppedEvent, type UpdateEvent } from '../../src/agent/agent.js';
import { EnvError } from '../../src/envs/env-error.js';
import type { Env, VectorEnv } from '../../src/envs/env.js';
import { vectorize } from '../../src/envs/vector.js';
import { init, wasm } from '../../src/init.js';
import { linear } from '../../src/schedule.js';
import { train } from '../../src/train.js';
import { cartpole, gameLoop, spaces, turn } from './helpers.js';

beforeAll(() => init());
afterEach(() => { vi.restoreAllMocks(); });

describe('listener errors', () => {
  it("a throwing listener goes to the 'error' listeners and training goes on", async () => {
    const agent = await Agent.create({ ...spaces, numAgents: 2, backend: 'cpu', ppo: { numSteps: 4, numEpochs: 1, numMinibatches: 1 } });
    const errors: Error[] = [];
    agent.on('error', (e) => errors.push(e));
    agent.on('update', () => { throw new Error('boom'); });
    agent.on('episode', () => { throw new Error('bang'); });
    const game = gameLoop(agent);
    for (let t = 0; t < 40; t++) { game.tick(); await turn(); }
    await agent.whenIdle();
    expect(agent.updates).toBeGreaterThanOrEqual(9);
    expect(errors.some((e) => /an 'update' listener threw: boom/.test(e.message))).toBe(true);
    expect(errors.some((e) => /an 'episode' listener threw: bang/.test(e.message))).toBe(true);
    expect(agent.health.listenerErrors).toBe(errors.length);
    agent.dispose();
  });

  it("without error listeners it is reported once through the agent's logger, and nothing is thrown at the process", async () => {
    const report = vi.fn();
    const logger = { error: report, warn: () => {}, info: () => {}, debug: () => {} };
    const agent = await Agent.create({ ...spaces, numAgents: 2, backend: 'cpu', ppo: { numSteps: 4, numEpochs: 1, numMinibatches: 1 }, logger, logLevel: 'error' });
    agent.on('update', () => { throw new Error('boom'); });
    const game = gameLoop(agent);
    for (let t = 0; t < 30; t++) { game.tick(); await turn(); }
    await agent.whenIdle();
    await turn();
    expect(agent.updates).toBeGreaterThanOrEqual(6);
    expect(report).toHaveBeenCalledTimes(1);
    expect(String(report.mock.calls[0][0])).toMatch(/an 'update' listener threw: boom/);
    expect(agent.health.listenerErrors).toBe(agent.updates);
    agent.dispose();
  });
});

describe('backpressure', () => {
  it('validates maxPendingUpdates', async () => {
    await expect(Agent.create({ ...spaces, maxPendingUpdates: 0 })).rejects.toThrow(/maxPendingUpdates: expected an integer in \[1, 64\], got 0/);
    await expect(Agent.create({ ...spaces, maxPendingUpdates: 1.5 })).rejects.toThrow(/maxPendingUpdates/);
  });

  it('a game that outruns training (16 ticks a turn) keeps at most maxPendingUpdates, drops whole rollouts, stays bounded, and save() waits for the queued updates only', async () => {
    const agent = await Agent.create({ ...spaces, numAgents: 8, backend: 'cpu', seed: 2, maxPendingUpdates: 2, network: { hidden: [32, 32] }, ppo: { numSteps: 4, numEpochs: 4, numMinibatches: 4 } });
    const dropped: DroppedEvent[] = [];
    const updates: UpdateEvent[] = [];
    agent.on('dropped', (e) => dropped.push(e));
    agent.on('update', (e) => updates.push(e));
    const game = gameLoop(agent);
    let maxPending = 0;
    let saving: { updatesAtCall: number; updatesAtResolve?: number; bytes?: Uint8Array } | undefined;
    const memory: number[] = [];
    for (let turnNo = 0; turnNo < 150; turnNo++) {
      for (let k = 0; k < 16; k++) {
        game.tick();
        maxPending = Math.max(maxPending, agent.pendingUpdates);
      }
      if (turnNo === 40) {
        expect(agent.pendingUpdates).toBe(2);
        const s: NonNullable<typeof saving> = { updatesAtCall: agent.updates };
        saving = s;
        void agent.save().then((bytes) => { s.updatesAtResolve = agent.updates; s.bytes = bytes; });
      }
      if (turnNo % 25 === 24) memory.push(wasm().memory.buffer.byteLength);
      await turn();
    }
    await agent.whenIdle();
    expect(maxPending).toBe(2);
    expect(dropped.length).toBeGreaterThan(0);
    for (const e of dropped) expect(e.steps).toBe(agent.rolloutSteps);
    expect(agent.health.droppedSteps).toBe(dropped.length * agent.rolloutSteps);
    expect(dropped.at(-1)!.droppedSteps).toBe(agent.health.droppedSteps);
    // Every step was either trained or dropped, in whole rollouts.
    const trained = updates.length * agent.rolloutSteps;
    const waiting = agent.rolloutReady ? agent.rolloutSteps : 0; // full, its update starts at the next act()
    expect(trained + agent.health.droppedSteps + waiting).toBe(Math.floor(agent.steps / agent.rolloutSteps) * agent.rolloutSteps);
    // The acting policy is never more than maxPendingUpdates updates behind: memory stops growing.
    expect(memory.at(-1)).toBe(memory[1]);
    // save() asked mid-game resolved after the updates queued then (at most maxPendingUpdates), the game still running.
    expect(saving?.updatesAtResolve).toBeDefined();
    expect(saving!.updatesAtResolve! - saving!.updatesAtCall).toBeLessThanOrEqual(2);
    const loaded = await Agent.load(saving!.bytes!);
    expect(loaded.updates).toBe(saving!.updatesAtResolve);
    loaded.dispose();
    agent.dispose();
  });
});

/** CartPole, except that step `failAt` of env 0 misbehaves as `how` says. */
function failingEnv(failAt: number, how: 'throw' | 'nan'): () => Env {
  let made = 0;
  return () => {
    const env = cartpole();
    if (made++ > 0) return env;
    let steps = 0;
    const step = env.step.bind(env);
    return {
      spec: { id: 'FlakyCartPole' }, observationSpace: env.observationSpace, actionSpace: env.actionSpace, reset: (o) => env.reset(o),
      step: (a) => {
        const result = step(a);
        if (++steps === failAt) {
          if (how === 'throw') throw new Error('the physics engine crashed');
          result.reward = NaN;
        }
        return result;
      },
    };
  };
}

/** A VectorEnv whose step `failAt` returns an observation one float short. */
function shortObservationEnv(failAt: number): VectorEnv {
  const inner = vectorize(cartpole, 2);
  let steps = 0;
  const env = {
    name: 'ShortCartPole', numEnvs: 2, observationSpace: inner.observationSpace, actionSpace: inner.actionSpace, reset: (o?: { seed?: number }) => inner.reset(o),
    step: (a: Parameters<VectorEnv['step']>[0]) => {
      const out = inner.step(a);
      return ++steps === failAt ? { ...out, observation: out.observation.subarray(1) } : out;
    },
  };
  return env as VectorEnv; // with a name, which train() puts in its EnvError
}

/** A VectorEnv whose step `failAt` ends env 0's episode (terminated) with a NaN final observation. */
function nanFinalObservationEnv(failAt: number): VectorEnv {
  const inner = vectorize(cartpole, 2);
  let steps = 0;
  const env = {
    name: 'NaNEndCartPole', numEnvs: 2, observationSpace: inner.observationSpace, actionSpace: inner.actionSpace, reset: (o?: { seed?: number }) => inner.reset(o),
    step: (a: Parameters<VectorEnv['step']>[0]) => {
      const out = inner.step(a);
      if (++steps !== failAt) return out;
      return { ...out, terminated: Uint8Array.of(1, out.terminated[1]), info: { finalObservation: new Float32Array(8).fill(NaN) } };
    },
  };
  return env as VectorEnv;
}

describe('train() with a failing env', () => {
  const cases = [
    { name: 'throws', env: () => failingEnv(37, 'throw'), message: /env 'FlakyCartPole' failed at step 36: the physics engine crashed/ },
    { name: 'returns a NaN reward', env: () => failingEnv(37, 'nan'), message: /env 'FlakyCartPole' failed at step 36: rewards\[agent 0\]: expected a finite number, got NaN/ },
    { name: 'returns a short observation', env: () => shortObservationEnv(37), message: /env 'ShortCartPole' failed at step 36: step\(\)\.observation\.length: expected 8, got 7/ },
    // A terminated episode's final observation is never read, but a broken one is still the env's failure.
    { name: 'ends an episode with a NaN final observation', env: () => nanFinalObservationEnv(37), message: /env 'NaNEndCartPole' failed at step 36: step\(\)\.info\.finalObservation\[0\]: expected a finite number, got NaN/ },
  ];
  for (const c of cases) {
    it(`${c.name}: train() rejects with an EnvError naming the env and the step; the agent stays usable and saveable`, async () => {
      const agent = await Agent.create({ ...spaces, numAgents: 2, backend: 'cpu', seed: 1, ppo: { numSteps: 16, numMinibatches: 2 } });
      const error = await train(agent, c.env() as never, { totalSteps: 1000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EnvError);
      expect((error as EnvError).message).toMatch(c.message);
      expect((error as EnvError).step).toBe(36);
      expect((error as EnvError).cause).toBeInstanceOf(Error);
      expect(agent.steps).toBe(72);
      // Usable: saveable, loadable, and train() goes on with a working env.
      const loaded = await Agent.load(await agent.save());
      expect(loaded.steps).toBe(72);
      loaded.dispose();
      const result = await train(agent, cartpole, { totalSteps: 200 });
      expect(result.steps).toBe(200);
      agent.dispose();
    });
  }

  it('closes the interrupted episodes as truncated, so the next env is not spliced onto them', async () => {
    const agent = await Agent.create({ ...spaces, numAgents: 2, backend: 'cpu', seed: 1, ppo: { numSteps: 16, numMinibatches: 2 } });
    await train(agent, failingEnv(5, 'throw'), { totalSteps: 1000 }).catch(() => undefined);
    // The unfinished rollout waits in each slot's staged trajectory (slot-major: slot e's step t at e * numSteps + t).
    const staging = (agent as unknown as { loop: { staging: { count: Int32Array; truncated: Uint8Array; bootstrapValues: Float32Array } } }).loop.staging;
    const lastStep = (a: Uint8Array | Float32Array) => [a[3], a[16 + 3]];
    const buffer = { step: staging.count[0], truncated: lastStep(staging.truncated), bootstrapValues: lastStep(staging.bootstrapValues) };
    expect(staging.count[1]).toBe(buffer.step);
    expect(buffer.step).toBe(4);
    expect(buffer.truncated).toEqual([1, 1]);
    for (const v of buffer.bootstrapValues) expect(v).not.toBe(0);
    agent.dispose();
  });
});

describe('train() and the event loop', () => {
  it('yields to timers: an AbortSignal aborted from setTimeout(50) stops training promptly', async () => {
    const agent = await Agent.create({ ...spaces, numAgents: 4, backend: 'cpu', seed: 1, ppo: { numSteps: 128 } });
    const controller = new AbortController();
    let abortedAt = 0;
    const started = performance.now();
    setTimeout(() => { abortedAt = performance.now(); controller.abort(); }, 50);
    const result = await train(agent, cartpole, { totalSteps: 10_000_000, signal: controller.signal });
    const latency = performance.now() - abortedAt;
    expect(result.aborted).toBe(true);
    expect(abortedAt).toBeGreaterThan(started);
    expect(result.steps).toBeLessThan(10_000_000);
    // One update (a few ms) plus one event-loop turn; generous for a loaded CI machine.
    expect(latency).toBeLessThan(500);
    console.info(`abort latency: ${latency.toFixed(1)} ms after ${result.steps} steps`);
    agent.dispose();
  });
});

describe('schedules', () => {
  it("train() without schedules keeps the agent's, and load-and-train continues the same schedule", async () => {
    const options = { ...spaces, numAgents: 2, backend: 'cpu' as const, seed: 3, totalSteps: 512, schedules: { entropyCoef: linear(0.02, 0) }, ppo: { numSteps: 32, numMinibatches: 2 } };
    const straight = await Agent.create(options);
    const coefs: number[] = [];
    straight.on('update', (e) => coefs.push(e.hyperparameters.entropyCoef));
    await train(straight, vectorize(cartpole, 2), { totalSteps: 512 });
    expect(coefs[0]).toBeCloseTo(0.02, 9);
    expect(coefs.at(-1)).toBeCloseTo(0.02 * (1 - 448 / 512), 9);
    // Half, save, load, the rest: the same schedule, the same parameters.
    const first = await Agent.create(options);
    const venv = vectorize(cartpole, 2);
    await train(first, venv, { totalSteps: 256 });
    const resumed = await Agent.load(await first.save());
    const resumedCoefs: number[] = [];
    resumed.on('update', (e) => resumedCoefs.push(e.hyperparameters.entropyCoef));
    await train(resumed, venv, { totalSteps: 512 });
    expect(resumedCoefs).toEqual(coefs.slice(4));
    expect(await resumed.getParameters()).toEqual(await straight.getParameters());
    for (const agent of [straight, first, resumed]) agent.dispose();
  });
});
