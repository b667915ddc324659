import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, type EpisodeEvent, type UpdateEvent } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { makeEnv } from '../../src/envs/registry.js';
import { vectorize } from '../../src/envs/vector.js';
import { Box, Discrete, MultiDiscrete } from '../../src/spaces.js';
import { CheckpointError } from '../../src/policy/safetensors.js';

beforeAll(() => init());

const cartpole = makeEnv('CartPole-v1');
const base = { observationSpace: cartpole.observationSpace, actionSpace: cartpole.actionSpace, backend: 'cpu' as const, seed: 3 };

function tick(n: number, reward = 1): [Float32Array, Uint8Array, Uint8Array] {
  return [new Float32Array(n).fill(reward), new Uint8Array(n), new Uint8Array(n)];
}

describe('Agent.create', () => {
  it('validates every field with the field named', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ observationSpace: 4 }, /observationSpace: expected a space/],
      [{ actionSpace: { kind: 'ring' } }, /actionSpace: expected a space/],
      [{ numAgents: 0 }, /numAgents: expected an integer in \[1, 1048576\], got 0/],
      [{ backend: 'tpu' }, /backend: expected one of 'auto' \| 'cpu' \| 'webgpu', got "tpu"/],
      [{ seed: -1 }, /seed: expected an integer in \[0, 4294967295\], got -1/],
      [{ ppo: { numSteps: 0 } }, /ppo.numSteps: expected an integer >= 1, got 0/],
      [{ ppo: { gama: 0.9 } }, /ppo.gama: expected a known field/],
      [{ network: { hidden: [0] } }, /network.hidden\[0\]/],
      [{ masks: true, actionSpace: Box(1, -1, 1) }, /masks: expected false for a Box action space/],
      [{ ppo: { numSteps: 2, numMinibatches: 4 } }, /ppo.numMinibatches: expected at most numSteps x numAgents = 2, got 4/],
      [{ schedules: { learningRate: -1 } }, /schedules.learningRate/],
      [{ turbo: true }, /options.turbo: expected a known option/],
    ];
    for (const [patch, message] of cases) await expect(Agent.create({ ...base, ...patch } as never)).rejects.toThrow(message);
  });
});

describe('act and observe', () => {
  it('returns one action per agent as a reused view, records steps, and enforces act -> observe', async () => {
    const agent = await Agent.create({ ...base, numAgents: 3, ppo: { numSteps: 8 } });
    const obs = new Float32Array(12).fill(0.01);
    const first = agent.act(obs);
    expect(first).toBeInstanceOf(Int32Array);
    expect(first.length).toBe(3);
    for (const a of first) expect([0, 1]).toContain(a);
    expect(() => agent.act(obs)).toThrow(/act: expected observe\(\) for the previous act\(\) first/);
    agent.observe(...tick(3));
    expect(() => agent.observe(...tick(3))).toThrow(/observe: expected act\(\) first/);
    expect(agent.act(obs)).toBe(first); // the same view every tick: nothing allocated
    agent.observe(...tick(3));
    expect(agent.steps).toBe(6);
    agent.dispose();
    expect(() => agent.act(obs)).toThrow(/used after dispose/);
  });

  it('rejects bad input before any state changes', async () => {
    const agent = await Agent.create({ ...base, numAgents: 2, masks: true, ppo: { numSteps: 8 } });
    const obs = new Float32Array(8);
    const masks = new Uint8Array(4).fill(1);
    expect(() => agent.act(new Float32Array(7), { masks })).toThrow(/observations: expected a Float32Array of length 8/);
    expect(() => agent.act(Float32Array.of(0, 0, 0, 0, 0, NaN, 0, 0), { masks })).toThrow(/observations\[agent 1, 1\]: expected a finite number, got NaN/);
    expect(() => agent.act(obs)).toThrow(/masks: expected a Uint8Array of length 4/);
    expect(() => agent.act(obs, { masks: Uint8Array.of(1, 1, 0, 0) })).toThrow(/masks\[agent 1, branch 0\]: expected at least one allowed action/);
    const onlyRight = Uint8Array.of(0, 1, 0, 1);
    for (let i = 0; i < 5; i++) {
      expect(Array.from(agent.act(obs, { masks: onlyRight }))).toEqual([1, 1]);
      expect(() => agent.observe(Float32Array.of(1, NaN), new Uint8Array(2), new Uint8Array(2))).toThrow(/rewards\[agent 1\]: expected a finite number/);
      expect(() => agent.observe(new Float32Array(2), Uint8Array.of(0, 2), new Uint8Array(2))).toThrow(/terminated\[agent 1\]: expected 0 or 1, got 2/);
      expect(() => agent.observe(new Float32Array(2), new Uint8Array(2), [0, 0] as never)).toThrow(/truncated: expected a Uint8Array of length 2/);
      expect(() => agent.observe(new Float32Array(2), new Uint8Array(2), Uint8Array.of(1, 0), { finalObservations: Float32Array.of(NaN, 0, 0, 0, 0, 0, 0, 0) })).toThrow(/finalObservations\[agent 0, 0\]/);
      agent.observe(...tick(2));
    }
    expect(agent.steps).toBe(10);
    agent.dispose();
  });

  it('needs final observations only for truncated agents: other rows may hold anything', async () => {
    const agent = await Agent.create({ ...base, numAgents: 2, ppo: { numSteps: 8 } });
    const obs = new Float32Array(8);
    agent.act(obs);
    // Agent 0 is truncated (its row must be finite); agent 1 is not, so its row is never read.
    agent.observe(new Float32Array(2), new Uint8Array(2), Uint8Array.of(1, 0), { finalObservations: Float32Array.of(0.1, 0, 0, 0, NaN, NaN, NaN, NaN) });
    expect(agent.steps).toBe(2);
    agent.act(obs);
    agent.observe(...tick(2));
    agent.dispose();
  });

  it('ends episodes per agent independently and reports them', async () => {
    const agent = await Agent.create({ ...base, numAgents: 3, ppo: { numSteps: 16 } });
    const episodes: EpisodeEvent[] = [];
    agent.on('episode', (e) => episodes.push(e));
    const obs = new Float32Array(12);
    for (let t = 1; t <= 12; t++) {
      agent.act(obs);
      // agent 0 ends every 3 ticks (terminated), agent 1 every 4 (truncated), agent 2 never
      agent.observe(Float32Array.of(1, 2, 3), Uint8Array.of(t % 3 === 0 ? 1 : 0, 0, 0), Uint8Array.of(0, t % 4 === 0 ? 1 : 0, 0), { finalObservations: new Float32Array(12) });
    }
    expect(episodes.filter((e) => e.agent === 0).map((e) => [e.length, e.return, e.terminated])).toEqual([[3, 3, true], [3, 3, true], [3, 3, true], [3, 3, true]]);
    expect(episodes.filter((e) => e.agent === 1).map((e) => [e.length, e.return, e.terminated])).toEqual([[4, 8, false], [4, 8, false], [4, 8, false]]);
    expect(episodes.some((e) => e.agent === 2)).toBe(false);
    expect(agent.episodes).toBe(7);
    agent.dispose();
  });

  it('squashes tanh_normal actions into the box and MultiDiscrete actions stay in range', async () => {
    const box = await Agent.create({ ...base, observationSpace: Box(3), actionSpace: Box(2, [-2, 0], [2, 1]), numAgents: 5, network: { distribution: 'tanh_normal' }, ppo: { numSteps: 4 } });
    for (let i = 0; i < 20; i++) {
      const a = box.act(new Float32Array(15).fill(i));
      for (let e = 0; e < 5; e++) {
        expect(Math.abs(a[e * 2])).toBeLessThanOrEqual(2);
        expect(a[e * 2 + 1]).toBeGreaterThanOrEqual(0);
        expect(a[e * 2 + 1]).toBeLessThanOrEqual(1);
      }
      box.observe(...tick(5));
    }
    await box.whenIdle();
    box.dispose();
    const multi = await Agent.create({ ...base, observationSpace: Box(2), actionSpace: MultiDiscrete([3, 2]), numAgents: 2, ppo: { numSteps: 4 } });
    const a = multi.act(new Float32Array(4));
    expect(a.length).toBe(4);
    expect(a[0]).toBeLessThan(3);
    expect(a[1]).toBeLessThan(2);
    multi.dispose();
  });
});

describe('updates', () => {
  it('double-buffers: the game keeps acting while an update runs, and the update event arrives', async () => {
    const agent = await Agent.create({ ...base, numAgents: 2, ppo: { numSteps: 4, numMinibatches: 2 } });
    const updates: UpdateEvent[] = [];
    agent.on('update', (e) => updates.push(e));
    const before = await agent.getParameters();
    const obs = new Float32Array(8).fill(0.02);
    for (let t = 0; t < 4; t++) { agent.act(obs); agent.observe(...tick(2)); }
    expect(agent.rolloutReady).toBe(true);
    expect(agent.pendingUpdates).toBe(0);
    agent.act(obs); // bootstraps the full rollout from these observations and queues its update
    expect(agent.rolloutReady).toBe(false);
    expect(agent.pendingUpdates).toBe(1);
    agent.observe(...tick(2)); // collected into the second buffer, with the previous policy
    for (let t = 0; t < 3; t++) { agent.act(obs); agent.observe(...tick(2)); }
    expect(agent.rolloutReady).toBe(true);
    await agent.whenIdle();
    expect(updates).toHaveLength(1);
    expect(updates[0].lagged).toBe(false);
    expect(updates[0].steps).toBe(8);
    expect(Number.isFinite(updates[0].stats.loss_critic)).toBe(true);
    expect(await agent.getParameters()).not.toEqual(before);
    agent.act(obs); // the second rollout was collected under the old policy: a lagged (V-trace) update
    agent.observe(...tick(2));
    await agent.whenIdle();
    expect(updates).toHaveLength(2);
    expect(updates[1].lagged).toBe(true);
    expect(agent.updates).toBe(2);
    agent.dispose();
  });

  it('in a game loop, runs a CPU update in frame-budget slices across event-loop turns, with the same result as one call', async () => {
    // A budget this small gives every slice one step (frame-budget.test.ts covers sizes that fit the budget).
    const options = { ...base, numAgents: 4, frameBudgetMs: 0.001, ppo: { numSteps: 8, numEpochs: 2, numMinibatches: 4 } };
    const [game, headless] = [await Agent.create(options), await Agent.create(options)];
    const obs = new Float32Array(16);
    for (let t = 0; t < 8; t++) {
      obs.fill(Math.sin(t));
      for (const agent of [game, headless]) { agent.act(obs); agent.observe(...tick(4, t % 3)); }
    }
    const stats: UpdateEvent[][] = [[], []];
    game.on('update', (e) => stats[0].push(e));
    headless.on('update', (e) => stats[1].push(e));
    obs.fill(0.5);
    game.act(obs); // queues a sliced update
    headless.finishRollout(obs); // one trainer.update call
    let turns = 0;
    while (game.pendingUpdates > 0) { await new Promise((r) => setImmediate(r)); turns++; }
    await headless.whenIdle();
    expect(turns).toBeGreaterThanOrEqual(8); // 2 epochs x 4 minibatches, several slices each
    expect(await game.getParameters()).toEqual(await headless.getParameters());
    expect(stats[0][0].stats.minibatches).toBe(8);
    for (const key of ['loss_objective', 'loss_critic', 'entropy', 'grad_norm'] as const) expect(stats[0][0].stats[key]).toBeCloseTo(stats[1][0].stats[key], 5);
    game.dispose();
    headless.dispose();
  });

  it('trains with prioritized minibatches over rows and over segments (rows when too few envs for segments)', async () => {
    for (const [numAgents, over] of [[4, 'rows'], [4, 'segments'], [2, 'segments']] as const) {
      const agent = await Agent.create({ ...base, numAgents, totalSteps: 64, ppo: { numSteps: 8, numMinibatches: 4, prioritized: { alpha: 0.6, over } } });
      const updates: UpdateEvent[] = [];
      agent.on('update', (e) => updates.push(e));
      const obs = new Float32Array(numAgents * 4);
      for (let t = 0; t < 8; t++) { obs.fill(t / 10); agent.act(obs); agent.observe(...tick(numAgents, t % 2)); }
      agent.finishRollout(obs);
      await agent.whenIdle();
      expect(updates).toHaveLength(1);
      expect(updates[0].stats.minibatches).toBe(16);
      expect(Number.isFinite(updates[0].stats.loss_objective)).toBe(true);
      agent.dispose();
    }
  });

  it('can be disposed with an update in flight: the update stops quietly and memory is released after it', async () => {
    const agent = await Agent.create({ ...base, numAgents: 2, ppo: { numSteps: 4, numMinibatches: 2 } });
    const errors: Error[] = [];
    agent.on('error', (e) => errors.push(e));
    const obs = new Float32Array(8);
    for (let t = 0; t < 5; t++) { agent.act(obs); if (t < 4) agent.observe(...tick(2)); }
    expect(agent.pendingUpdates).toBe(1);
    agent.dispose();
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(agent.pendingUpdates).toBe(0);
    expect(errors).toEqual([]);
    expect(() => agent.observe(...tick(2))).toThrow(/used after dispose/);
  });

  it('anneals the learning rate over the horizon and follows schedules', async () => {
    const agent = await Agent.create({ ...base, ppo: { numSteps: 10, learningRate: 1e-3 }, totalSteps: 100 });
    expect(agent.hyperparametersAt(10).learningRate).toBeCloseTo(1e-3, 12);
    expect(agent.hyperparametersAt(60).learningRate).toBeCloseTo(0.5e-3, 12);
    agent.setSchedules({ entropyCoef: { kind: 'linear', from: 0.02, to: 0 }, clipEpsilon: 0.1 }, 110);
    expect(agent.hyperparametersAt(65).entropyCoef).toBeCloseTo(0.01, 12);
    expect(agent.hyperparametersAt(65).clipEpsilon).toBe(0.1);
    expect(() => agent.setSchedules({ clipEpsilon: 3 }, 10)).toThrow(/schedules.clipEpsilon/);
    expect(agent.hyperparametersAt(65).clipEpsilon).toBe(0.1);
    agent.dispose();
  });
});

describe('save and load', () => {
  it('round-trips an agent: same parameters, same deterministic actions, same counters', async () => {
    const env = makeEnv('Pendulum-v1');
    const options = { ...base, observationSpace: env.observationSpace, actionSpace: env.actionSpace, numAgents: 2, network: { distribution: 'tanh_normal' as const }, ppo: { numSteps: 8, normalizeObservations: true, normalizeRewards: true } };
    const agent = await Agent.create(options);
    const venv = vectorize(() => makeEnv('Pendulum-v1'), 2);
    let obs = Float32Array.from(venv.reset({ seed: 1 }).observation);
    for (let t = 0; t < 20; t++) {
      const out = venv.step(agent.act(obs));
      agent.observe(out.reward, out.terminated, out.truncated);
      obs = Float32Array.from(out.observation);
    }
    const bytes = await agent.save();
    const loaded = await Agent.load(bytes);
    expect(await loaded.getParameters()).toEqual(await agent.getParameters());
    expect(loaded.steps).toBe(agent.steps);
    expect(loaded.updates).toBe(agent.updates);
    expect(Array.from(loaded.predict(obs))).toEqual(Array.from(agent.predict(obs)));
    expect(loaded.options).toEqual(agent.options);
    agent.dispose();
    loaded.dispose();
  });

  it('resumes exactly mid-rollout in a game loop: same actions, updates and bytes afterwards', async () => {
    const env = makeEnv('Pendulum-v1');
    const options = { ...base, observationSpace: env.observationSpace, actionSpace: env.actionSpace, numAgents: 2, network: { distribution: 'tanh_normal' as const }, ppo: { numSteps: 8, numMinibatches: 2, normalizeObservations: true, normalizeRewards: true } };
    const play = (agent: Agent, venv: ReturnType<typeof vectorize>, obs: Float32Array, ticks: number, log: number[]) => {
      for (let t = 0; t < ticks; t++) {
        const actions = agent.act(obs);
        log.push(...actions);
        const out = venv.step(actions);
        agent.observe(out.reward, out.terminated, out.truncated, { finalObservations: out.info.finalObservation });
        obs.set(out.observation);
      }
    };
    const a = await Agent.create(options);
    const venvA = vectorize(() => makeEnv('Pendulum-v1'), 2);
    const obsA = Float32Array.from(venvA.reset({ seed: 4 }).observation);
    play(a, venvA, obsA, 19, []); // two updates queued or done, three steps into the third rollout
    const bytes = await a.save();
    const b = await Agent.load(bytes);
    const venvB = vectorize(() => makeEnv('Pendulum-v1'), 2);
    const obsB = Float32Array.from(venvB.reset({ seed: 4 }).observation);
    // Put the second env vector in the first one's state (physics and elapsed steps).
    venvB.envs.forEach((env, e) => {
      const target = env as unknown as { env: { state: Float64Array }; elapsed: number };
      const source = venvA.envs[e] as unknown as { env: { state: Float64Array }; elapsed: number };
      target.env.state.set(source.env.state);
      target.elapsed = source.elapsed;
    });
    obsB.set(obsA);
    const logA: number[] = [], logB: number[] = [];
    play(a, venvA, obsA, 21, logA);
    play(b, venvB, obsB, 21, logB);
    expect(logB).toEqual(logA);
    await a.whenIdle();
    await b.whenIdle();
    expect(b.updates).toBe(a.updates);
    expect(await b.save()).toEqual(await a.save());
    a.act(obsA);
    await expect(a.save()).rejects.toThrow(/save: expected a call between observe\(\) and the next act\(\)/);
    a.dispose();
    b.dispose();
  });

  it('rejects truncated, corrupted and mismatched checkpoints with clear errors', async () => {
    const agent = await Agent.create({ ...base, ppo: { numSteps: 8 } });
    const bytes = await agent.save();
    await expect(Agent.load(bytes.subarray(0, 100))).rejects.toThrow(CheckpointError);
    await expect(Agent.load(bytes.subarray(0, bytes.length - 1))).rejects.toThrow(/truncated/);
    const corrupted = bytes.slice(); corrupted[corrupted.length - 10] ^= 0xff;
    await expect(Agent.load(corrupted)).rejects.toThrow(/checksum/);
    await expect(Agent.load(bytes, { observationSpace: Box(3) })).rejects.toThrow(/observationSpace: expected/);
    await expect(Agent.load(bytes, { actionSpace: Discrete(3) })).rejects.toThrow(/actionSpace: expected/);
    await expect(Agent.load(bytes, { backend: 'gpu' as never })).rejects.toThrow(/backend: expected one of/);
    await expect(Agent.load(new Uint8Array(3))).rejects.toThrow(/truncated: 3 bytes/);
    const ok = await Agent.load(bytes, { observationSpace: cartpole.observationSpace, actionSpace: Discrete(2) });
    expect(await ok.getParameters()).toEqual(await agent.getParameters());
    ok.dispose();
    agent.dispose();
  });
});
