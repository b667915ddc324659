// Learnability of the paddle duel: plain single-agent PPO (CPU backend) on PaddleDuel-v0 (the learner against
// the scripted baseline), evaluated every `--every` steps over `--games` whole games against the baseline
// (sides alternating, deterministic policy); stops at the target win rate or the budget. Prints the win rate
// per evaluation, steps and wall time.
// Usage: node --import tsx bench/duel.ts [--steps 2000000] [--every 100000] [--games 100] [--seed 1] [--target 0.8]
import { Agent, DuelVsBaseline, evaluateVersusBaseline, init, loadPolicy, presetFor, train } from '../dist/index.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const budget = arg('steps', 2_000_000);
const every = arg('every', 100_000);
const games = arg('games', 100);
const seed = arg('seed', 1);
const target = arg('target', 0.8);
// Variants for tuning: --ppo '{"learningRate":3e-4}' --duel '{"physics":{"paddleSpeed":0.5}}' --baseline '{"reactAt":0}'
const json = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? JSON.parse(args[i + 1]) : undefined;
};
const envOptions = { duel: json('duel'), baseline: json('baseline') };

await init();
const env = new DuelVsBaseline(envOptions);
const base = presetFor('PaddleDuel-v0');
const preset = { ...base, agent: { ...base.agent, ...json('agent'), ppo: { ...base.agent.ppo, ...json('ppo') } } };
const agent = await Agent.create({ ...preset.agent, observationSpace: env.observationSpace, actionSpace: env.actionSpace, backend: 'cpu', seed });
console.log(`PaddleDuel-v0 seed ${seed}: PPO ${JSON.stringify(preset.agent)}, eval every ${every} steps over ${games} games`);
console.log('| steps | win rate | wins / draws / losses | train s | sps |');
console.log('|---|---|---|---|---|');
const started = performance.now();
let reached: number | undefined;
while (agent.steps < budget) {
  await train(agent, () => new DuelVsBaseline(envOptions), { totalSteps: Math.min(budget, agent.steps + every) });
  const policy = await loadPolicy(await agent.save(), { numAgents: 1 });
  const row = new Float32Array(6);
  const result = evaluateVersusBaseline((observation) => { row.set(observation); return policy.predict(row); }, { games, seed: 1_000_000 + seed, ...envOptions });
  policy.dispose();
  const seconds = (performance.now() - started) / 1000;
  console.log(`| ${agent.steps} | ${result.winRate.toFixed(2)} | ${result.wins} / ${result.draws} / ${result.losses} | ${seconds.toFixed(0)} | ${(agent.steps / seconds).toFixed(0)} |`);
  if (result.winRate >= target) { reached = agent.steps; break; }
}
agent.dispose();
console.log(reached !== undefined ? `reached win rate >= ${target} at ${reached} steps` : `did not reach ${target} within ${budget} steps`);
