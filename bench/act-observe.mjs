// act + observe back to back for 64 agents (CartPole-sized Box(4) / Discrete(2), [64,64], CPU), the hot path a
// game calls every tick, timed per call pair. Pass package roots to compare builds in one run:
//   npm run build && node bench/act-observe.mjs . ../other-checkout
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const roots = process.argv.length > 2 ? process.argv.slice(2) : ['.'];
const agents = 64;
for (let round = 0; round < 2; round++) {
  for (const root of roots) {
    const w = await import(pathToFileURL(resolve(root, 'dist/index.js')).href);
    await w.init();
    const agent = await w.Agent.create({ observationSpace: w.Box(4), actionSpace: w.Discrete(2), numAgents: agents, backend: 'cpu', ppo: { numSteps: 128 }, seed: 1 });
    const observations = Float32Array.from({ length: agents * 4 }, (_, i) => Math.sin(i));
    const rewards = new Float32Array(agents);
    const flags = new Uint8Array(agents);
    const times = new Float64Array(20_000);
    for (let t = 0; t < times.length; t++) {
      const t0 = performance.now();
      agent.act(observations);
      agent.observe(rewards, flags, flags);
      times[t] = performance.now() - t0;
      if (agent.pendingUpdates > 0) await agent.whenIdle(); // updates are not what this measures
    }
    times.sort();
    const us = (q) => `${(times[Math.floor(q * (times.length - 1))] * 1000).toFixed(1)} us`;
    console.log(`${root}: act + observe, ${agents} agents: p50 ${us(0.5)}, p90 ${us(0.9)}, p99 ${us(0.99)}`);
    agent.dispose();
  }
}
process.exit(0);
