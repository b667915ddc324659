// Learning targets (npm run bench:learn), all on the CPU backend, evaluated with deterministic actions every
// `every` steps and stopped at the target; prints steps-to-target and wall time per seed.
// - CartPole-v1: mean return >= 475 over 20 episodes within 100k steps (5 of 5 seeds); Pendulum-v1: >= -300
//   within 500k steps (4 of 5 seeds); both with the presets `webppo train` uses.
// - Memory (network.memory), each env with its preset's network as an LSTM, as a GRU and, as the control,
//   without memory:
//   CartPoleNoVelocity-v1 (CartPole-v1 observing only cart position and pole angle): mean return >= 475 over 20
//   episodes within 1M steps, 4 of 5 seeds, for each cell; the feed-forward control must not reach it.
//   CueRecall-v0 (remember one of 4 cues over 5-20 blank steps; chance 0.25): success rate >= 0.95 over 100
//   episodes within 1M steps, 4 of 5 seeds, for each cell; the feed-forward control must stay at chance (a final
//   evaluation over 1000 episodes no more than 3 standard deviations above 0.25).
// - Then the multi-agent targets of bench/learn-multi.ts: self-play on the paddle duel (win rate, sampled, >= 80% of 200
//   games against the scripted baseline within 2M learner steps, 4 of 5 seeds, ELO rising) and hunters and prey
//   with two behaviours (both improve within 300k agent steps, 4 of 5 seeds).
// Usage: node --import tsx bench/learn.ts [target names, e.g. CartPole-v1 CartPoleNoVelocity-v1/gru CueRecall-v0]
//          [--seeds 1,2,3,4,5] [--budget N] [--agent '{"ppo":{...},"network":{...}}']
// A bare env id selects all of its variants; --agent overrides settings (ppo and network fields merge) for tuning.
import { Agent, type AgentOptions, evaluateAgent, init, makeEnv, presetFor, train } from '../dist/index.js';
import { MULTI_TARGETS, runMultiTargets } from './learn-multi.js';

type Settings = Omit<AgentOptions, 'observationSpace' | 'actionSpace'>;

interface Target {
  /** What the command line selects: the env id, with `/lstm`, `/gru` or `/mlp` for the memory variants. */
  name: string;
  env: string;
  settings: Settings;
  target: number;
  budget: number;
  every: number;
  /** Episodes per evaluation. */
  episodes: number;
  /** Seeds that must reach the target; a control passes when none does (and, with a chance level, stays at it). */
  needed: number;
  control?: boolean;
}

/**
 * The LSTM, GRU and feed-forward (control) variants of a memory target: the env's preset (src/presets.ts, what
 * `webppo train` uses) with its cell set, or without its memory.
 */
function memoryVariants(env: string, goal: Pick<Target, 'target' | 'budget' | 'every' | 'episodes' | 'needed'>): Target[] {
  const base = presetFor(env).agent;
  const memory = base.network?.memory;
  if (memory === undefined) throw new Error(`${env}: its preset has no network.memory`);
  const { memory: _, ...feedForward } = base.network ?? {};
  return [
    { name: `${env}/lstm`, env, ...goal, settings: { ...base, network: { ...base.network, memory: { ...memory, cell: 'lstm' } } } },
    { name: `${env}/gru`, env, ...goal, settings: { ...base, network: { ...base.network, memory: { ...memory, cell: 'gru' } } } },
    { name: `${env}/mlp`, env, ...goal, settings: { ...base, network: feedForward }, control: true },
  ];
}

const TARGETS: Target[] = [
  { name: 'CartPole-v1', env: 'CartPole-v1', settings: presetFor('CartPole-v1').agent, target: 475, budget: 100_000, every: 5_000, episodes: 20, needed: 5 },
  { name: 'Pendulum-v1', env: 'Pendulum-v1', settings: presetFor('Pendulum-v1').agent, target: -300, budget: 500_000, every: 20_000, episodes: 20, needed: 4 },
  ...memoryVariants('CartPoleNoVelocity-v1', { target: 475, budget: 1_000_000, every: 10_000, episodes: 20, needed: 4 }),
  ...memoryVariants('CueRecall-v0', { target: 0.95, budget: 1_000_000, every: 10_000, episodes: 100, needed: 4 }),
];

/** Episodes of the final evaluation of an env with a chance level (a memory test). */
const CHANCE_EPISODES = 1000;

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const seeds = (flag('seeds') ?? '1,2,3,4,5').split(',').map(Number);
const budgetOverride = flag('budget') === undefined ? undefined : Number(flag('budget'));
const overrides: Settings = JSON.parse(flag('agent') ?? '{}');
const flagValues = new Set(['seeds', 'budget', 'agent'].map(flag));
const wanted = args.filter((a) => !a.startsWith('--') && !flagValues.has(a));
const selected = (name: string) => wanted.length === 0 || wanted.includes(name) || wanted.includes(name.split('/')[0]);

/** The settings with the command line's overrides (ppo and network fields merged). */
function withOverrides(settings: Settings): Settings {
  return {
    ...settings, ...overrides,
    network: { ...settings.network, ...overrides.network },
    ppo: { ...settings.ppo, ...overrides.ppo },
  };
}

await init();
let failed = false;
for (const t of TARGETS.filter((x) => selected(x.name))) {
  const settings = withOverrides(t.settings);
  const budget = budgetOverride ?? t.budget;
  const chance = (makeEnv(t.env) as { chance?: number }).chance;
  const goal = t.control ? 'control: must not reach' : 'deterministic mean return';
  console.log(`\n## ${t.name}: ${goal} >= ${t.target} (${t.episodes} episodes) within ${budget} steps (${t.control ? 'no seed' : `${t.needed}/${seeds.length} seeds`})${chance === undefined ? '' : `; chance ${chance}`}\n`);
  console.log(`settings: ${JSON.stringify(settings)}\n`);
  console.log(`| seed | reached | steps to target | best eval | ${chance === undefined ? '' : `final eval (${CHANCE_EPISODES} episodes) | `}wall s |`);
  console.log(`|---|---|---|---|${chance === undefined ? '' : '---|'}---|`);
  let reached = 0;
  let aboveChance = 0;
  for (const seed of seeds) {
    const env = makeEnv(t.env);
    const agent = await Agent.create({ ...settings, observationSpace: env.observationSpace, actionSpace: env.actionSpace, backend: 'cpu', seed });
    const controller = new AbortController();
    let hit: number | undefined;
    let best = -Infinity;
    const result = await train(agent, () => makeEnv(t.env), {
      totalSteps: budget, signal: controller.signal, evaluate: { every: t.every, episodes: t.episodes },
      onProgress: (e) => {
        if (e.type !== 'eval') return;
        best = Math.max(best, e.meanReturn);
        if (e.meanReturn >= t.target && hit === undefined) { hit = e.steps; controller.abort(); }
      },
    });
    let final = '';
    if (chance !== undefined) {
      const returns = await evaluateAgent(agent, () => makeEnv(t.env), CHANCE_EPISODES, seed + 7_000_001);
      const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
      // Above chance: more than 3 binomial standard deviations over it.
      if (mean > chance + 3 * Math.sqrt((chance * (1 - chance)) / returns.length)) aboveChance++;
      final = `${mean.toFixed(3)} | `;
    }
    agent.dispose();
    if (hit !== undefined) reached++;
    console.log(`| ${seed} | ${hit !== undefined ? 'yes' : 'no'} | ${hit ?? '-'} | ${best.toFixed(chance === undefined ? 1 : 3)} | ${final}${(result.elapsedMs / 1000).toFixed(1)} |`);
  }
  const ok = t.control ? reached === 0 && aboveChance === 0 : reached >= t.needed;
  failed ||= !ok;
  const summary = t.control
    ? `${reached}/${seeds.length} seeds reached the target${chance === undefined ? '' : `, ${aboveChance} ended above chance`} (${ok ? 'PASS' : 'FAIL'}, the control must not)`
    : `${reached}/${seeds.length} seeds reached the target (${ok ? 'PASS' : 'FAIL'}, needed ${t.needed})`;
  console.log(`\n${t.name}: ${summary}`);
}
const multi = Object.keys(MULTI_TARGETS).filter((name) => wanted.length === 0 || wanted.includes(name));
if (multi.length > 0 && !(await runMultiTargets(multi, seeds))) failed = true;
process.exit(failed ? 1 : 0);
