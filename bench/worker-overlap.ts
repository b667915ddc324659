// trainInWorker in headless train(): today's on-policy loop (collect, then update, one core) against the
// overlapped loop (the update runs in a worker thread while the next rollout is collected; each batch lags
// one update and is trained with V-trace). CartPole-v1 with the preset `webppo train` uses, 200k steps per
// agent and seed. The two agents train in alternating chunks of 25,600 steps (50 rollouts), so that both see
// the same load on a shared machine; each one's time is the sum of its chunks. Reports steps/s end to end and
// the final return (deterministic, 20 episodes).
// Run: npm run build && node --import tsx bench/worker-overlap.ts [--steps 200000] [--seeds 1,2,3]
import { Agent, evaluateAgent, init, makeEnv, presetFor, train, type TrainResult, vectorize } from '../dist/index.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const steps = Number(arg('--steps', '200000'));
const seeds = arg('--seeds', '1,2,3').split(',').map(Number);
const id = 'CartPole-v1';

await init();
const env = () => makeEnv(id);
const preset = presetFor(id);

const CHUNK = 25_600;

async function pair(seed: number) {
  const make = (inWorker: boolean) => Agent.create({ ...preset.agent, observationSpace: env().observationSpace, actionSpace: env().actionSpace, backend: 'cpu', seed, trainInWorker: inWorker });
  const runs = [false, true].map((inWorker) => ({ inWorker, agent: undefined as unknown as Agent, venv: vectorize(env, preset.agent.numAgents ?? 1), ms: 0, result: undefined as unknown as TrainResult }));
  for (const run of runs) run.agent = await make(run.inWorker);
  for (let target = CHUNK, turn = 0; target - CHUNK < steps; target += CHUNK, turn++) {
    for (const run of turn % 2 ? [...runs].reverse() : runs) {
      const started = performance.now();
      run.result = await train(run.agent, run.venv, { totalSteps: Math.min(target, steps) });
      run.ms += performance.now() - started;
    }
  }
  return Promise.all(runs.map(async (run) => {
    const returns = await evaluateAgent(run.agent, env, 20, 12345);
    run.agent.dispose();
    return { seed, mode: run.inWorker ? 'worker, overlapped' : 'this thread, on-policy', sps: steps / (run.ms / 1000), seconds: run.ms / 1000, trainReturn: run.result.meanReturn ?? NaN, evalReturn: returns.reduce((a, b) => a + b, 0) / returns.length };
  }));
}

const rows: { seed: number; mode: string; sps: number; seconds: number; trainReturn: number; evalReturn: number }[] = [];
await pair(seeds[0]); // warm-up: JIT and the worker's first start
for (const seed of seeds) rows.push(...(await pair(seed)));

console.log(`\n## ${id}, ${steps} steps per agent in chunks of ${CHUNK}, preset ${JSON.stringify(preset.agent)}\n`);
console.log('| seed | mode | steps/s | wall s | train return (last 20) | eval return (20 det.) |');
console.log('|---:|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.seed} | ${r.mode} | ${Math.round(r.sps)} | ${r.seconds.toFixed(2)} | ${r.trainReturn.toFixed(1)} | ${r.evalReturn.toFixed(1)} |`);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const sps = (mode: string) => median(rows.filter((r) => r.mode.startsWith(mode)).map((r) => r.sps));
const ratios = seeds.map((seed) => rows.find((r) => r.seed === seed && r.mode.startsWith('worker'))!.sps / rows.find((r) => r.seed === seed && r.mode.startsWith('this'))!.sps);
console.log(`\nmedian steps/s: on-policy ${Math.round(sps('this'))}, overlapped ${Math.round(sps('worker'))}; speedup per seed ${ratios.map((r) => `${r.toFixed(2)}x`).join(', ')}`);
