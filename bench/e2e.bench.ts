// End-to-end CartPole-v1 PPO with CleanRL's settings (4 envs x 128 steps, 4 epochs, 4 minibatches): one
// iteration = one rollout of 512 env steps + one update. webppo (CPU backend, train()'s synchronous update)
// against the same loop in TF.js on its wasm backend, in the same run. Then the in-engine path: a 60 Hz game
// loop with 64 agents whose updates run between ticks: act + observe time, the gaps training leaves between
// turns with and without a frame budget, and training throughput.
// Run: npm run build && node --import tsx bench/e2e.bench.ts [--full | --in-engine]  (--full also times 500k
// steps; --in-engine runs only the game-loop part)
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

const inEngineOnly = process.argv.includes('--in-engine');
if (!inEngineOnly) summary(() => {
  bench('webppo: 512 steps + update (cpu)', async () => {
    target += 512;
    await train(agent, venv, { totalSteps: target });
  });
  bench('tfjs-wasm: 512 steps + update', () => {
    peer.iteration();
  });
});
if (!inEngineOnly) await run();

if (process.argv.includes('--full')) {
  const full = await Agent.create(options);
  const started = performance.now();
  await train(full, cartpole, { totalSteps: 500_000 });
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nwebppo: 500k CartPole steps in ${seconds.toFixed(1)} s (${Math.round(500_000 / seconds)} steps/s; goal < 10 s)`);
  full.dispose();
}

// In-engine: 64 agents in a 60 Hz game loop, one act + observe per tick; updates run asynchronously on the
// game's thread between ticks. Between frames the loop keeps yielding event-loop turns (as a browser does
// between animation frames), so a turn that takes long is training blocking the game: the "gap". Run with
// frameBudgetMs 0 (each update whole) and with the default budget, for [64,64] and [256,256]; training
// throughput is rows trained per second of an update's wall time (sliced vs whole).
const pct = (a: ArrayLike<number>, p: number) => Float64Array.from(a).sort()[Math.min(a.length - 1, Math.floor(p * a.length))];
const us = (ms: number) => `${(ms * 1000).toFixed(1)} us`;
const msText = (ms: number) => `${ms.toFixed(2)} ms`;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const agents = 64;
const frameMs = 1000 / 60;
const ppo = { numSteps: 128 };
const rowsPerUpdate = agents * ppo.numSteps * 4; // 4 epochs over the batch

async function inEngine(hidden: number[], frameBudgetMs: number, frames: number) {
  const game = await Agent.create({ ...options, numAgents: agents, network: { hidden }, ppo, frameBudgetMs });
  const world = vectorize(cartpole, agents);
  const updates: { ms: number; slices: number; longest: number }[] = [];
  game.on('update', (e) => updates.push({ ms: e.durationMs, slices: e.stats.slices ?? 1, longest: e.stats.longestSliceMs ?? e.durationMs }));
  const observation = Float32Array.from(world.reset({ seed: 3 }).observation);
  const actObserve: number[] = [];
  const gaps: number[] = []; // turns taken while an update was in progress (wall ms)
  const late: number[] = []; // how late each tick started after its frame deadline
  let deadline = performance.now();
  for (let f = 0; f < frames; f++) {
    while (performance.now() < deadline) {
      const busy = game.pendingUpdates > 0;
      const t = performance.now();
      await turn();
      if (busy) gaps.push(performance.now() - t);
    }
    const t0 = performance.now();
    late.push(t0 - deadline);
    const actions = game.act(observation);
    const t1 = performance.now();
    const out = world.step(actions);
    const t2 = performance.now();
    game.observe(out.reward, out.terminated, out.truncated, { finalObservations: out.info.finalObservation });
    observation.set(out.observation);
    actObserve.push((t1 - t0) + (performance.now() - t2));
    deadline += frameMs;
  }
  await game.whenIdle();
  game.dispose();
  const meanMs = updates.reduce((a, u) => a + u.ms, 0) / Math.max(1, updates.length);
  return { actObserve, gaps, late, updates, rowsPerSecond: (rowsPerUpdate / meanMs) * 1000 };
}

for (const hidden of [[64, 64], [256, 256]]) {
  // [256,256] updates take seconds: enough frames for two rollouts and their updates.
  const frames = hidden[0] > 64 ? 128 * 3 : 128 * 6;
  const whole = await inEngine(hidden, 0, frames);
  const sliced = await inEngine(hidden, 2, frames);
  console.log(`\nin-engine [${hidden}], ${agents} agents, 60 Hz, ${frames} frames:`);
  for (const [name, r] of [['frameBudgetMs 0 (whole updates)', whole], ['frameBudgetMs 2 (default)', sliced]] as const) {
    const u = r.updates;
    console.log(`  ${name}: ${u.length} updates, ${msText(u.reduce((a, x) => a + x.ms, 0) / Math.max(1, u.length))} wall each, ${(u.reduce((a, x) => a + x.slices, 0) / Math.max(1, u.length)).toFixed(0)} slices each, longest slice ${msText(Math.max(...u.map((x) => x.longest)))}`);
    console.log(`    gap (a turn while training): p50 ${msText(pct(r.gaps, 0.5))}, p99 ${msText(pct(r.gaps, 0.99))}, max ${msText(pct(r.gaps, 1))} over ${r.gaps.length} turns`);
    console.log(`    tick lateness: p50 ${msText(pct(r.late, 0.5))}, p99 ${msText(pct(r.late, 0.99))}, max ${msText(pct(r.late, 1))}; act + observe p50 ${us(pct(r.actObserve, 0.5))}, p99 ${us(pct(r.actObserve, 0.99))}`);
  }
  console.log(`  training throughput: ${Math.round(sliced.rowsPerSecond)} rows/s sliced vs ${Math.round(whole.rowsPerSecond)} whole (${(100 * sliced.rowsPerSecond / whole.rowsPerSecond).toFixed(0)}%; goal >= 80%)`);
}
agent.dispose();
