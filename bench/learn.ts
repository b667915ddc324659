// Learning targets (npm run bench:learn): CartPole-v1 deterministic mean return >= 475 over 20 episodes
// within 100k steps (5 of 5 seeds); Pendulum-v1 mean return >= -300 within 500k steps (4 of 5 seeds). Both on
// the CPU backend with the presets `webppo train` uses; evaluation every 5k (CartPole) or 20k
// (Pendulum) steps (deterministic, 20 episodes), stopping at the target. Prints steps-to-target and wall time per seed.
// Then the multi-agent targets of bench/learn-multi.ts: self-play on the paddle duel (win rate, sampled, >= 80% of 200
// games against the scripted baseline within 2M learner steps, 4 of 5 seeds, ELO rising) and hunters and prey
// with two behaviours (both improve within 300k agent steps, 4 of 5 seeds).
// Usage: node --import tsx bench/learn.ts [CartPole-v1|Pendulum-v1|duel-selfplay|hunters-and-prey] [--seeds 1,2,3,4,5]
import { Agent, init, makeEnv, presetFor, train } from '../dist/index.js';
import { MULTI_TARGETS, runMultiTargets } from './learn-multi.js';

const TARGETS = [
  { id: 'CartPole-v1', target: 475, budget: 100_000, every: 5_000, needed: 5 },
  { id: 'Pendulum-v1', target: -300, budget: 500_000, every: 20_000, needed: 4 },
];

const args = process.argv.slice(2);
const seedArg = args.indexOf('--seeds');
const seeds = seedArg >= 0 ? args[seedArg + 1].split(',').map(Number) : [1, 2, 3, 4, 5];
const wanted = args.filter((a, i) => !a.startsWith('--') && (seedArg < 0 || i !== seedArg + 1));

await init();
let failed = false;
for (const { id, target, budget, every, needed } of TARGETS.filter((t) => wanted.length === 0 || wanted.includes(t.id))) {
  console.log(`\n## ${id}: deterministic mean return >= ${target} within ${budget} steps (${needed}/${seeds.length} seeds)\n`);
  console.log('| seed | reached | steps to target | best eval | wall s |');
  console.log('|---|---|---|---|---|');
  let reached = 0;
  for (const seed of seeds) {
    const env = makeEnv(id);
    const preset = presetFor(id);
    const agent = await Agent.create({ ...preset.agent, observationSpace: env.observationSpace, actionSpace: env.actionSpace, backend: 'cpu', seed });
    const controller = new AbortController();
    let hit: number | undefined;
    let best = -Infinity;
    const result = await train(agent, () => makeEnv(id), {
      totalSteps: budget, signal: controller.signal, evaluate: { every, episodes: 20 },
      onProgress: (e) => {
        if (e.type !== 'eval') return;
        best = Math.max(best, e.meanReturn);
        if (e.meanReturn >= target && hit === undefined) { hit = e.steps; controller.abort(); }
      },
    });
    agent.dispose();
    if (hit !== undefined) reached++;
    console.log(`| ${seed} | ${hit !== undefined ? 'yes' : 'no'} | ${hit ?? '-'} | ${best.toFixed(1)} | ${(result.elapsedMs / 1000).toFixed(1)} |`);
  }
  const ok = reached >= needed;
  failed ||= !ok;
  console.log(`\n${id}: ${reached}/${seeds.length} seeds reached the target (${ok ? 'PASS' : 'FAIL'}, needed ${needed})`);
}
const multi = Object.keys(MULTI_TARGETS).filter((name) => wanted.length === 0 || wanted.includes(name));
if (multi.length > 0 && !(await runMultiTargets(multi, seeds))) failed = true;
process.exit(failed ? 1 : 0);
