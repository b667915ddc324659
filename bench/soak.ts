// Soak (npm run bench:soak): one CPU agent with 64 agents for 1M agent steps on CartPole-v1, memory (wasm
// memory and JS heap after a GC) sampled every 100k steps, in three modes:
//   train  the headless loop, train()
//   game   a game loop, one tick per event-loop turn (updates run one minibatch per turn)
//   burst  a game that outruns training, 16 ticks per event-loop turn (backpressure: the default maxPendingUpdates, 4),
//          with a save() asked for at 100k steps: when it resolves is recorded
// then the abort latency of train() (an AbortSignal aborted from setTimeout(50), 10 runs) and the cost of a
// divergence rolled back (a reward of 3.4e38, 10 times).
// Usage: npm run bench:soak [-- --steps 1000000] [-- --modes train,game,burst]
import { Agent, init, makeEnv, train, vectorize } from '../dist/index.js';

// The wasm memory of the module init() instantiates (the bench's only hook into it).
let memory: WebAssembly.Memory | undefined;
const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (...args: unknown[]) => Promise<unknown>;
(WebAssembly as { instantiate: unknown }).instantiate = async (...args: unknown[]) => {
  const result = (await instantiate(...args)) as { instance?: WebAssembly.Instance } & WebAssembly.Instance;
  memory ??= ((result.instance ?? result).exports.memory as WebAssembly.Memory);
  return result;
};

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const STEPS = Number(arg('steps', '1000000'));
const MODES = arg('modes', 'train,game,burst').split(',');
const AGENTS = 64;
const SAMPLE = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

await init();
const env = makeEnv('CartPole-v1');
const options = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, numAgents: AGENTS, backend: 'cpu' as const, seed: 1, ppo: { numSteps: 128 } };

interface Sample { steps: number; wasm: number; heap: number; pending: number; updates: number; dropped: number }
function sample(agent: Agent): Sample {
  gc?.();
  return { steps: agent.steps, wasm: memory!.buffer.byteLength, heap: process.memoryUsage().heapUsed, pending: agent.pendingUpdates, updates: agent.updates, dropped: agent.health.droppedSteps };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function soak(mode: string): Promise<void> {
  const agent = await Agent.create(options);
  const samples: Sample[] = [sample(agent)];
  const started = performance.now();
  type SaveProbe = { askedAt: number; resolvedAt?: number; updatesAsked: number; updatesResolved?: number };
  let save = undefined as SaveProbe | undefined;
  if (mode === 'train') {
    let next = SAMPLE;
    await train(agent, () => makeEnv('CartPole-v1'), { totalSteps: STEPS, onProgress: (e) => { if (e.type === 'update' && agent.steps >= next) { samples.push(sample(agent)); next += SAMPLE; } } });
  } else {
    const ticksPerTurn = mode === 'burst' ? 16 : 1;
    const venv = vectorize(() => makeEnv('CartPole-v1'), AGENTS);
    const obs = Float32Array.from(venv.reset({ seed: 1 }).observation);
    let next = SAMPLE;
    while (agent.steps < STEPS) {
      for (let k = 0; k < ticksPerTurn && agent.steps < STEPS; k++) {
        const out = venv.step(agent.act(obs));
        agent.observe(out.reward, out.terminated, out.truncated, { finalObservations: out.info.finalObservation });
        obs.set(out.observation);
      }
      if (agent.steps >= next) {
        samples.push(sample(agent));
        if (next === SAMPLE && !save) {
          const s: SaveProbe = { askedAt: agent.steps, updatesAsked: agent.updates };
          save = s;
          void agent.save().then(() => { s.resolvedAt = agent.steps; s.updatesResolved = agent.updates; });
        }
        next += SAMPLE;
      }
      await turn();
    }
    await agent.whenIdle();
  }
  const seconds = (performance.now() - started) / 1000;
  if (samples.at(-1)!.steps !== agent.steps) samples.push(sample(agent));
  console.log(`\n### ${mode}: ${STEPS.toLocaleString('en')} steps, ${AGENTS} agents, ${seconds.toFixed(1)} s (${Math.round(STEPS / seconds).toLocaleString('en')} steps/s), ${agent.updates} updates, ${agent.health.droppedSteps.toLocaleString('en')} steps dropped\n`);
  console.log('| steps | wasm memory MB | JS heap MB | pending updates | updates | dropped steps |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const s of samples) console.log(`| ${s.steps.toLocaleString('en')} | ${mb(s.wasm)} | ${mb(s.heap)} | ${s.pending} | ${s.updates} | ${s.dropped.toLocaleString('en')} |`);
  if (save) console.log(`\nsave() asked at ${save.askedAt.toLocaleString('en')} steps (${save.updatesAsked} updates) resolved at ${save.resolvedAt?.toLocaleString('en') ?? 'never'} steps (${save.updatesResolved} updates)`);
  agent.dispose();
}

async function abortLatency(runs = 10): Promise<void> {
  const latencies: number[] = [];
  for (let r = 0; r < runs; r++) {
    const agent = await Agent.create({ ...options, numAgents: 16, seed: r });
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => { abortedAt = performance.now(); controller.abort(); }, 50);
    await train(agent, () => makeEnv('CartPole-v1'), { totalSteps: 1e9, signal: controller.signal });
    latencies.push(performance.now() - abortedAt);
    agent.dispose();
  }
  latencies.sort((a, b) => a - b);
  console.log(`\nabort latency (AbortSignal from setTimeout(50), 16 agents x 128 steps per update, ${runs} runs): median ${latencies[runs >> 1].toFixed(1)} ms, max ${latencies[runs - 1].toFixed(1)} ms`);
}

async function divergence(runs = 10): Promise<void> {
  const agent = await Agent.create({ ...options, numAgents: 16, ppo: { numSteps: 32 } });
  const times: number[] = [];
  let cause = '';
  agent.on('diverged', (e) => { cause = e.message; });
  const venv = vectorize(() => makeEnv('CartPole-v1'), 16);
  const obs = Float32Array.from(venv.reset({ seed: 1 }).observation);
  const parameters = await agent.getParameters();
  for (let r = 0; r < runs; r++) {
    for (let t = 0; t < 32; t++) {
      const out = venv.step(agent.act(obs));
      if (t === 3) out.reward[0] = 3.4e38;
      agent.observe(out.reward, out.terminated, out.truncated, { finalObservations: out.info.finalObservation });
      obs.set(out.observation);
    }
    const started = performance.now();
    agent.finishRollout(obs);
    await agent.whenIdle();
    times.push(performance.now() - started);
  }
  const same = (await agent.getParameters()).every((x, i) => x === parameters[i]);
  times.sort((a, b) => a - b);
  console.log(`\ndivergence: ${agent.health.divergences}/${runs} updates rolled back (parameters bit-identical afterwards: ${same}); update + check + rollback median ${times[runs >> 1].toFixed(2)} ms; event: "${cause}"`);
  agent.dispose();
}

for (const mode of MODES) await soak(mode);
await abortLatency();
await divergence();
