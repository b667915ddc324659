// Recurrent agents (network.memory): each slot carries its own state across act() calls and forgets it where
// its episode ends or its slot is taken again; predict() keeps a memory of its own; the rollout stores the
// state entering every sequence, so the trainer's replay of a batch (here the TF.js oracle's, from the stored
// states with resets at episode ends) gives back every row's acting log-prob and value, whatever the slots
// did (decision periods, agents that come and go, heuristics taking over); checkpoints resume exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions, type UpdateEvent } from '../../src/agent/agent.js';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import { loadPolicy } from '../../src/policy/inference-policy.js';
import { init } from '../../src/init.js';
import { CheckpointError, readSafetensors, type Tensor, writeSafetensors } from '../../src/policy/safetensors.js';
import { makeEnv } from '../../src/envs/registry.js';
import { vectorize } from '../../src/envs/vector.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete } from '../../src/spaces.js';
import { train } from '../../src/train.js';
import { nextTurn } from '../../src/next-turn.js';
import type { MessageEndpoint } from '../../src/worker/protocol.js';
import { serveTrainer } from '../../src/worker/serve.js';
import { captureBatches } from '../helpers/batches.js';
import { leastHeapGrowth } from '../helpers/heap.js';
import { mismatch } from '../oracle/compare.js';
import { oracleEvaluate } from '../oracle/ppo-oracle.js';

beforeAll(() => init());

const OBS = 3;
const lstm = { hidden: [6], memory: { cell: 'lstm' as const, size: 5 } };
const gru = { hidden: [4], shared: true, memory: { cell: 'gru' as const, size: 6, sequenceLength: 3 } };

function options(extra: Partial<AgentOptions> = {}): AgentOptions {
  return { observationSpace: Box(OBS), actionSpace: Box(2), numAgents: 3, backend: 'cpu', seed: 7, frameBudgetMs: 0, network: lstm, ppo: { numSteps: 8, numMinibatches: 3, numEpochs: 1 }, ...extra };
}

/** One single-agent CpuPolicy per slot, with the agent's parameters: an independent memory per slot. */
async function referencePolicies(agent: Agent): Promise<CpuPolicy[]> {
  const parameters = await agent.getParameters();
  const policy = { observationSize: agent.observationSize, actionSpace: agent.actionSpace, network: agent.options.network };
  return Array.from({ length: agent.numAgents }, () => new CpuPolicy(policy, { parameters, maxAgents: 1 }));
}

/** The deterministic action (a Box mean) of one reference slot after a step from its own state. */
function referenceAct(policy: CpuPolicy, observation: Float32Array): Float32Array {
  const out = { actions: new Float32Array(2), logProbs: new Float32Array(1), values: new Float32Array(1) };
  policy.act(observation, out, { deterministic: true });
  return out.actions;
}


describe('recurrent agent: acting', () => {
  it('carries each slot\'s state across ticks, forgets it at the slot\'s episode end, and keeps a non-deciding slot\'s state', async () => {
    const agent = await Agent.create(options({ decisionPeriod: 2 }));
    const reference = await referencePolicies(agent);
    const rng = new PCG32(1, 2);
    const n = agent.numAgents;
    const observations = new Float32Array(n * OBS);
    const terminated = new Uint8Array(n), truncated = new Uint8Array(n);
    const decide = new Uint8Array(n);
    const fresh = new Uint8Array(n).fill(1); // a slot always decides on its episode's first tick
    let compared = 0;
    for (let t = 0; t < 14; t++) {
      for (let i = 0; i < observations.length; i++) observations[i] = rng.nextNormal();
      for (let e = 0; e < n; e++) decide[e] = (t + e) % 3 === 0 ? 1 : 0;
      const actions = agent.act(observations, { deterministic: true, decide });
      for (let e = 0; e < n; e++) {
        if (decide[e] === 0 && fresh[e] === 0) continue; // it repeats its action; its state waits
        fresh[e] = 0;
        const expected = referenceAct(reference[e], observations.subarray(e * OBS, (e + 1) * OBS));
        expect(Array.from(actions.subarray(e * 2, e * 2 + 2))).toEqual(Array.from(expected));
        compared++;
      }
      // Slot 2's episode ends after tick 3, slot 0's is cut short after tick 7.
      terminated.fill(0);
      truncated.fill(0);
      if (t === 3) terminated[2] = 1;
      if (t === 7) truncated[0] = 1;
      agent.observe(new Float32Array(n), terminated, truncated);
      for (let e = 0; e < n; e++) {
        if (terminated[e] || truncated[e]) {
          reference[e].resetStates();
          fresh[e] = 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(15);
    for (const r of reference) r.dispose();
    agent.dispose();
  });

  it('a slot taken again by spawn() starts from a zero state; the others go on', async () => {
    const agent = await Agent.create(options());
    const reference = await referencePolicies(agent);
    const rng = new PCG32(3, 2);
    const n = agent.numAgents;
    const observations = new Float32Array(n * OBS);
    const zeros = new Uint8Array(n);
    for (let t = 0; t < 6; t++) {
      for (let i = 0; i < observations.length; i++) observations[i] = rng.nextNormal();
      const actions = agent.act(observations, { deterministic: true });
      for (let e = 0; e < n; e++) {
        if (agent.alive[e] === 0) continue;
        expect(Array.from(actions.subarray(e * 2, e * 2 + 2))).toEqual(Array.from(referenceAct(reference[e], observations.subarray(e * OBS, (e + 1) * OBS))));
      }
      agent.observe(new Float32Array(n), zeros, zeros);
      if (t === 2) {
        agent.leave(1);
        expect(agent.spawn()).toBe(1);
        reference[1].resetStates();
      }
    }
    for (const r of reference) r.dispose();
    agent.dispose();
  });

  it('predict() keeps a memory of its own: play is the same with or without predict() calls between ticks', async () => {
    const a = await Agent.create(options());
    const b = await Agent.create(options());
    const n = a.numAgents;
    const rng = new PCG32(4, 2);
    const zeros = new Uint8Array(n);
    const logA: number[] = [], logB: number[] = [];
    const predicted: number[][] = [];
    for (let t = 0; t < 10; t++) {
      const observations = Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
      logA.push(...a.act(observations));
      a.observe(new Float32Array(n), zeros, zeros);
      predicted.push(Array.from(a.predict(observations)));
      logB.push(...b.act(observations));
      b.observe(new Float32Array(n), zeros, zeros);
    }
    expect(logA).toEqual(logB);
    // predict() carried its own state: the same observation twice gives a different answer the second time,
    // and after episodeStarts it answers as a fresh agent's predict() does.
    const fresh = await Agent.create(options());
    const observations = Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
    const first = Array.from(a.predict(observations));
    expect(Array.from(a.predict(observations))).not.toEqual(first);
    const restart = a.predict(observations, { episodeStarts: new Uint8Array(n).fill(1) });
    expect(Array.from(restart)).toEqual(Array.from(fresh.predict(observations)));
    expect(() => a.predict(observations, { episodeStarts: new Uint8Array(2) })).toThrow(/options.episodeStarts: expected a Uint8Array of length 3/);
    for (const agent of [a, b, fresh]) agent.dispose();
  });

  it('act, observe, predict, leave and spawn allocate nothing per tick', async () => {
    const n = 4;
    // numSteps so large that no rollout fills: the update is not on the per-tick path.
    const agent = await Agent.create(options({ numAgents: n, decisionPeriod: 2, ppo: { numSteps: 65536, numMinibatches: 2 } }));
    const observations = new Float32Array(n * OBS).fill(0.1);
    const rewards = new Float32Array(n), terminated = new Uint8Array(n), truncated = new Uint8Array(n);
    const starts = { episodeStarts: new Uint8Array(n) };
    agent.setHeuristic(3, (slot, _o, actions) => { actions[slot * 2] = 0.5; });
    const grown = await leastHeapGrowth((t) => {
      agent.act(observations);
      terminated[t % n] = t % 7 === 0 ? 1 : 0;
      agent.observe(rewards, terminated, truncated);
      starts.episodeStarts[t % n] = t % 5 === 0 ? 1 : 0;
      agent.predict(observations, starts);
      if (t % 11 === 0 && agent.alive[1]) agent.leave(1);
      if (t % 11 === 5 && !agent.alive[1]) agent.spawn(1);
    });
    expect(grown).toBeLessThan(700_000);
    agent.dispose();
  });
});

describe('recurrent agent: rollout states', () => {
  // Each scenario: options, what happens after each tick's observe(), and the slots whose episodes must go on
  // at a tick (so a state that should have been forgotten is not forgotten by chance at an episode end).
  const scenarios: [string, Partial<AgentOptions>, (agent: Agent, t: number) => void, ((t: number, slot: number) => boolean)?][] = [
    ['lockstep LSTM', {}, () => {}],
    ['GRU, sequences of 3 in segments of 8, a decision period', { network: gru, decisionPeriod: 2 }, (agent, t) => { if (t % 5 === 1) agent.requestDecision(t % 3); }],
    ['agents that leave and spawn', { network: gru }, (agent, t) => {
      if (t === 9) agent.leave(2, { truncated: true });
      if (t === 14) agent.spawn(2);
      if (t === 20) agent.leave(0);
      if (t === 21) agent.spawn(0);
    }],
    ['a heuristic takes a slot over and hands it back', {}, (agent, t) => {
      if (t === 5) agent.setHeuristic(1, (slot, _obs, actions) => { actions[slot * 2] = 0.5; actions[slot * 2 + 1] = -0.5; });
      if (t === 11) agent.setHeuristic(1, null);
      if (t === 15) agent.setHeuristic(0, (slot, _obs, actions) => { actions[slot * 2] = 0.1; actions[slot * 2 + 1] = 0.2; }, { train: true });
    }, (t, slot) => slot === 1 && t >= 3 && t <= 14],
  ];
  for (const [name, extra, event, goesOn] of scenarios) {
    it(`${name}: the oracle's replay of every batch from its stored states gives the acting log-probs and values`, async () => {
      const agent = await Agent.create(options({ ...extra, ppo: { numSteps: 8, numMinibatches: 3, numEpochs: 1, learningRate: 0 } }));
      const batches = captureBatches(agent);
      const parameters = await agent.getParameters();
      const rng = new PCG32(9, 2);
      const n = agent.numAgents;
      for (let t = 0; t < 60; t++) {
        const observations = Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
        agent.act(observations);
        const terminated = Uint8Array.from({ length: n }, (_, e) => (rng.nextFloat() < 0.08 && !goesOn?.(t, e) ? 1 : 0));
        const truncated = Uint8Array.from({ length: n }, (_, e) => (rng.nextFloat() < 0.04 && !goesOn?.(t, e) ? 1 : 0));
        const finals = Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
        agent.observe(Float32Array.from({ length: n }, () => rng.nextNormal()), terminated, truncated, { finalObservations: finals });
        event(agent, t);
      }
      await agent.whenIdle();
      expect(batches.length).toBeGreaterThanOrEqual(2);
      const policy = { observationSize: OBS, actionSpace: agent.actionSpace, network: agent.options.network };
      for (const batch of batches) {
        expect(batch.hiddenStates).toBeDefined();
        const replay = oracleEvaluate(policy, parameters, batch);
        expect(mismatch(replay.logProbs, batch.logProbs)).toBeNull();
        expect(mismatch(replay.values, batch.values)).toBeNull();
      }
      // Some sequence starts mid-episode: the stored states are not all zero.
      expect(batches.some((b) => b.hiddenStates!.some((v) => v !== 0))).toBe(true);
      agent.dispose();
    });
  }
});

describe('recurrent agent: checkpoints', () => {
  for (const [name, extra] of [['lockstep', {}], ['slots that come and go', { network: gru, decisionPeriod: 2 }]] as const) {
    it(`${name}: resumes exactly mid-rollout (the slots' states, predict()'s and the stored ones)`, async () => {
      const opts = options({ ...extra, ppo: { numSteps: 8, numMinibatches: 3, numEpochs: 2 } });
      const n = 3;
      const play = (agent: Agent, rng: PCG32, ticks: number, log: number[]) => {
        for (let t = 0; t < ticks; t++) {
          const observations = Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
          log.push(...agent.act(observations));
          log.push(...agent.predict(observations));
          const terminated = Uint8Array.from({ length: n }, () => (rng.nextFloat() < 0.1 ? 1 : 0));
          agent.observe(Float32Array.from({ length: n }, () => rng.nextNormal()), terminated, new Uint8Array(n));
          if (name !== 'lockstep') agent.requestDecision(0); // slot 0 decides every tick, the others every second one
        }
      };
      const a = await Agent.create(opts);
      const rngA = new PCG32(11, 2);
      play(a, rngA, 21, []);
      if (name !== 'lockstep') {
        a.leave(1);
        a.spawn(1);
      }
      await a.whenIdle();
      const bytes = await a.save();
      const header = new TextDecoder().decode(bytes.subarray(0, 8192));
      expect(header.includes('"memory.play"')).toBe(true);
      // Slots on their own clocks: some stretches already sit in the unfinished rollout, with their states.
      expect(header.includes('"stream.hidden_states"')).toBe(name !== 'lockstep');
      const b = await Agent.load(bytes);
      const rngB = new PCG32(0, 0);
      rngB.setState(rngA.getState());
      const logA: number[] = [], logB: number[] = [];
      play(a, rngA, 30, logA);
      play(b, rngB, 30, logB);
      expect(logB).toEqual(logA);
      await a.whenIdle();
      await b.whenIdle();
      expect(b.updates).toBe(a.updates);
      expect(await b.save()).toEqual(await a.save());
      a.dispose();
      b.dispose();
    });
  }
});

/** The file with edited tensors, re-sealed with a correct checksum (FNV-1a over the file, written here apart). */
function reseal(original: Uint8Array, edit: (tensors: Map<string, Tensor>) => void): Uint8Array {
  const { tensors, metadata } = readSafetensors(original.slice());
  edit(tensors);
  metadata.checksum = '00000000';
  const bytes = writeSafetensors(tensors, metadata);
  const end = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const at = new TextDecoder().decode(bytes.subarray(0, end)).indexOf('"checksum":"00000000"') + '"checksum":"'.length;
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  bytes.set(new TextEncoder().encode((h >>> 0).toString(16).padStart(8, '0')), at);
  return bytes;
}

describe('recurrent agent: corrupted memory in a checkpoint', () => {
  it('is rejected with a CheckpointError naming the tensor', async () => {
    const agent = await Agent.create(options({ network: gru, decisionPeriod: 2 }));
    const rng = new PCG32(2, 2);
    for (let t = 0; t < 9; t++) {
      agent.act(Float32Array.from({ length: 3 * OBS }, () => rng.nextNormal()));
      agent.observe(new Float32Array(3), new Uint8Array(3), new Uint8Array(3));
    }
    const bytes = await agent.save();
    const loaded = await Agent.load(bytes);
    expect(loaded.steps).toBe(agent.steps);
    loaded.dispose();
    for (const name of ['memory.play', 'memory.predict', 'memory.staging']) {
      const bad = reseal(bytes, (t) => { (t.get(name)!.data as Float32Array)[1] = Number.NaN; });
      await expect(Agent.load(bad)).rejects.toThrow(new RegExp(`checkpoint: tensor ${name}\\[1\\]: expected a finite number`));
      const missing = reseal(bytes, (t) => { t.delete(name); });
      await expect(Agent.load(missing)).rejects.toThrow(CheckpointError);
      const wrong = reseal(bytes, (t) => { const x = t.get(name)!; t.set(name, { ...x, shape: [x.data.length], data: x.data }); });
      await expect(Agent.load(wrong)).rejects.toThrow(new RegExp(`tensor ${name}: expected F32`));
    }
    agent.dispose();
  });
});

describe('recurrent agent: playing a checkpoint', () => {
  it('loadPolicy() goes on from predict()\'s memory and predicts as the agent does, episode starts included', async () => {
    const agent = await Agent.create(options({ network: gru }));
    const n = agent.numAgents;
    const rng = new PCG32(8, 2);
    const observe = () => Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
    for (let t = 0; t < 4; t++) agent.predict(observe());
    const policy = await loadPolicy(await agent.save());
    const starts = new Uint8Array(n);
    for (let t = 0; t < 6; t++) {
      starts.fill(0);
      if (t === 3) starts[1] = 1;
      const observations = observe();
      expect(Array.from(policy.predict(observations, { episodeStarts: starts }))).toEqual(Array.from(agent.predict(observations, { episodeStarts: starts })));
    }
    expect(() => policy.predict(observe(), { episodeStarts: new Uint8Array(1) })).toThrow(/options.episodeStarts: expected a Uint8Array of length 3/);
    policy.dispose();
    agent.dispose();
  });
});

describe('recurrent agent: options', () => {
  it('rejects what a recurrent network cannot train with, naming the field, and takes self-play and cloning', async () => {
    await expect(Agent.create(options({ ppo: { numSteps: 8, numMinibatches: 4 } }))).rejects.toThrow(/ppo.numMinibatches: expected at most numAgents = 3 for a recurrent network/);
    // Self-play takes recurrent networks (its opponents carry their own states: test/agent/self-play-recurrent.test.ts).
    const selfPlay = await Agent.create(options({ numAgents: 2, ppo: { numSteps: 8, numMinibatches: 2 }, selfPlay: {} }));
    expect(selfPlay.selfPlay?.learningTeam).toBe(0);
    selfPlay.dispose();
    // Behaviour cloning replays demonstrations as sequences (test/imitation/recurrent-cloning.test.ts): an empty list is the only fault here.
    await expect(Agent.create(options({ behavioralCloning: { demonstrations: [] as never } }))).rejects.toThrow(/demonstrations: expected at least one demonstration/);
    // Left to its default, numMinibatches fits the agents.
    const two = await Agent.create(options({ numAgents: 2, ppo: { numSteps: 8 } }));
    expect(two.options.ppo.numMinibatches).toBe(2);
    two.dispose();
    const agent = await Agent.create(options());
    await expect(agent.pretrain([] as never, { epochs: 1, batchSize: 8 })).rejects.toThrow(/demonstrations: expected at least one demonstration/);
    // ONNX export carries the memory as explicit state tensors (stepped in onnxruntime by test/interop/onnx-recurrent.test.ts).
    const onnx = new TextDecoder().decode(await agent.exportOnnx());
    expect(onnx).toContain('state_in');
    expect(onnx).toContain('state_out');
    agent.dispose();
  });
});

describe('recurrent agent: train()', () => {
  it('trains an LSTM agent on CartPole end to end on the CPU backend', async () => {
    const env = makeEnv('CartPole-v1');
    const agent = await Agent.create({
      observationSpace: env.observationSpace, actionSpace: Discrete(2), numAgents: 4, backend: 'cpu', seed: 3,
      network: { hidden: [32], memory: { cell: 'lstm', size: 16, sequenceLength: 16 } },
      ppo: { numSteps: 64, numMinibatches: 2, numEpochs: 4, learningRate: 3e-3 },
    });
    const before = await agent.getParameters();
    const returns: number[] = [];
    agent.on('episode', (e) => returns.push(e.return));
    const result = await train(agent, vectorize(() => makeEnv('CartPole-v1'), 4), { totalSteps: 12_288 });
    expect(result.updates).toBe(48);
    const after = await agent.getParameters();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    // Random play lasts about 22 steps; the trained policy's last episodes clearly longer.
    expect(mean(returns.slice(0, 20))).toBeLessThan(30);
    expect(mean(returns.slice(-20))).toBeGreaterThan(60);
    agent.dispose();
  });
});

describe('recurrent agent: updates', () => {
  it('in a game loop: lagged batches (V-trace on segments), prioritized segments and target KL', async () => {
    const agent = await Agent.create(options({
      numAgents: 4, frameBudgetMs: 1,
      ppo: { numSteps: 16, numMinibatches: 2, numEpochs: 6, learningRate: 0.01, targetKl: 0.002, prioritized: { alpha: 0.6, beta0: 0.4, over: 'segments' } },
    }));
    const events: UpdateEvent[] = [];
    agent.on('update', (e) => events.push(e));
    const rng = new PCG32(12, 2);
    for (let t = 0; t < 400; t++) {
      agent.act(Float32Array.from({ length: 4 * OBS }, () => rng.nextNormal()));
      agent.observe(Float32Array.from({ length: 4 }, () => rng.nextNormal()), Uint8Array.from({ length: 4 }, () => (rng.nextFloat() < 0.05 ? 1 : 0)), new Uint8Array(4));
      await nextTurn(); // the update runs in slices between ticks while the game collects with the previous policy
    }
    await agent.whenIdle();
    expect(events.length).toBeGreaterThan(5);
    expect(events.some((e) => e.lagged)).toBe(true);
    expect(events.some((e) => e.stats.epochs < 6)).toBe(true); // target KL stopped some updates early
    for (const e of events) for (const value of Object.values(e.stats)) expect(Number.isFinite(value)).toBe(true);
    expect(agent.health.divergences).toBe(0);
    agent.dispose();
  });

  it('trains through a worker endpoint exactly as in this thread', async () => {
    const channel = new MessageChannel();
    serveTrainer(channel.port1 as unknown as MessageEndpoint);
    const cartpole = () => makeEnv('CartPole-v1');
    const create = (trainInWorker?: MessageEndpoint) => Agent.create({
      observationSpace: cartpole().observationSpace, actionSpace: Discrete(2), numAgents: 2, backend: 'cpu', seed: 4,
      network: gru, ppo: { numSteps: 16, numMinibatches: 2 }, trainInWorker,
    });
    const here = await create();
    const there = await create(channel.port2 as unknown as MessageEndpoint);
    for (const agent of [here, there]) await train(agent, vectorize(cartpole, 2), { totalSteps: 2 * 16 * 3 });
    expect(there.updates).toBe(3);
    expect(await there.getParameters()).toEqual(await here.getParameters());
    expect(await there.save()).toEqual(await here.save());
    here.dispose();
    there.dispose();
    channel.port1.close();
    channel.port2.close();
  });
});
