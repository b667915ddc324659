// Recurrent agents (network.memory): each slot carries its own state across act() calls and forgets it where
// its episode ends or its slot is taken again; predict() keeps a memory of its own; the rollout stores the
// state entering every sequence, so the trainer's replay of a batch (here the TF.js oracle's, from the stored
// states with resets at episode ends) gives back every row's acting log-prob and value, whatever the slots
// did (decision periods, agents that come and go, heuristics taking over); checkpoints resume exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions } from '../../src/agent/agent.js';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import type { Batch, MinibatchPlan, Trainer } from '../../src/backend/trainer.js';
import { init } from '../../src/init.js';
import { makeEnv } from '../../src/envs/registry.js';
import { vectorize } from '../../src/envs/vector.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete } from '../../src/spaces.js';
import { train } from '../../src/train.js';
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

/** Records every batch the agent's trainer updates on (copies: the agent reuses its staging batch). */
function captureBatches(agent: Agent): Batch[] {
  const trainer = (agent as unknown as { trainer: Trainer }).trainer;
  const batches: Batch[] = [];
  const update = trainer.update.bind(trainer);
  trainer.update = (batch: Batch, plan?: MinibatchPlan) => {
    batches.push(structuredClone(batch));
    return update(batch, plan);
  };
  return batches;
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
  const scenarios: [string, Partial<AgentOptions>, (agent: Agent, t: number) => void][] = [
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
    }],
  ];
  for (const [name, extra, event] of scenarios) {
    it(`${name}: the oracle's replay of every batch from its stored states gives the acting log-probs and values`, async () => {
      const agent = await Agent.create(options({ ...extra, ppo: { numSteps: 8, numMinibatches: 3, numEpochs: 1, learningRate: 0 } }));
      const batches = captureBatches(agent);
      const parameters = await agent.getParameters();
      const rng = new PCG32(9, 2);
      const n = agent.numAgents;
      for (let t = 0; t < 60; t++) {
        const observations = Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
        agent.act(observations);
        const terminated = Uint8Array.from({ length: n }, () => (rng.nextFloat() < 0.08 ? 1 : 0));
        const truncated = Uint8Array.from({ length: n }, () => (rng.nextFloat() < 0.04 ? 1 : 0));
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

describe('recurrent agent: options', () => {
  it('rejects what a recurrent network cannot train with, naming the field', async () => {
    await expect(Agent.create(options({ ppo: { numSteps: 8, numMinibatches: 4 } }))).rejects.toThrow(/ppo.numMinibatches: expected at most numAgents = 3 for a recurrent network/);
    await expect(Agent.create(options({ numAgents: 2, ppo: { numSteps: 8, numMinibatches: 2 }, selfPlay: {} }))).rejects.toThrow(/selfPlay: expected undefined for a recurrent network/);
    await expect(Agent.create(options({ backend: 'webgpu' }))).rejects.toThrow(/network.memory: expected no memory \(this backend has no recurrent kernels yet\)/);
    await expect(Agent.create(options({ behavioralCloning: { demonstrations: [] as never } }))).rejects.toThrow(/behavioralCloning/);
    const agent = await Agent.create(options());
    expect(() => agent.pretrain([] as never, { epochs: 1 })).toThrow(/network.memory: expected a feed-forward network for pretrain/);
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
