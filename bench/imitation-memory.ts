// Behaviour cloning of recurrent policies (npm run bench:imitation-memory), CueRecall-v0 (4 cues, delay 5-20) on
// the CPU backend: an expert that knows the cue plays 8 heuristic slots that agent.record() records; fresh
// agents with an LSTM, a GRU and no memory are cloned from the recording with agent.pretrain() (no environment
// reward) and evaluated deterministically. A policy without memory is held to chance (1/4) by the env's
// construction; the recurrent ones must remember the cue over the delay from the demonstrations alone.
// Usage: node --import tsx bench/imitation-memory.ts [--seeds 1,2,3] [--ticks 1000] [--epochs 30] [--lr 0.003]
import { Agent, type Demonstration, DemonstrationRecorder, evaluateAgent, init, makeEnv } from '../dist/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seeds = option('--seeds', '1,2,3').split(',').map(Number);
const ticks = Number(option('--ticks', '1000'));
const epochs = Number(option('--epochs', '30'));
const learningRate = Number(option('--lr', '0.003'));
const ID = 'CueRecall-v0';
const ENVS = 8;
const EPISODES = 200;

type Cue = ReturnType<typeof makeEnv> & { cue: number };

await init();
const env = makeEnv(ID);
const { observationSpace, actionSpace } = env;
const size = (observationSpace as { size: number }).size;

/** `ticks` ticks of ENVS envs, every slot played by the expert (it answers the cue at every step) and recorded. */
async function record(seed: number): Promise<Demonstration> {
  const envs = Array.from({ length: ENVS }, () => makeEnv(ID) as Cue);
  const player = await Agent.create({ observationSpace, actionSpace, numAgents: ENVS, backend: 'cpu', seed, network: { hidden: [4] }, ppo: { numSteps: 4096 } });
  for (let e = 0; e < ENVS; e++) player.setHeuristic(e, (slot, _o, actions) => { actions[slot] = envs[slot].cue; });
  const recorder = new DemonstrationRecorder({ observationSpace, actionSpace });
  player.record(recorder);
  const obs = new Float32Array(ENVS * size), rewards = new Float32Array(ENVS), terminated = new Uint8Array(ENVS), truncated = new Uint8Array(ENVS);
  envs.forEach((e, i) => obs.set(e.reset({ seed: seed * 1000 + i }).observation as Float32Array, i * size));
  for (let t = 0; t < ticks; t++) {
    const actions = player.act(obs) as Int32Array;
    envs.forEach((e, i) => {
      const step = e.step(actions[i]);
      rewards[i] = step.reward;
      terminated[i] = step.terminated ? 1 : 0;
      obs.set((step.terminated ? e.reset().observation : step.observation) as Float32Array, i * size);
    });
    player.observe(rewards, terminated, truncated);
  }
  player.stopRecording();
  player.dispose();
  return recorder.toDemonstration();
}

const variants = [
  { name: 'LSTM 32', network: { hidden: [32], memory: { cell: 'lstm' as const, size: 32, sequenceLength: 16 } } },
  { name: 'GRU 32', network: { hidden: [32], memory: { cell: 'gru' as const, size: 32, sequenceLength: 16 } } },
  { name: 'no memory', network: { hidden: [32, 32] } },
];

console.log(`\n## ${ID}: cloned from ${ticks} ticks x ${ENVS} recorded slots of an expert, ${epochs} epochs, lr ${learningRate}\n`);
console.log('| seed | network | demonstrated steps | last-epoch accuracy | deterministic success (200 episodes) | pretrain s |');
console.log('|---|---|---|---|---|---|');
for (const seed of seeds) {
  const demo = await record(seed);
  for (const v of variants) {
    const agent = await Agent.create({ observationSpace, actionSpace, numAgents: ENVS, backend: 'cpu', seed, network: v.network });
    const start = performance.now();
    const history = await agent.pretrain(demo, { epochs, batchSize: 256, learningRate, seed });
    const seconds = (performance.now() - start) / 1000;
    const returns = await evaluateAgent(agent, () => makeEnv(ID), EPISODES, 99_999);
    agent.dispose();
    const success = returns.reduce((a, b) => a + b, 0) / returns.length;
    console.log(`| ${seed} | ${v.name} | ${demo.steps} | ${history[history.length - 1].accuracy!.toFixed(3)} | ${success.toFixed(3)} | ${seconds.toFixed(1)} |`);
  }
}
