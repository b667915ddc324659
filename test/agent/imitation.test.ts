// Imitation through the agent: recording heuristic slots, pretraining from the recording, cloning during PPO
// (its anneal, its stats in update events, its settings in checkpoints), and heuristic steps stored for
// training with the policy's own log-prob of the heuristic's action (checked against a float64 forward).
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, Box, CartPole, type Demonstration, DemonstrationRecorder, Discrete, loadDemonstration, type UpdateEvent, ValidationError } from '../../src/index.js';
import type { Batch, MinibatchPlan, UpdateStats } from '../../src/backend/trainer.js';
import { init } from '../../src/init.js';
import { readCheckpointConfig } from '../../src/policy/checkpoint.js';
import { PCG32 } from '../../src/rng.js';
import { policySpec, referenceForward } from '../cpu/helpers.js';

beforeAll(() => init());

const cartpole = new CartPole();
const spaces = { observationSpace: cartpole.observationSpace, actionSpace: cartpole.actionSpace };
/** A scripted CartPole controller (returns 500 from every start). */
const script = (o: ArrayLike<number>, at: number) => (o[at + 2] + 0.5 * o[at + 3] + 0.05 * o[at] + 0.2 * o[at + 1] > 0 ? 1 : 0);

/** n CartPoles stepped by the agent's actions, episodes cut at `limit` steps. */
function cartpoles(n: number, seed: number, limit = 200) {
  const envs = Array.from({ length: n }, () => new CartPole());
  const obs = new Float32Array(n * 4), rewards = new Float32Array(n), terminated = new Uint8Array(n), truncated = new Uint8Array(n);
  const lengths = new Int32Array(n);
  envs.forEach((env, e) => obs.set(env.reset({ seed: seed + e }).observation as Float32Array, e * 4));
  const step = (actions: Int32Array | Float32Array) => {
    for (let e = 0; e < n; e++) {
      const r = envs[e].step(actions[e]);
      lengths[e]++;
      rewards[e] = r.reward;
      terminated[e] = r.terminated ? 1 : 0;
      truncated[e] = !r.terminated && lengths[e] >= limit ? 1 : 0;
      const next = terminated[e] || truncated[e] ? envs[e].reset().observation : r.observation;
      if (terminated[e] || truncated[e]) lengths[e] = 0;
      obs.set(next as Float32Array, e * 4);
    }
  };
  return { obs, rewards, terminated, truncated, step };
}

/** The script's play on 4 heuristic slots of an agent, recorded through agent.record, saved and loaded. */
async function scriptedDemonstration(ticks: number): Promise<Demonstration> {
  const agent = await Agent.create({ ...spaces, numAgents: 4, backend: 'cpu', network: { hidden: [8] }, ppo: { numSteps: 64, numMinibatches: 2 } });
  for (let e = 0; e < 4; e++) agent.setHeuristic(e, (slot, o, actions) => { actions[slot] = script(o, slot * 4); });
  const recorder = new DemonstrationRecorder({ ...spaces, chunkSteps: 512 });
  agent.record(recorder);
  const game = cartpoles(4, 100);
  for (let t = 0; t < ticks; t++) {
    game.step(agent.act(game.obs));
    agent.observe(game.rewards, game.terminated, game.truncated);
  }
  agent.stopRecording();
  agent.dispose();
  return loadDemonstration(recorder.save());
}

describe('agent.pretrain', () => {
  it('clones a scripted CartPole recording to high accuracy; the agent then acts like the script and balances the pole', async () => {
    const demo = await scriptedDemonstration(500);
    expect(demo.steps).toBe(2000);
    const agent = await Agent.create({ ...spaces, backend: 'cpu', seed: 2, network: { hidden: [32, 32] }, ppo: { normalizeObservations: true } });
    const progress: number[] = [];
    const epochs = await agent.pretrain(demo, { epochs: 30, batchSize: 100, learningRate: 3e-3, onProgress: (e) => progress.push(e.epoch) });
    expect(progress).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(epochs.at(-1)!.accuracy).toBeGreaterThan(0.95);
    expect(epochs.at(-1)!.loss_bc).toBeLessThan(epochs[0].loss_bc / 2);
    // Its own play: the actions agree with the script on the states it reaches, and the pole stays up.
    const env = new CartPole();
    let agree = 0, steps = 0, episodes = 0, total = 0;
    for (let episode = 0; episode < 3; episode++) {
      let o = env.reset({ seed: 900 + episode }).observation as Float32Array;
      for (let t = 0; t < 500; t++) {
        const action = agent.predict(o)[0];
        agree += action === script(o, 0) ? 1 : 0;
        steps++;
        const r = env.step(action);
        total += r.reward;
        if (r.terminated) break;
        o = r.observation as Float32Array;
      }
      episodes++;
    }
    expect(agree / steps).toBeGreaterThan(0.95);
    expect(total / episodes).toBeGreaterThan(400);
    agent.dispose();
  });

  it('never overlaps an update: it runs in turn with the updates the game started', async () => {
    const demo = await scriptedDemonstration(50);
    const agent = await Agent.create({ ...spaces, numAgents: 2, backend: 'cpu', frameBudgetMs: 0, network: { hidden: [8] }, ppo: { numSteps: 8, numMinibatches: 2 } });
    const order: string[] = [];
    agent.on('update', () => order.push('update'));
    const game = cartpoles(2, 1);
    for (let t = 0; t < 9; t++) {
      game.step(agent.act(game.obs));
      agent.observe(game.rewards, game.terminated, game.truncated);
    }
    expect(agent.pendingUpdates).toBe(1);
    await agent.pretrain(demo, { epochs: 1, batchSize: 50 }).then(() => order.push('pretrain'));
    expect(order).toEqual(['update', 'pretrain']);
    await expect(agent.pretrain(demo, { epochs: 0, batchSize: 50 })).rejects.toThrow(ValidationError);
    await agent.whenIdle();
    agent.dispose();
  });
});

describe('AgentOptions.behavioralCloning', () => {
  it('clones after each update at strength x the learning rate, annealed to 0 over its steps; its stats join the update event; checkpoints keep its settings, not its demonstrations', async () => {
    const demo = await scriptedDemonstration(100);
    const options = {
      ...spaces, numAgents: 4, backend: 'cpu' as const, seed: 3, network: { hidden: [16] },
      ppo: { numSteps: 16, numMinibatches: 2, numEpochs: 2, learningRate: 1e-3 },
      behavioralCloning: { demonstrations: demo, strength: 0.5, steps: 256, batchSize: 64, numEpoch: 1 },
    };
    const agent = await Agent.create(options);
    const events: UpdateEvent[] = [];
    agent.on('update', (e) => events.push(e));
    const game = cartpoles(4, 7);
    const run = async (a: Agent, ticks: number) => {
      for (let t = 0; t < ticks; t++) {
        game.step(a.act(game.obs));
        a.observe(game.rewards, game.terminated, game.truncated);
        if (a.pendingUpdates > 0) await a.whenIdle();
      }
    };
    await run(agent, 17);
    // Cloning moved the parameters: a twin without it, same seed and game, ends its first update elsewhere.
    const twin = await Agent.create({ ...options, behavioralCloning: undefined });
    const twinGame = cartpoles(4, 7);
    for (let t = 0; t < 17; t++) {
      twinGame.step(twin.act(twinGame.obs));
      twin.observe(twinGame.rewards, twinGame.terminated, twinGame.truncated);
      if (twin.pendingUpdates > 0) await twin.whenIdle();
    }
    expect(twin.updates).toBe(1);
    expect(await twin.getParameters()).not.toEqual(await agent.getParameters());
    twin.dispose();
    await run(agent, 5 * 16);
    expect(events.map((e) => e.steps)).toEqual([64, 128, 192, 256, 320, 384]);
    for (const e of events) {
      if (e.steps >= 256) {
        expect(e.behavioralCloning).toBeUndefined();
        continue;
      }
      expect(e.behavioralCloning!.learningRate).toBeCloseTo(1e-3 * 0.5 * (1 - e.steps / 256), 12);
      expect(e.behavioralCloning!.minibatches).toBe(Math.floor(400 / 64));
      expect(e.behavioralCloning!.accuracy).toBeGreaterThan(0);
    }

    const bytes = await agent.save();
    const { config } = readCheckpointConfig(bytes) as { config: { behavioralCloning: Record<string, unknown> } };
    expect(config.behavioralCloning).toEqual({ strength: 0.5, steps: 256, batchSize: 64, numEpoch: 1 });
    const warnings: string[] = [];
    const logger = { error() {}, warn: (m: string) => warnings.push(m), info() {}, debug() {} };
    const without = await Agent.load(bytes, { logger, logLevel: 'warn' });
    expect(without.options.behavioralCloning).toBeUndefined();
    expect(warnings.join()).toMatch(/options\.demonstrations/);
    without.dispose();
    const resumed = await Agent.load(bytes, { demonstrations: demo, backend: 'cpu' });
    expect(resumed.options.behavioralCloning!.strength).toBe(0.5);
    expect(resumed.options.behavioralCloning!.demonstrations).toBe(demo);
    resumed.dispose();
    agent.dispose();
  });

  it('rejects bad settings naming the field, before anything is built', async () => {
    const demo = await scriptedDemonstration(20);
    await expect(Agent.create({ ...spaces, backend: 'cpu', behavioralCloning: { demonstrations: demo, strength: -1 } })).rejects.toThrow(/behavioralCloning\.strength/);
    await expect(Agent.create({ ...spaces, backend: 'cpu', behavioralCloning: { demonstrations: demo, strenght: 1 } as never })).rejects.toThrow(/strenght/);
    await expect(Agent.create({ observationSpace: Box(4), actionSpace: Discrete(2), backend: 'cpu', behavioralCloning: { demonstrations: demo } })).rejects.toThrow(/observationSpace/);
  });
});
