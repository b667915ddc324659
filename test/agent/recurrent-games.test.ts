// Recurrent agents in random games (property-based): whatever the slots do (decide on their own clocks or when
// asked, end episodes, leave and spawn, get handed to heuristics that are trained on or not, take back a
// tick), every batch the agent trains on, replayed by the TF.js oracle from its stored states with the trainer's
// resets (at terminated or truncated rows), gives back every row's acting log-prob and value. So each sequence
// starts where the state the slot acted with is stored, and nothing the game does leaves a row whose state the
// trainer cannot rebuild.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete } from '../../src/spaces.js';
import { captureBatches } from '../helpers/batches.js';
import { mismatch } from '../oracle/compare.js';
import { oracleEvaluate } from '../oracle/ppo-oracle.js';

beforeAll(() => init());

const RUNS = Number(process.env.FUZZ_RUNS ?? 0) || 16;
const OBS = 2;

describe('recurrent agents in random games', () => {
  it('every batch replays from its stored states to the acting log-probs and values', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        numAgents: fc.integer({ min: 1, max: 4 }),
        numSteps: fc.integer({ min: 2, max: 7 }),
        sequenceLength: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
        cell: fc.constantFrom('lstm' as const, 'gru' as const),
        shared: fc.boolean(),
        discrete: fc.boolean(),
        decisionPeriod: fc.integer({ min: 1, max: 3 }),
      }),
      async (game) => {
        const n = game.numAgents;
        const agent = await Agent.create({
          observationSpace: Box(OBS), actionSpace: game.discrete ? Discrete(3) : Box(1), numAgents: n, backend: 'cpu', seed: game.seed,
          frameBudgetMs: 0, decisionPeriod: game.decisionPeriod,
          network: { hidden: [4], shared: game.shared, memory: { cell: game.cell, size: 3, sequenceLength: game.sequenceLength } },
          ppo: { numSteps: game.numSteps, numMinibatches: 1, numEpochs: 1, learningRate: 0 },
        });
        const batches = captureBatches(agent);
        const parameters = await agent.getParameters();
        const rng = new PCG32(game.seed, 7);
        const chance = (p: number) => rng.nextFloat() < p;
        const heuristic = (slot: number, _obs: Float32Array, actions: Int32Array | Float32Array) => { actions[slot] = game.discrete ? slot % 3 : 0.25; };
        const decide = new Uint8Array(n);
        for (let t = 0; t < 40; t++) {
          const observations = Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
          for (let e = 0; e < n; e++) decide[e] = chance(0.6) ? 1 : 0;
          agent.act(observations, chance(0.5) ? { decide } : undefined);
          if (chance(0.05)) {
            agent.cancelStep();
            continue;
          }
          const terminated = Uint8Array.from({ length: n }, () => (chance(0.1) ? 1 : 0));
          const truncated = Uint8Array.from({ length: n }, () => (chance(0.05) ? 1 : 0));
          const finalObservations = Float32Array.from({ length: n * OBS }, () => rng.nextNormal());
          agent.observe(Float32Array.from({ length: n }, () => rng.nextNormal()), terminated, truncated, { finalObservations });
          const slot = rng.nextU32() % n;
          if (agent.alive[slot] === 1 && chance(0.08)) agent.leave(slot, chance(0.5) ? { truncated: true, finalObservation: observations.subarray(0, OBS) } : undefined);
          else if (agent.alive[slot] === 0 && chance(0.4)) agent.spawn(slot);
          else if (chance(0.06)) agent.setHeuristic(slot, chance(0.5) ? null : heuristic, { train: chance(0.5) });
          else if (agent.alive[slot] === 1 && chance(0.1)) agent.requestDecision(slot);
        }
        await agent.whenIdle();
        const policy = { observationSize: OBS, actionSpace: agent.actionSpace, network: agent.options.network };
        for (const batch of batches) {
          const replay = oracleEvaluate(policy, parameters, batch);
          expect(mismatch(replay.logProbs, batch.logProbs)).toBeNull();
          expect(mismatch(replay.values, batch.values)).toBeNull();
        }
        agent.dispose();
      },
    ), { numRuns: RUNS, seed: 20261129 });
  });
});
