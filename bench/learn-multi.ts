// Multi-agent learning targets (run by bench/learn.ts; or alone, after npm run build):
//   node --import tsx bench/learn-multi.ts [duel-selfplay|hunters-and-prey] [--seeds 1,2,3,4,5] [--steps N]
// duel-selfplay: self-play on 8 paddle duels in one parallel env (no baseline during training); every 250k
// learner steps the latest policy plays 200 games against the scripted baseline, as it plays in the game
// (sampled actions; its argmax is printed beside them); a seed passes when the win rate reaches 80% within
// 2M learner steps, and trains on to the budget so the last evaluation shows whether it held. ELO (against
// the snapshot pool) is printed with each evaluation.
//   Variants: --ppo '{...}' --duel '{...}' (training PaddleDuel options) --selfplay '{...}' --agent '{...}'
//   --duels N, --evaluate deterministic (pass on the argmax policy's win rate instead).
// hunters-and-prey: two behaviours trained headless for a fixed budget (300k agent steps); then each, untrained
// and trained, plays against the other behaviour's trained policy and against a scripted opponent (sampled
// actions, 50 episodes): a seed passes when all four returns are higher trained.
import { Agent, Behaviours, evaluateVersusBaseline, HuntersAndPrey, init, loadPolicy, PaddleDuel, presetFor, train } from '../dist/index.js';
import type { BoxSpace, PaddleDuelOptions, ParallelEnv, ParallelStepResult } from '../dist/index.js';

/** Tuning variants from the command line (see the header). */
const flag = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? JSON.parse(process.argv[i + 1]) : undefined; };
/** The duel's PPO settings: the PaddleDuel-v0 preset's, with numSteps halved (16 slots, 8 of them learning: the same 2048 learner steps per update). */
const DUEL_PPO = { ...presetFor('PaddleDuel-v0').agent.ppo, numSteps: 128, ...flag('ppo') };
/**
 * The training duels reward each return with 0.1 (shaping; the evaluation games against the baseline are the
 * default zero-sum duel): without it the learner's returns are rewarded only through points, rare between
 * two policies that return most balls.
 */
const DUEL_TRAINING = { hitReward: 0.1, ...flag('duel') };
/**
 * Self-play settings: snapshots every 50k trained steps in a window of 20 (the pool spans the last 1M steps)
 * and the latest policy as the opponent 30% of the time: a wider, older pool keeps the learner from forgetting
 * how to beat earlier styles, which is what a scripted opponent tests.
 */
const DUEL_SELF_PLAY = { saveSteps: 50_000, swapSteps: 10_000, teamChange: 100_000, window: 20, playAgainstLatestModelRatio: 0.3, ...flag('selfplay') };
const DUELS: number = flag('duels') ?? 8;
const EVALUATE: 'sampled' | 'deterministic' = process.argv.includes('--evaluate') ? process.argv[process.argv.indexOf('--evaluate') + 1] as never : 'sampled';

/**
 * `count` paddle duels as one parallel env (ids left_k, right_k, in that order: teams 0 and 1 alternate). A
 * finished game's sides leave; the next step they come back into a new game (seeded per game).
 */
function duels(count: number, options: PaddleDuelOptions = {}): ParallelEnv {
  const games = Array.from({ length: count }, () => new PaddleDuel(options));
  const played = new Int32Array(count);
  let base = 0;
  const ids = games.flatMap((_, k) => [`left_${k}`, `right_${k}`]);
  const live = () => games.flatMap((g, k) => (g.agents.length ? [`left_${k}`, `right_${k}`] : []));
  let agents: string[] = [];
  const space = games[0];
  return {
    possibleAgents: ids,
    get agents() { return agents; },
    observationSpace: () => space.observationSpace('left'),
    actionSpace: () => space.actionSpace('left'),
    reset(options) {
      base = (options?.seed ?? 0) * 1_000_003;
      const observations: Record<string, ArrayLike<number>> = {};
      games.forEach((g, k) => {
        const out = g.reset({ seed: base + k * 100_003 + played[k]++ });
        observations[`left_${k}`] = out.observations.left;
        observations[`right_${k}`] = out.observations.right;
      });
      agents = live();
      return { observations, infos: {} };
    },
    step(actions): ParallelStepResult {
      const out: ParallelStepResult = { observations: {}, rewards: {}, terminations: {}, truncations: {}, infos: {} };
      games.forEach((g, k) => {
        const [l, r] = [`left_${k}`, `right_${k}`];
        if (g.agents.length === 0) {
          const first = g.reset({ seed: base + k * 100_003 + played[k]++ });
          out.observations[l] = first.observations.left;
          out.observations[r] = first.observations.right;
          return;
        }
        const o = g.step({ left: actions[l] as number, right: actions[r] as number });
        for (const [id, side] of [[l, 'left'], [r, 'right']] as const) {
          out.observations[id] = o.observations[side];
          out.rewards[id] = o.rewards[side];
          out.terminations[id] = o.terminations[side];
          out.truncations[id] = o.truncations[side];
          if (o.infos[side]) out.infos[id] = o.infos[side];
        }
      });
      agents = live();
      return out;
    },
  };
}

/**
 * Trains one seed for the whole budget; returns whether the win rate (of the `EVALUATE` policy) reached 0.8 at
 * an evaluation. Prints a row per evaluation and a summary line per seed.
 */
async function duelSelfPlay(seed: number, budget: number): Promise<boolean> {
  const env = duels(DUELS, DUEL_TRAINING);
  const preset = presetFor('PaddleDuel-v0').agent;
  const agent = await Agent.create({
    ...preset, ppo: DUEL_PPO, numAgents: 2 * DUELS, observationSpace: env.observationSpace('left_0'), actionSpace: env.actionSpace('left_0'), backend: 'cpu', seed, totalSteps: budget,
    selfPlay: DUEL_SELF_PLAY, ...flag('agent'),
  });
  console.log(`\nseed ${seed} (${DUELS} duels, ppo ${JSON.stringify(DUEL_PPO)}, self-play ${JSON.stringify(DUEL_SELF_PLAY)}, training duel ${JSON.stringify(DUEL_TRAINING)}, passing on the ${EVALUATE} policy)\n\n| learner steps | win rate vs baseline, sampled (200 games) | wins / draws / losses | win rate, argmax | ELO | wall s |\n|---|---|---|---|---|---|`);
  const started = performance.now();
  let reached: number | undefined;
  const elo: number[] = [agent.selfPlay!.elo];
  const rates: { sampled: number; deterministic: number }[] = [];
  while (agent.steps < budget) {
    await train(agent, env, { totalSteps: Math.min(budget, agent.steps + 250_000) });
    const bytes = await agent.save();
    const row = new Float32Array(6);
    // The same checkpoint twice: the sampled games draw from its generator, the argmax games draw nothing.
    const play = async (deterministic: boolean) => {
      const policy = await loadPolicy(bytes, { numAgents: 1 });
      const options = { deterministic };
      const result = evaluateVersusBaseline((observation) => { row.set(observation); return policy.predict(row, options); }, { games: 200, seed: 1_000_000 + seed });
      policy.dispose();
      return result;
    };
    const sampled = await play(false), argmax = await play(true);
    rates.push({ sampled: sampled.winRate, deterministic: argmax.winRate });
    elo.push(agent.selfPlay!.elo);
    console.log(`| ${agent.steps} | ${sampled.winRate.toFixed(3)} | ${sampled.wins} / ${sampled.draws} / ${sampled.losses} | ${argmax.winRate.toFixed(3)} | ${elo.at(-1)!.toFixed(0)} | ${((performance.now() - started) / 1000).toFixed(0)} |`);
    if (reached === undefined && rates.at(-1)![EVALUATE] >= 0.8) reached = agent.steps;
  }
  agent.dispose();
  const last = rates.at(-1)!;
  const best = (key: 'sampled' | 'deterministic') => Math.max(...rates.map((r) => r[key])).toFixed(3);
  console.log(`seed ${seed}: ${reached === undefined ? 'did not reach 0.8' : `reached 0.8 at ${reached} learner steps`} (${EVALUATE}); at ${agent.steps}: sampled ${last.sampled.toFixed(3)}, argmax ${last.deterministic.toFixed(3)}; best sampled ${best('sampled')}, argmax ${best('deterministic')}; ELO ${elo.map((e) => e.toFixed(0)).join(' -> ')} (${elo.at(-1)! > elo[0] ? 'rising' : 'not rising'}); ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return reached !== undefined;
}

const ARENA = { hunters: 2, prey: 4, maxSteps: 200 };
const mapping = (id: string) => (id.startsWith('hunter') ? 'hunter' : 'prey');
/** Plays a side: the actions of `count` rows of observations. */
type Side = (observations: Float32Array) => ArrayLike<number>;
/** A side played by an agent with sampled actions (an untrained policy's argmax is one fixed move, not an opponent). */
const sampled = (agent: Agent): Side => (observations) => agent.predict(observations, { deterministic: false });

/**
 * Scripted opponents, fixed over the run, to measure each behaviour against something that did not co-adapt
 * with it: hunters that step toward the nearest prey (a random move one step in five), prey that move at random.
 */
function scripted(seed: number): { hunters: Side; prey: Side } {
  let state = seed >>> 0;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const size = 2 + 3 * ARENA.prey + 2 * (ARENA.hunters - 1);
  return {
    // The nearest prey in the game is the observation's first [dx, dy, 1].
    hunters: (observations) => Array.from({ length: ARENA.hunters }, (_, h) => {
      const [dx, dy, present] = observations.subarray(h * size + 2, h * size + 5);
      if (random() < 0.2 || !present) return Math.floor(random() * 5);
      return Math.abs(dx) > Math.abs(dy) ? (dx > 0 ? 1 : 2) : dy > 0 ? 3 : 4;
    }),
    prey: () => Array.from({ length: ARENA.prey }, () => Math.floor(random() * 9)),
  };
}

/** Mean return per hunter and per prey, and catches per episode, over `episodes` seeded episodes. */
function arenaReturns(hunter: Side, prey: Side, episodes: number): { hunter: number; prey: number; catches: number } {
  const env = new HuntersAndPrey(ARENA);
  const hunterObs = new Float32Array(ARENA.hunters * (env.observationSpace('hunter_0') as BoxSpace).size), preyObs = new Float32Array(ARENA.prey * (env.observationSpace('prey_0') as BoxSpace).size);
  const row = (id: string) => Number(id.split('_')[1]);
  const put = (id: string, o: ArrayLike<number>) => {
    const into = mapping(id) === 'hunter' ? hunterObs : preyObs;
    const size = into.length / (mapping(id) === 'hunter' ? ARENA.hunters : ARENA.prey);
    for (let k = 0; k < size; k++) into[row(id) * size + k] = o[k];
  };
  const totals = { hunter: 0, prey: 0, catches: 0 };
  for (let e = 0; e < episodes; e++) {
    const first = env.reset({ seed: 7_000_000 + e });
    for (const id of env.agents) put(id, first.observations[id]);
    while (env.agents.length > 0) {
      const h = hunter(hunterObs), p = prey(preyObs);
      const actions: Record<string, number> = {};
      for (const id of env.agents) actions[id] = mapping(id) === 'hunter' ? h[row(id)] : p[row(id)];
      const out = env.step(actions as never);
      for (const [id, r] of Object.entries(out.rewards)) totals[mapping(id) as 'hunter' | 'prey'] += r as number;
      for (const done of Object.values(out.terminations)) if (done) totals.catches++;
      for (const id of Object.keys(out.observations)) put(id, (out.observations as Record<string, ArrayLike<number>>)[id]);
    }
  }
  return { hunter: totals.hunter / episodes / ARENA.hunters, prey: totals.prey / episodes / ARENA.prey, catches: totals.catches / episodes };
}

/**
 * Returns whether both behaviours, trained, do better than untrained: against the other behaviour's trained
 * policy, and against a scripted opponent.
 */
async function huntersAndPrey(seed: number, budget: number): Promise<boolean> {
  const env = new HuntersAndPrey(ARENA);
  const options = (id: string, numAgents: number) => ({ observationSpace: env.observationSpace(id as never), actionSpace: env.actionSpace(id as never), numAgents, ppo: { numSteps: 256, learningRate: 1e-3, entropyCoef: 0.01 }, network: { hidden: [64, 64] } });
  const behaviours = await Behaviours.create({ hunter: options('hunter_0', ARENA.hunters), prey: options('prey_0', ARENA.prey) }, { backend: 'cpu', seed });
  const initial = await Behaviours.load(await behaviours.save());
  const started = performance.now();
  const result = await train(behaviours, env, { totalSteps: budget, policyMapping: mapping });
  const wall = (performance.now() - started) / 1000;
  const [hunter, prey] = [sampled(behaviours.get('hunter')), sampled(behaviours.get('prey'))];
  const [untrainedHunter, untrainedPrey] = [sampled(initial.get('hunter')), sampled(initial.get('prey'))];
  // Each behaviour, untrained then trained, against the other's trained policy (a fixed opponent) ...
  const after = arenaReturns(hunter, prey, 50);
  const versusTrained = { hunter: [arenaReturns(untrainedHunter, prey, 50), after], prey: [arenaReturns(hunter, untrainedPrey, 50), after] };
  // ... and against a scripted one.
  const script = scripted(seed);
  const versusScripted = { hunter: [arenaReturns(untrainedHunter, script.prey, 50), arenaReturns(hunter, script.prey, 50)], prey: [arenaReturns(script.hunters, untrainedPrey, 50), arenaReturns(script.hunters, prey, 50)] };
  const improved = (pair: { hunter: number; prey: number }[], side: 'hunter' | 'prey') => pair[1][side] > pair[0][side];
  const ok = improved(versusTrained.hunter, 'hunter') && improved(versusTrained.prey, 'prey') && improved(versusScripted.hunter, 'hunter') && improved(versusScripted.prey, 'prey');
  const cell = (pair: { hunter: number; prey: number; catches: number }[], side: 'hunter' | 'prey') => `${pair[0][side].toFixed(2)} -> ${pair[1][side].toFixed(2)} (${pair[0].catches.toFixed(1)} -> ${pair[1].catches.toFixed(1)})`;
  console.log(`| ${seed} | ${cell(versusTrained.hunter, 'hunter')} | ${cell(versusTrained.prey, 'prey')} | ${cell(versusScripted.hunter, 'hunter')} | ${cell(versusScripted.prey, 'prey')} | ${result.steps} | ${wall.toFixed(0)} | ${ok ? 'yes' : 'no'} |`);
  behaviours.dispose();
  initial.dispose();
  return ok;
}

/** The multi-agent targets (names as on the command line) with their budgets and pass counts. */
export const MULTI_TARGETS = {
  'duel-selfplay': { budget: 2_000_000, needed: 4, run: duelSelfPlay, header: `PaddleDuel self-play: win rate (${EVALUATE} policy) >= 0.8 over 200 games vs the scripted baseline within 2M learner steps` },
  'hunters-and-prey': { budget: 300_000, needed: 4, run: huntersAndPrey, header: 'HuntersAndPrey, two behaviours: each one\'s mean return (per agent, 50 episodes, sampled actions) is higher trained than untrained after 300k agent steps, against the other behaviour\'s trained policy and against a scripted opponent (hunters stepping toward the nearest prey, random prey); catches per episode in parentheses\n\n| seed | hunters vs trained prey | prey vs trained hunters | hunters vs random prey | prey vs scripted hunters | steps | wall s | both improved |\n|---|---|---|---|---|---|---|---|' },
} as const;

/** Runs the named targets for the seeds; returns whether all passed (`needed` of 5 seeds, scaled to the seeds run). */
export async function runMultiTargets(names: readonly string[], seeds: readonly number[], steps?: number): Promise<boolean> {
  let failed = false;
  for (const [name, target] of Object.entries(MULTI_TARGETS)) {
    if (names.length > 0 && !names.includes(name)) continue;
    console.log(`\n## ${target.header}\n`);
    let reached = 0;
    for (const seed of seeds) if (await target.run(seed, steps ?? target.budget)) reached++;
    const needed = Math.ceil((target.needed / 5) * seeds.length);
    const ok = reached >= needed;
    failed ||= !ok;
    console.log(`\n${name}: ${reached}/${seeds.length} seeds passed (${ok ? 'PASS' : 'FAIL'}, needed ${needed})`);
  }
  return !failed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = (flag: string) => args.indexOf(flag);
  const seeds = at('--seeds') >= 0 ? args[at('--seeds') + 1].split(',').map(Number) : [1, 2, 3, 4, 5];
  const steps = at('--steps') >= 0 ? Number(args[at('--steps') + 1]) : undefined;
  const names = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  await init();
  process.exit((await runMultiTargets(names, seeds, steps)) ? 0 : 1);
}
