// Imitation through the agent: recording heuristic slots, pretraining from the recording, cloning during PPO
// (its anneal, its stats in update events, its settings in checkpoints), and heuristic steps stored for
// training with the policy's own log-prob of the heuristic's action (checked against a float64 forward); and
// no allocation per tick while recording, measured after the other tests have run (several action spaces
// through the same code, as a game with several behaviours has).
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, Box, CartPole, type Demonstration, DemonstrationRecorder, Discrete, loadDemonstration, type UpdateEvent, ValidationError } from '../../src/index.js';
import type { Batch, MinibatchPlan, UpdateStats } from '../../src/backend/trainer.js';
import { init } from '../../src/init.js';
import { readCheckpointConfig } from '../../src/policy/checkpoint.js';
import { PCG32 } from '../../src/rng.js';
import { policySpec, referenceForward } from '../cpu/helpers.js';
import { networkLayout } from '../../src/policy/network.js';
import { leastHeapGrowth } from '../helpers/heap.js';

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
    const plain = await (await Agent.create({ ...options, behavioralCloning: undefined })).save();
    await expect(Agent.load(plain, { demonstrations: demo })).rejects.toThrow(/options\.demonstrations/);
    agent.dispose();
  });

  it('rejects bad settings naming the field, before anything is built', async () => {
    const demo = await scriptedDemonstration(20);
    await expect(Agent.create({ ...spaces, backend: 'cpu', behavioralCloning: { demonstrations: demo, strength: -1 } })).rejects.toThrow(/behavioralCloning\.strength/);
    await expect(Agent.create({ ...spaces, backend: 'cpu', behavioralCloning: { demonstrations: demo, strenght: 1 } as never })).rejects.toThrow(/strenght/);
    await expect(Agent.create({ observationSpace: Box(4), actionSpace: Discrete(2), backend: 'cpu', behavioralCloning: { demonstrations: demo } })).rejects.toThrow(/observationSpace/);
  });
});

describe('agent.record', () => {
  it('records what the heuristics saw and did, rewards summed per decision and episode ends, and round-trips through save/loadDemonstration exactly', async () => {
    const n = 3, logits = 3;
    const agent = await Agent.create({ observationSpace: Box(2), actionSpace: Discrete(3), numAgents: n, masks: true, decisionPeriod: 2, backend: 'cpu', network: { hidden: [8] }, ppo: { numSteps: 8, numMinibatches: 2 } });
    type Step = { obs: number[]; action: number; mask: number[]; reward: number; terminated: number; truncated: number; slot: number };
    const expected: Step[] = [];
    const held: (Step | null)[] = [null, null, null];
    const close = (slot: number, terminated: number, truncated: number) => {
      const step = held[slot];
      if (step === null) return;
      expected.push({ ...step, terminated, truncated });
      held[slot] = null;
    };
    let tick = 0;
    let masks = new Uint8Array(n * logits);
    const heuristic = (slot: number, o: Float32Array, actions: Int32Array | Float32Array) => {
      const mask = Array.from(masks.subarray(slot * logits, slot * logits + logits));
      const wanted = tick % 3;
      actions[slot] = mask[wanted] === 1 ? wanted : mask.indexOf(1);
      close(slot, 0, 0);
      held[slot] = { obs: [o[slot * 2], o[slot * 2 + 1]], action: actions[slot], mask, reward: 0, terminated: 0, truncated: 0, slot };
    };
    agent.setHeuristic(0, heuristic);
    agent.setHeuristic(2, heuristic, { train: true });
    agent.setHeuristic(1, heuristic); // driven but not recorded
    const recorder = new DemonstrationRecorder({ observationSpace: Box(2), actionSpace: Discrete(3), chunkSteps: 16 });
    agent.record(recorder, [0, 2]);
    const rng = new PCG32(4, 2);
    const obs = new Float32Array(n * 2), rewards = new Float32Array(n), terminated = new Uint8Array(n), truncated = new Uint8Array(n);
    for (tick = 0; tick < 60; tick++) {
      for (let i = 0; i < obs.length; i++) obs[i] = rng.nextNormal();
      masks = masks.map(() => rng.nextU32() % 2);
      for (let e = 0; e < n; e++) masks[e * logits + (rng.nextU32() % logits)] = 1;
      agent.act(obs, { masks });
      held[1] = null; // slot 1 is not recorded
      if (tick % 7 === 3 && agent.alive[0]) {
        agent.addReward(0, 0.25);
        if (held[0]) held[0].reward += 0.25;
      }
      for (let e = 0; e < n; e++) {
        rewards[e] = (rng.nextU32() % 8) / 4;
        terminated[e] = rng.nextU32() % 9 === 0 ? 1 : 0;
        truncated[e] = !terminated[e] && rng.nextU32() % 13 === 0 ? 1 : 0;
      }
      agent.observe(rewards, terminated, truncated);
      for (const e of [0, 2]) {
        if (!agent.alive[e]) continue;
        if (held[e]) held[e]!.reward += rewards[e];
        if (terminated[e] || truncated[e]) close(e, terminated[e], truncated[e]);
      }
      if (tick === 20) {
        agent.leave(2, { truncated: true });
        close(2, 0, 1);
      }
      if (tick === 25) expect(agent.spawn()).toBe(2);
    }
    agent.stopRecording();
    close(0, 0, 1);
    close(2, 0, 1);
    expect(expected.length).toBeGreaterThan(40);
    expect(expected.filter((s) => s.terminated).length).toBeGreaterThan(3);
    expect(recorder.steps).toBe(expected.length);
    const demo = loadDemonstration(recorder.save());
    expect(demo).toEqual(recorder.toDemonstration());
    expect({
      observations: Array.from(demo.observations), actions: Array.from(demo.actions), masks: Array.from(demo.masks!),
      rewards: Array.from(demo.rewards), terminated: Array.from(demo.terminated), truncated: Array.from(demo.truncated), slots: Array.from(demo.slots),
    }).toEqual({
      observations: expected.flatMap((s) => s.obs.map(Math.fround)), actions: expected.map((s) => s.action), masks: expected.flatMap((s) => s.mask),
      rewards: expected.map((s) => s.reward), terminated: expected.map((s) => s.terminated), truncated: expected.map((s) => s.truncated), slots: expected.map((s) => s.slot),
    });
    expect(() => agent.record(new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: Discrete(3) }))).toThrow(/recorder\.observationSpace/);
    expect(() => agent.record(recorder, [3])).toThrow(/slots\[0\]/);
    agent.dispose();
  });
});

describe('setHeuristic(slot, h, { train: true })', () => {
  it("stores the heuristic's actions with the policy's log-prob and value of them (a float64 forward of the agent's parameters)", async () => {
    const n = 3, logits = 4, numSteps = 8;
    const options = { observationSpace: Box(3), actionSpace: Discrete(4), numAgents: n, masks: true, backend: 'cpu' as const, frameBudgetMs: 0, seed: 6, network: { hidden: [16] }, ppo: { numSteps, numMinibatches: 2 } };
    const agent = await Agent.create(options);
    const parameters = await agent.getParameters();
    const chosen: number[] = [];
    // The last allowed action: rarely the one the policy would sample.
    agent.setHeuristic(1, (slot, _o, actions) => {
      actions[slot] = masks.subarray(slot * logits, slot * logits + logits).lastIndexOf(1);
      chosen.push(actions[slot]);
    }, { train: true });
    let captured: Batch | undefined;
    const trainer = (agent as unknown as { trainer: { update(b: Batch, p: MinibatchPlan): Promise<UpdateStats> } }).trainer;
    const update = trainer.update.bind(trainer);
    trainer.update = (batch, plan) => {
      captured ??= structuredClone(batch);
      return update(batch, plan);
    };
    const rng = new PCG32(8, 1);
    const obs = new Float32Array(n * 3), rewards = new Float32Array(n).fill(1), flags = new Uint8Array(n);
    let masks = new Uint8Array(n * logits);
    for (let t = 0; t <= numSteps && captured === undefined; t++) {
      for (let i = 0; i < obs.length; i++) obs[i] = rng.nextNormal();
      masks = masks.map(() => rng.nextU32() % 2);
      for (let e = 0; e < n; e++) masks[e * logits] = 1;
      agent.act(obs, { masks });
      agent.observe(rewards, flags, flags);
      await agent.whenIdle();
    }
    expect(captured).toBeDefined();
    const batch = captured!;
    const ref = referenceForward(policySpec(3, Discrete(4), { hidden: [16] }), parameters, batch.observations);
    let differs = 0;
    for (let t = 0; t < numSteps; t++) {
      for (let e = 0; e < n; e++) {
        const row = t * n + e, a = batch.actions[row];
        const z = ref.actor[row].filter((_, k) => batch.masks![row * logits + k] === 1);
        const top = Math.max(...z);
        const lse = top + Math.log(z.reduce((s, v) => s + Math.exp(v - top), 0));
        expect(batch.logProbs[row]).toBeCloseTo(ref.actor[row][a] - lse, 5);
        expect(batch.values[row]).toBeCloseTo(ref.values[row], 5);
        if (e === 1) {
          expect(a).toBe(chosen[t]);
          if (ref.actor[row].indexOf(Math.max(...z)) !== a) differs++;
        }
      }
    }
    expect(differs).toBeGreaterThan(0); // the heuristic's actions are not simply the policy's favourites
    expect(agent.updates).toBe(1);
    agent.dispose();
  });

  it("tanh_normal: the heuristic's box action is stored through the inverse squash, with the policy's log-prob of it", async () => {
    const n = 2, numSteps = 8, space = Box(2, -1, 2);
    const network = { hidden: [16], distribution: 'tanh_normal' as const };
    const agent = await Agent.create({ observationSpace: Box(3), actionSpace: space, numAgents: n, backend: 'cpu', frameBudgetMs: 0, seed: 9, network, ppo: { numSteps, numMinibatches: 2 } });
    const parameters = await agent.getParameters();
    const chosen: number[][] = [];
    agent.setHeuristic(1, (slot, o, actions) => {
      actions[slot * 2] = o[slot * 3] > 0 ? 2 : 0.5 * o[slot * 3 + 1]; // the box's edge, or inside it
      actions[slot * 2 + 1] = -0.25;
      chosen.push([actions[slot * 2], actions[slot * 2 + 1]]);
    }, { train: true });
    let captured: Batch | undefined;
    const trainer = (agent as unknown as { trainer: { update(b: Batch, p: MinibatchPlan): Promise<UpdateStats> } }).trainer;
    const update = trainer.update.bind(trainer);
    trainer.update = (batch, plan) => {
      captured ??= structuredClone(batch);
      return update(batch, plan);
    };
    const rng = new PCG32(3, 1);
    const obs = new Float32Array(n * 3), rewards = new Float32Array(n).fill(1), flags = new Uint8Array(n);
    for (let t = 0; t <= numSteps && captured === undefined; t++) {
      for (let i = 0; i < obs.length; i++) obs[i] = rng.nextNormal();
      const actions = agent.act(obs);
      expect([actions[2], actions[3]]).toEqual(chosen[t].map(Math.fround)); // the game gets the heuristic's action
      agent.observe(rewards, flags, flags);
      await agent.whenIdle();
    }
    const batch = captured!;
    const policy = policySpec(3, space, network);
    const ref = referenceForward(policy, parameters, batch.observations);
    const logStdAt = networkLayout(policy).logStdOffset;
    const loc = [0.5, 0.5], scale = [1.5, 1.5];
    for (let t = 0; t < numSteps; t++) {
      for (let e = 0; e < n; e++) {
        const row = t * n + e;
        let lp = 0;
        for (let d = 0; d < 2; d++) {
          const u = batch.actions[row * 2 + d], ls = parameters[logStdAt + d];
          const z = (u - ref.actor[row][d]) / Math.exp(ls);
          lp += -0.5 * z * z - ls - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - Math.tanh(u) ** 2) - Math.log(scale[d]);
          if (e === 1) expect(loc[d] + scale[d] * Math.tanh(u)).toBeCloseTo(chosen[t][d], 4);
        }
        expect(batch.logProbs[row]).toBeCloseTo(lp, 2);
        expect(Math.abs(batch.logProbs[row] - lp) / Math.max(1, Math.abs(lp))).toBeLessThan(1e-4);
      }
    }
    expect(chosen.some((a) => a[0] === 2)).toBe(true); // an action on the box's edge stayed finite
    agent.dispose();
  });

  it("rejects a trained heuristic's action outside the space or masked, naming the slot", async () => {
    const agent = await Agent.create({ observationSpace: Box(2), actionSpace: Discrete(3), numAgents: 2, masks: true, backend: 'cpu', network: { hidden: [8] }, ppo: { numSteps: 4, numMinibatches: 2 } });
    agent.setHeuristic(1, (slot, _o, actions) => { actions[slot] = 2; }, { train: true });
    expect(() => agent.act(new Float32Array(4), { masks: Uint8Array.of(1, 1, 1, 1, 1, 0) })).toThrow(/heuristic action \(slot 1, branch 0\)/);
    expect(() => agent.setHeuristic(0, () => {}, { train: 1 as never })).toThrow(/options\.train/);
    agent.dispose();
  });
});

describe('zero allocation per tick while recording', () => {
  it('act, observe, addReward, leave and spawn with recorded heuristics (one trained on) allocate nothing once the recorder holds its chunk', async () => {
    const n = 6;
    // numSteps so large that no rollout fills: the update is not on the per-tick path.
    const agent = await Agent.create({ observationSpace: Box(2), actionSpace: Discrete(3), numAgents: n, masks: true, decisionPeriod: 2, backend: 'cpu', network: { hidden: [8] }, ppo: { numSteps: 65536, numMinibatches: 2 } });
    const obs = new Float32Array(n * 2).fill(0.25), rewards = new Float32Array(n).fill(0.5), masks = new Uint8Array(n * 3).fill(1);
    const terminated = new Uint8Array(n), truncated = new Uint8Array(n);
    const withMasks = { masks };
    agent.setHeuristic(1, (slot, _o, actions) => { actions[slot] = 2; });
    agent.setHeuristic(4, (slot, o, actions) => { actions[slot] = o[slot * 2] > 0 ? 1 : 0; }, { train: true });
    // One chunk, reused once full: the recorder allocates nothing after the warm-up.
    const recorder = new DemonstrationRecorder({ observationSpace: Box(2), actionSpace: Discrete(3), chunkSteps: 4096, maxSteps: 4096 });
    agent.record(recorder, [1, 4]);
    const tick = (t: number) => {
      obs[8] = (t % 5) - 2;
      agent.act(obs, withMasks);
      if (agent.alive[t % n]) agent.addReward(t % n, 1);
      terminated[(t * 7) % n] = t % 4 === 0 ? 1 : 0;
      agent.observe(rewards, terminated, truncated);
      const slot = (t * 5) % n;
      if (agent.alive[slot] && t % 3 === 0) agent.leave(slot);
      if (t % 2 === 1 && agent.alive.indexOf(0) >= 0) agent.spawn();
    };
    const grown = await leastHeapGrowth(tick);
    expect(recorder.droppedSteps).toBeGreaterThan(0); // the chunk was reused all along
    expect(grown).toBeLessThan(700_000);
    agent.dispose();
  });
});
