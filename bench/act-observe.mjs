// act + observe back to back for 64 agents (CartPole-sized Box(4) / Discrete(2), [64,64], CPU), the hot path a
// game calls every tick, timed per call pair. Three games: lockstep (every agent acts every tick), a third of
// the agents idle on each tick (not deciding: `act(obs, { decide })`), and a third of the slots free with
// agents leaving and spawning every tick. Times per tick and per active agent, so the games compare in one run.
// Pass package roots to compare builds in one run:
//   npm run build && node bench/act-observe.mjs . ../other-checkout
// `--lstm` gives the agents a recurrent network ([64] and a 64-unit LSTM): each slot's state is gathered into
// the acting rows and scattered back every tick.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const lstm = args.includes('--lstm');
const roots = args.filter((a) => a !== '--lstm');
if (roots.length === 0) roots.push('.');
const agents = 64;
const games = ['lockstep', 'a third idle', 'a third free'];
for (let round = 0; round < 2; round++) {
  for (const root of roots) {
    const w = await import(pathToFileURL(resolve(root, 'dist/index.js')).href);
    await w.init();
    for (const game of games) {
      const agent = await w.Agent.create({ observationSpace: w.Box(4), actionSpace: w.Discrete(2), numAgents: agents, backend: 'cpu', ppo: { numSteps: 128 }, seed: 1, ...(lstm ? { network: { hidden: [64], memory: { cell: 'lstm', size: 64 } } } : {}) });
      if (game !== 'lockstep' && typeof agent.leave !== 'function') { agent.dispose(); continue; } // a build without slots
      const observations = Float32Array.from({ length: agents * 4 }, (_, i) => Math.sin(i));
      const rewards = new Float32Array(agents);
      const flags = new Uint8Array(agents);
      const decide = new Uint8Array(agents);
      const withDecide = { decide };
      if (game === 'a third free') for (let e = 0; e < agents; e += 3) agent.leave(e);
      const times = new Float64Array(20_000);
      let active = 0;
      for (let t = 0; t < times.length; t++) {
        for (let e = 0; e < agents && game === 'a third idle'; e++) decide[e] = (e + t) % 3 === 0 ? 0 : 1;
        const t0 = performance.now();
        agent.act(observations, game === 'a third idle' ? withDecide : undefined);
        agent.observe(rewards, flags, flags);
        if (game === 'a third free') {
          agent.leave(agent.alive.indexOf(1, (t * 7) % agents) >= 0 ? agent.alive.indexOf(1, (t * 7) % agents) : agent.alive.indexOf(1));
          agent.spawn();
        }
        times[t] = performance.now() - t0;
        if (game === 'a third idle') for (let e = 0; e < agents; e++) active += decide[e];
        else if (game === 'a third free') for (let e = 0; e < agents; e++) active += agent.alive[e];
        else active += agents;
        if (agent.pendingUpdates > 0) await agent.whenIdle(); // updates are not what this measures
      }
      const perAgent = active / times.length;
      times.sort();
      const us = (q) => (times[Math.floor(q * (times.length - 1))] * 1000);
      console.log(`${root}: ${lstm ? 'LSTM 64, ' : ''}${game.padEnd(12)} act + observe, ${agents} slots (${perAgent.toFixed(1)} active): p50 ${us(0.5).toFixed(1)} us, p90 ${us(0.9).toFixed(1)} us, p99 ${us(0.99).toFixed(1)} us; p50 per active agent ${(us(0.5) / perAgent).toFixed(3)} us`);
      agent.dispose();
    }
  }
}
process.exit(0);
