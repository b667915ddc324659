// Behaviour-cloning learning check (npm run bench:imitation), CartPole-v1 on the CPU backend:
// 1. A scripted PD controller on the pole (angle, angular velocity, plus a little cart position and velocity)
//    plays 20 recorded episodes; an agent cloned from them with no environment reward is evaluated
//    (deterministic, 20 episodes): target within 10% of the script's mean return.
// 2. Cloning followed by PPO against PPO from scratch, per seed: environment steps until the deterministic mean
//    return over 20 episodes reaches 475 (evaluated every 5k steps, and once before training); and the cloned
//    agent's return after 20k further PPO steps (does PPO keep what was cloned?).
// Everything goes through the agent API: the script plays a heuristic slot that agent.record() records, and
// agent.pretrain() clones it; --bc S keeps PPO close to the demonstrations (AgentOptions.behavioralCloning,
// strength S annealed to 0 over half the budget) in the clone + PPO runs.
// Usage: node --import tsx bench/imitation.ts [--seeds 1,2,3,4,5] [--budget 100000] [--epochs 50] [--lr 0.003] [--bc 0.5]
import { Agent, DemonstrationRecorder, evaluateAgent, init, makeEnv, presetFor, train } from '../dist/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seeds = option('--seeds', '1,2,3,4,5').split(',').map(Number);
const budget = Number(option('--budget', '100000'));
const epochs = Number(option('--epochs', '50'));
const learningRate = Number(option('--lr', '0.003'));
const strength = Number(option('--bc', '0'));
const ID = 'CartPole-v1';
const TARGET = 475;
const EVERY = 5_000;

/** The script: push toward where the pole falls, damped. Reaches 500 on CartPole-v1. */
function script(o: Float32Array): number {
  return o[2] + 0.5 * o[3] + 0.05 * o[0] + 0.2 * o[1] > 0 ? 1 : 0;
}

await init();
const env = makeEnv(ID);
const recorder = new DemonstrationRecorder({ observationSpace: env.observationSpace, actionSpace: env.actionSpace });
const player = await Agent.create({ observationSpace: env.observationSpace, actionSpace: env.actionSpace, backend: 'cpu' });
player.setHeuristic(0, (_slot, o, actions) => { actions[0] = script(o); });
player.record(recorder);
const reward = new Float32Array(1), terminated = new Uint8Array(1), truncated = new Uint8Array(1);
let scriptTotal = 0;
for (let episode = 0; episode < 20; episode++) {
  let observation = env.reset({ seed: 10_000 + episode }).observation as Float32Array;
  for (;;) {
    const step = env.step(player.act(observation)[0]);
    reward[0] = step.reward;
    terminated[0] = step.terminated ? 1 : 0;
    truncated[0] = step.truncated ? 1 : 0;
    player.observe(reward, terminated, truncated);
    scriptTotal += step.reward;
    observation = step.observation as Float32Array;
    if (step.terminated || step.truncated) break;
  }
}
player.stopRecording();
player.dispose();
const demo = recorder.toDemonstration();
const scriptMean = scriptTotal / 20;
console.log(`\n## ${ID}: the script's mean return ${scriptMean.toFixed(1)} over 20 recorded episodes (${demo.steps} steps)\n`);

const preset = presetFor(ID);
const create = (seed: number, cloning = false) => Agent.create({
  ...preset.agent, observationSpace: env.observationSpace, actionSpace: env.actionSpace, backend: 'cpu', seed,
  ...(cloning && strength > 0 ? { behavioralCloning: { demonstrations: demo, strength, steps: Math.floor(budget / 2) } } : {}),
});
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const clone = async (agent: Agent, seed: number) => {
  const started = performance.now();
  const history = await agent.pretrain(demo, { epochs, batchSize: 256, learningRate, critic: true, seed });
  return { last: history[history.length - 1], ms: performance.now() - started };
};

console.log(strength > 0 ? `clone + PPO keeps cloning: strength ${strength}, annealed to 0 over ${Math.floor(budget / 2)} steps\n` : '');
console.log('| seed | cloned: mean return (no env reward) | accuracy | pretrain s | PPO from scratch: steps to 475 | clone + PPO: steps to 475 | clone + 20k PPO steps: mean return |');
console.log('|---|---|---|---|---|---|---|');
const rows: { cloned: number; scratch?: number; tuned?: number }[] = [];
for (const seed of seeds) {
  const toTarget = async (agent: Agent): Promise<number | undefined> => {
    if (mean(await evaluateAgent(agent, () => makeEnv(ID), 20, seed + 1_000_003)) >= TARGET) return 0;
    const controller = new AbortController();
    let hit: number | undefined;
    await train(agent, () => makeEnv(ID), {
      totalSteps: budget, signal: controller.signal, evaluate: { every: EVERY, episodes: 20 },
      onProgress: (e) => { if (e.type === 'eval' && e.meanReturn >= TARGET && hit === undefined) { hit = e.steps; controller.abort(); } },
    });
    return hit;
  };
  const cloned = await create(seed, true);
  const { last, ms } = await clone(cloned, seed);
  const clonedReturn = mean(await evaluateAgent(cloned, () => makeEnv(ID), 20, seed + 1_000_003));
  const tuned = await toTarget(cloned);
  // Whether PPO keeps what was cloned: 20k more steps of PPO, then the same evaluation.
  await train(cloned, () => makeEnv(ID), { totalSteps: cloned.steps + 20_000 });
  const kept = mean(await evaluateAgent(cloned, () => makeEnv(ID), 20, seed + 1_000_003));
  cloned.dispose();
  const scratchAgent = await create(seed);
  const scratch = await toTarget(scratchAgent);
  scratchAgent.dispose();
  rows.push({ cloned: clonedReturn, scratch, tuned });
  console.log(`| ${seed} | ${clonedReturn.toFixed(1)} | ${last.accuracy?.toFixed(3)} | ${(ms / 1000).toFixed(1)} | ${scratch ?? `> ${budget}`} | ${tuned ?? `> ${budget}`} | ${kept.toFixed(1)} |`);
}
const clonedMean = mean(rows.map((r) => r.cloned));
const within = clonedMean >= 0.9 * scriptMean;
console.log(`\ncloned mean return ${clonedMean.toFixed(1)} vs the script's ${scriptMean.toFixed(1)}: ${within ? 'PASS' : 'FAIL'} (within 10%)`);
const steps = (r: number | undefined) => r ?? Infinity;
const faster = rows.filter((r) => steps(r.tuned) < steps(r.scratch)).length;
console.log(`clone + PPO reached ${TARGET} in fewer steps than PPO from scratch on ${faster}/${rows.length} seeds`);
process.exit(within ? 0 : 1);
