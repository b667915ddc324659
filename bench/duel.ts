// Learnability of the paddle duel: plain single-agent PPO (CPU backend, the PaddleDuel-v0 preset) on
// PaddleDuel-v0 (the learner against the scripted baseline), evaluated every `--every` steps over `--games`
// whole games against the baseline (sides alternating, deterministic policy); each seed stops at the target
// win rate or the budget. Prints the win rate per evaluation, then steps to target and wall time per seed.
// Usage (after npm run build; or npm run bench:duel):
//   node --import tsx bench/duel.ts [--seeds 1,2,3] [--steps 2000000] [--every 250000] [--games 100] [--target 0.8]
// Variants for tuning: --ppo '{"learningRate":3e-4}' --agent '{"numAgents":16}'
//   --duel '{"physics":{"paddleSpeed":0.8}}' --baseline '{"reactAt":-0.2}'
import { Agent, DuelVsBaseline, evaluateVersusBaseline, init, loadPolicy, presetFor, train } from '../dist/index.js';

const args = process.argv.slice(2);
const raw = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const number = (name: string, fallback: number) => Number(raw(name) ?? fallback);
const json = (name: string) => (raw(name) === undefined ? undefined : JSON.parse(raw(name) as string));
const seeds = (raw('seeds') ?? raw('seed') ?? '1').split(',').map(Number);
const budget = number('steps', 2_000_000);
const every = number('every', 250_000);
const games = number('games', 100);
const target = number('target', 0.8);
const envOptions = { duel: json('duel'), baseline: json('baseline') };
const base = presetFor('PaddleDuel-v0');
const preset = { ...base.agent, ...json('agent'), ppo: { ...base.agent.ppo, ...json('ppo') } };

await init();
const env = new DuelVsBaseline(envOptions);
console.log(`PaddleDuel-v0: PPO ${JSON.stringify(preset)}; env ${JSON.stringify(envOptions)}; win rate over ${games} games every ${every} steps, target ${target}`);
const summary: string[] = [];
for (const seed of seeds) {
  // The learning rate anneals over the whole budget, however often training stops to evaluate.
  const agent = await Agent.create({ ...preset, observationSpace: env.observationSpace, actionSpace: env.actionSpace, backend: 'cpu', seed, totalSteps: budget });
  console.log(`\nseed ${seed}\n\n| steps | win rate | wins / draws / losses | wall s |\n|---|---|---|---|`);
  const started = performance.now();
  let reached: number | undefined;
  let best = 0;
  while (agent.steps < budget && reached === undefined) {
    await train(agent, () => new DuelVsBaseline(envOptions), { totalSteps: Math.min(budget, agent.steps + every) });
    const policy = await loadPolicy(await agent.save(), { numAgents: 1 });
    const row = new Float32Array(6);
    const result = evaluateVersusBaseline((observation) => { row.set(observation); return policy.predict(row); }, { games, seed: 1_000_000 + seed, ...envOptions });
    policy.dispose();
    best = Math.max(best, result.winRate);
    console.log(`| ${agent.steps} | ${result.winRate.toFixed(2)} | ${result.wins} / ${result.draws} / ${result.losses} | ${((performance.now() - started) / 1000).toFixed(0)} |`);
    if (result.winRate >= target) reached = agent.steps;
  }
  agent.dispose();
  summary.push(`| ${seed} | ${reached ?? '-'} | ${best.toFixed(2)} | ${((performance.now() - started) / 1000).toFixed(0)} |`);
}
console.log(`\n| seed | steps to win rate >= ${target} | best win rate | wall s (training + evaluation) |\n|---|---|---|---|\n${summary.join('\n')}`);
