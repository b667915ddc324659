// End-to-end CartPole-v1 PPO with CleanRL's settings (4 envs x 128 steps, 4 epochs, 4 minibatches): one
// iteration = one rollout of 512 env steps + one update. webppo (CPU backend, train()'s synchronous update)
// against the same loop in TF.js on its wasm backend, in the same run. Then the in-engine path: a 60 Hz game
// loop with 64 agents whose updates run between ticks, reporting act + observe time per tick.
// Run: npm run build && node --import tsx bench/e2e.bench.ts [--full]  (--full also times 500k steps)
import { bench, run, summary } from 'mitata';
import { Agent, init, makeEnv, train, vectorize } from '../dist/index.js';
import { TfPPO, useTfWasm } from './peers/tfjs-ppo.js';

await init();
await useTfWasm();

const cartpole = () => makeEnv('CartPole-v1');
const space = cartpole();
const options = { observationSpace: space.observationSpace, actionSpace: space.actionSpace, numAgents: 4, backend: 'cpu' as const, seed: 1, ppo: { numSteps: 128 } };

const agent = await Agent.create(options);
const venv = vectorize(cartpole, 4);
let target = 0;
const peer = new TfPPO(vectorize(cartpole, 4));

summary(() => {
  bench('webppo: 512 steps + update (cpu)', async () => {
    target += 512;
    await train(agent, venv, { totalSteps: target });
  });
  bench('tfjs-wasm: 512 steps + update', () => {
    peer.iteration();
  });
});
await run();

if (process.argv.includes('--full')) {
  const full = await Agent.create(options);
  const started = performance.now();
  await train(full, cartpole, { totalSteps: 500_000 });
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nwebppo: 500k CartPole steps in ${seconds.toFixed(1)} s (${Math.round(500_000 / seconds)} steps/s; goal < 10 s)`);
  full.dispose();
}

// In-engine: 64 agents, one act + observe per tick; updates run asynchronously between ticks.
const agents = 64;
const game = await Agent.create({ ...options, numAgents: agents });
const world = vectorize(cartpole, agents);
const updateMs: number[] = [];
game.on('update', (e) => updateMs.push(e.durationMs));
const observation = Float32Array.from(world.reset({ seed: 3 }).observation);
const ticks = 128 * 12;
const tickTimes = new Float64Array(ticks);
const actObserve = new Float64Array(ticks);
const gaps = new Float64Array(ticks);
let tickEnd = performance.now();
const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));
for (let t = 0; t < ticks; t++) {
  const t0 = performance.now();
  gaps[t] = t0 - tickEnd;
  const actions = game.act(observation);
  const t1 = performance.now();
  const out = world.step(actions);
  const t2 = performance.now();
  game.observe(out.reward, out.terminated, out.truncated, { finalObservations: out.info.finalObservation });
  observation.set(out.observation);
  const t3 = performance.now();
  actObserve[t] = (t1 - t0) + (t3 - t2);
  tickTimes[t] = t3 - t0;
  tickEnd = t3;
  await nextTick(); // the rest of the 16.7 ms frame: updates run here
}
await game.whenIdle();
const pct = (a: Float64Array, p: number) => Float64Array.from(a).sort()[Math.min(a.length - 1, Math.floor(p * a.length))];
const us = (ms: number) => `${(ms * 1000).toFixed(1)} us`;
console.log(`\nin-engine, ${agents} agents, ${ticks} ticks, ${game.updates} updates during the loop:`);
console.log(`  act + observe per tick: p50 ${us(pct(actObserve, 0.5))}, p90 ${us(pct(actObserve, 0.9))}, p99 ${us(pct(actObserve, 0.99))}, max ${us(pct(actObserve, 1))} (goal < 50 us)`);
console.log(`  whole tick (with the env): p50 ${us(pct(tickTimes, 0.5))}, p99 ${us(pct(tickTimes, 0.99))}, max ${us(pct(tickTimes, 1))} (goal: longest < 2 ms)`);
console.log(`  updates: mean ${(updateMs.reduce((a, b) => a + b, 0) / updateMs.length).toFixed(1)} ms each, run one minibatch per event-loop turn between ticks`);
console.log(`  gap between ticks (a training slice): p50 ${us(pct(gaps, 0.5))}, p99 ${us(pct(gaps, 0.99))}, max ${us(pct(gaps, 1))}`);
game.dispose();
agent.dispose();
