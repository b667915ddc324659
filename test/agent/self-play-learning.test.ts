// Self-play learns: on PaddleDuel in the game loop, the learner's ELO rating, earned against its own earlier
// snapshots, rises over a short run (a few seconds). A learning check, not a timing test; WEBPPO_LEARNING_TICKS
// makes it longer.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, type DuelResultInfo, evaluateVersusBaseline, PaddleDuel, type SelfPlaySummary } from '../../src/index.js';
import { init } from '../../src/init.js';
import { Box, Discrete } from '../../src/spaces.js';

beforeAll(() => init());

const DUELS = 8, N = 2 * DUELS, OBS = 6;
const TICKS = Number(process.env.WEBPPO_LEARNING_TICKS ?? 12_000);

describe('self-play learning on PaddleDuel', () => {
  it('raises the learner\'s ELO over the run', { timeout: 600_000 }, async () => {
    const agent = await Agent.create({
      observationSpace: Box(OBS), actionSpace: Discrete(3), numAgents: N, backend: 'cpu', seed: 11, frameBudgetMs: 0,
      network: { hidden: [32, 32] }, ppo: { numSteps: 64, numMinibatches: 4, numEpochs: 4, learningRate: 1e-3, entropyCoef: 0.01 },
      selfPlay: { saveSteps: 4000, swapSteps: 2000, teamChange: 40_000, window: 10, playAgainstLatestModelRatio: 0.5 },
    });
    const duels = Array.from({ length: DUELS }, () => new PaddleDuel({ pointsToWin: 1, maxSteps: 300, hitReward: 0.1 }));
    const observations = new Float32Array(N * OBS);
    const rewards = new Float32Array(N), terminated = new Uint8Array(N), truncated = new Uint8Array(N);
    const show = (k: number, obs: Partial<Record<'left' | 'right', ArrayLike<number>>>) => {
      observations.set(obs.left!, 2 * k * OBS);
      observations.set(obs.right!, (2 * k + 1) * OBS);
    };
    duels.forEach((d, k) => show(k, d.reset({ seed: k }).observations));
    // The scripted baseline as a second, outside yardstick (reported, not asserted: ELO is what self-play measures).
    const rows = new Float32Array(N * OBS);
    const versusBaseline = () => evaluateVersusBaseline((o) => {
      rows.set(o);
      return agent.predict(rows)[0];
    }, { games: 40, duel: { pointsToWin: 1, maxSteps: 300 } }).winRate;
    const before = versusBaseline();
    const trace: SelfPlaySummary[] = [];
    agent.on('update', (e) => trace.push(e.selfPlay!));
    let games = 0;
    for (let t = 0; t < TICKS; t++) {
      const actions = agent.act(observations);
      duels.forEach((d, k) => {
        const r = d.step({ left: actions[2 * k], right: actions[2 * k + 1] });
        rewards[2 * k] = r.rewards.left!;
        rewards[2 * k + 1] = r.rewards.right!;
        const over = r.terminations.left! || r.truncations.left!;
        terminated.fill(r.terminations.left! ? 1 : 0, 2 * k, 2 * k + 2);
        truncated.fill(r.truncations.left! ? 1 : 0, 2 * k, 2 * k + 2);
        if (over) { agent.reportResult(0, (r.infos.left as DuelResultInfo).result); games++; }
        show(k, over ? d.reset().observations : r.observations);
      });
      agent.observe(rewards, terminated, truncated);
      if (agent.pendingUpdates > 0) await agent.whenIdle();
    }
    const elo = trace.map((s) => s.elo);
    const third = Math.max(1, Math.floor(elo.length / 3));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`self-play learning: win rate vs the baseline ${before} -> ${versusBaseline()}; ${TICKS} ticks, ${agent.updates} updates, ${games} games, ELO first third ${mean(elo.slice(0, third)).toFixed(1)}, last third ${mean(elo.slice(-third)).toFixed(1)}, final ${agent.selfPlay!.elo.toFixed(1)}, pool ${agent.selfPlay!.poolElo.map((x) => x.toFixed(0)).join(' ')}`);
    expect(mean(elo.slice(-third))).toBeGreaterThan(mean(elo.slice(0, third)) + 20);
    expect(agent.selfPlay!.elo).toBeGreaterThan(1200 + 20);
    agent.dispose();
  });
});
