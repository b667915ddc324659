// Behaviour cloning of a recurrent policy from recorded play (agent.pretrain and behavioralCloning on the CPU
// backend): an expert who knows the cue plays CueRecall (3 cues, delay 1-3) through heuristic slots and is
// recorded with agent.record; an LSTM agent pretrained on the recording answers right on most deterministic
// episodes, while the same agent without memory cannot beat chance (the env hides the cue at the question).
// Also: a saved demonstration file clones the same, and cloning during PPO runs on whole sequences.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { CueRecall } from '../../src/envs/cue-recall.js';
import { DemonstrationRecorder, encodeDemonstration, loadDemonstration, type Demonstration } from '../../src/imitation/demonstration.js';
import type { BehavioralCloningStats } from '../../src/imitation/behavioral-cloning.js';
import { init } from '../../src/init.js';
import type { NetworkSpecInput } from '../../src/policy/network.js';
import { evaluateAgent, train } from '../../src/train.js';

beforeAll(() => init());

const cueRecall = () => new CueRecall({ cues: 3, minDelay: 1, maxDelay: 3 });
const ENVS = 8;

/**
 * `ticks` ticks of ENVS envs played by an expert that answers the cue at every step, recorded the way a game
 * records a player: every slot of an agent driven by a heuristic (setHeuristic) and recorded (agent.record).
 */
async function expertDemonstration(ticks: number, seed: number): Promise<Demonstration> {
  const envs = Array.from({ length: ENVS }, cueRecall);
  const { observationSpace, actionSpace } = envs[0];
  const player = await Agent.create({ observationSpace, actionSpace, numAgents: ENVS, backend: 'cpu', seed, network: { hidden: [4] }, ppo: { numSteps: 1024 } });
  for (let e = 0; e < ENVS; e++) player.setHeuristic(e, (slot, _obs, actions) => { actions[slot] = envs[slot].cue; });
  const recorder = new DemonstrationRecorder({ observationSpace, actionSpace });
  player.record(recorder);
  const size = 4;
  const obs = new Float32Array(ENVS * size), rewards = new Float32Array(ENVS);
  const terminated = new Uint8Array(ENVS), truncated = new Uint8Array(ENVS);
  envs.forEach((env, e) => obs.set(env.reset({ seed: seed + e }).observation as Float32Array, e * size));
  for (let t = 0; t < ticks; t++) {
    const actions = player.act(obs) as Int32Array;
    envs.forEach((env, e) => {
      const step = env.step(actions[e]);
      rewards[e] = step.reward;
      terminated[e] = step.terminated ? 1 : 0;
      obs.set((step.terminated ? env.reset().observation : step.observation) as Float32Array, e * size);
    });
    player.observe(rewards, terminated, truncated);
  }
  player.stopRecording();
  player.dispose();
  return recorder.toDemonstration();
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function cloned(network: NetworkSpecInput, demo: Demonstration): Promise<{ agent: Agent; accuracy: number }> {
  const env = cueRecall();
  const agent = await Agent.create({
    observationSpace: env.observationSpace, actionSpace: env.actionSpace, numAgents: ENVS, backend: 'cpu', seed: 1, network,
  });
  await agent.pretrain(demo, { epochs: 40, batchSize: 128, learningRate: 1e-2 });
  return { agent, accuracy: mean(await evaluateAgent(agent, cueRecall, 96, 777)) };
}

describe('behaviour cloning of a recurrent policy (CueRecall, 3 cues, delay 1-3)', () => {
  let demo: Demonstration;
  beforeAll(async () => { demo = await expertDemonstration(100, 1); }); // 800 steps, about 200 episodes

  it('an LSTM agent pretrained on recorded play remembers the cue; the same agent without memory stays at chance', async () => {
    const lstm = await cloned({ hidden: [16], memory: { cell: 'lstm', size: 16, sequenceLength: 4 } }, demo);
    const plain = await cloned({ hidden: [16] }, demo);
    lstm.agent.dispose();
    plain.agent.dispose();
    expect(lstm.accuracy, `LSTM ${lstm.accuracy}, feed-forward ${plain.accuracy}`).toBeGreaterThanOrEqual(0.8);
    // 96 episodes at chance 1/3: within 3 binomial standard deviations (0.048 each).
    expect(Math.abs(plain.accuracy - 1 / 3), `feed-forward ${plain.accuracy}`).toBeLessThan(3 * Math.sqrt((1 / 3) * (2 / 3) / 96));
  }, 60_000);

  it('a saved demonstration file clones to the same parameters (its slots and episode ends are the streams)', async () => {
    const small = await expertDemonstration(12, 2);
    const network = { hidden: [8], memory: { cell: 'gru' as const, size: 8, sequenceLength: 3 } };
    const make = () => Agent.create({ observationSpace: small.observationSpace, actionSpace: small.actionSpace, numAgents: 2, backend: 'cpu', seed: 3, network });
    const [a, b] = [await make(), await make()];
    const options = { epochs: 2, batchSize: 12, learningRate: 0.01, seed: 4 };
    const [first, second] = [await a.pretrain(small, options), await b.pretrain(loadDemonstration(encodeDemonstration(small)), options)];
    expect(second).toEqual(first);
    expect(await b.getParameters()).toEqual(await a.getParameters());
    a.dispose();
    b.dispose();
  });

  it('behavioralCloning during PPO clones whole sequences after each update', async () => {
    const env = cueRecall();
    const agent = await Agent.create({
      observationSpace: env.observationSpace, actionSpace: env.actionSpace, numAgents: ENVS, backend: 'cpu', seed: 5,
      network: { hidden: [16], memory: { cell: 'lstm', size: 16, sequenceLength: 4 } },
      ppo: { numSteps: 16, numEpochs: 2, numMinibatches: 2 },
      behavioralCloning: { demonstrations: demo, batchSize: 64, numEpoch: 3 },
    });
    const rounds: BehavioralCloningStats[] = [];
    agent.on('update', (e) => { if (e.behavioralCloning) rounds.push(e.behavioralCloning); });
    await train(agent, cueRecall, { totalSteps: 3 * 16 * ENVS });
    agent.dispose();
    expect(rounds.length).toBe(3);
    // 8 recorded agents of 100 steps: 200 sequences of 4; 64 steps hold 16 of them, so 12 minibatches an epoch.
    expect(rounds.map((r) => [r.epochs, r.minibatches])).toEqual([[3, 36], [3, 36], [3, 36]]);
    expect(rounds[2].loss_bc).toBeLessThan(rounds[0].loss_bc);
    expect(rounds.every((r) => Number.isFinite(r.loss_bc) && r.accuracy !== undefined)).toBe(true);
  }, 30_000);
});
