// The page: an Arena, its renderer, and one webppo Agent that controls every ball and trains while the game
// plays. The frame loop calls act/observe synchronously and never awaits an update.
// Updates run in a Web Worker (worker.ts) unless ?worker=0. When updates fall behind, the game slows its
// steps (never its frames) so rollouts do not pile up.
// URL options: ?backend=auto|webgpu|cpu &agents=24 &seed=1 &speed=4 &steps=64 (per rollout) &hidden=64,64 &worker=0
import { Agent, init } from 'webppo';
import { Arena } from './arena.js';
import { LineChart } from './chart.js';
import { ArenaRenderer } from './render.js';

const params = new URLSearchParams(location.search);
const BACKEND = (params.get('backend') ?? 'auto') as 'auto' | 'webgpu' | 'cpu';
const NUM_AGENTS = Number(params.get('agents') ?? 24);
const SEED = Number(params.get('seed') ?? 1);
const NUM_STEPS = Number(params.get('steps') ?? 64);
const HIDDEN = (params.get('hidden') ?? '64,64').split(',').map(Number);
/** The return chart shows the mean over this many latest episodes. */
const RETURN_WINDOW = 32;
const IN_WORKER = params.get('worker') !== '0';
/** The worker script, built next to this page's script. */
const TRAINER = IN_WORKER ? new URL('./worker.js', import.meta.url) : false;
/** Rollouts allowed to wait for training before the game holds its steps. */
const MAX_PENDING_UPDATES = 1;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  canvas: $<HTMLCanvasElement>('arena'), pause: $<HTMLButtonElement>('pause'), reset: $<HTMLButtonElement>('reset'),
  speed: $<HTMLSelectElement>('speed'), save: $<HTMLButtonElement>('save'), load: $<HTMLInputElement>('load'),
  backend: $('backend'), where: $('where'), agents: $('agents'), updates: $('updates'), episodes: $('episodes'),
  steps: $('steps'), fps: $('fps'), sps: $('sps'), status: $('status'),
};
if (params.has('speed')) {
  const speed = params.get('speed')!;
  if (![...ui.speed.options].some((o) => o.value === speed)) ui.speed.add(new Option(`${speed}×`, speed));
  ui.speed.value = speed;
}

const returnChart = new LineChart($<HTMLCanvasElement>('return-chart'), [{ name: 'return', color: '#7cf5a4' }]);
const lossChart = new LineChart($<HTMLCanvasElement>('loss-chart'), [
  { name: 'policy', color: '#8fb4ff' }, { name: 'value', color: '#ffb86b' }, { name: 'entropy', color: '#e98cff' },
]);

const arena = new Arena({ numAgents: NUM_AGENTS, seed: SEED });
const renderer = new ArenaRenderer(ui.canvas, arena);

/** What the page has seen; the browser tests read it through window.webppoDemo. */
const state = {
  ready: false, running: true, steps: 0, updates: 0, episodes: 0, backend: '', inWorker: IN_WORKER,
  /** After each update: the mean return of the latest RETURN_WINDOW episodes (once there are any). */
  returns: [] as number[],
  losses: [] as { loss_objective: number; loss_critic: number; entropy: number }[],
  errors: [] as string[],
  /** Smoothed milliseconds per frame spent stepping the game (act, step, observe) and drawing it. */
  stepMs: 0, drawMs: 0,
};
let agent: Agent;
let observation: Float32Array;
const recentReturns: number[] = [];

function setStatus(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
  if (error) state.errors.push(text);
}

function attach(next: Agent): void {
  agent = next;
  state.backend = agent.backend;
  ui.backend.textContent = agent.backend === 'webgpu' ? 'WebGPU' : 'WASM (CPU)';
  ui.where.textContent = IN_WORKER ? 'a Web Worker' : 'the page';
  ui.agents.textContent = String(arena.numEnvs);
  agent.on('error', report);
  agent.on('update', ({ stats, updates }) => {
    state.updates = updates;
    if (recentReturns.length) {
      const meanReturn = recentReturns.reduce((a, b) => a + b, 0) / recentReturns.length;
      state.returns.push(meanReturn);
      returnChart.push('return', meanReturn);
    }
    state.losses.push({ loss_objective: stats.loss_objective, loss_critic: stats.loss_critic, entropy: stats.entropy });
    lossChart.push('policy', stats.loss_objective);
    lossChart.push('value', stats.loss_critic);
    lossChart.push('entropy', stats.entropy);
  });
}

function createAgent(): Promise<Agent> {
  return Agent.create({
    observationSpace: arena.observationSpace, actionSpace: arena.actionSpace, numAgents: arena.numEnvs,
    network: { hidden: HIDDEN, activation: 'tanh' },
    ppo: { numSteps: NUM_STEPS, numEpochs: 4, numMinibatches: 4, learningRate: 1e-3, gamma: 0.98, entropyCoef: 0.01, annealLearningRate: false },
    backend: BACKEND, seed: SEED, trainInWorker: TRAINER,
  });
}

/** One game step for every agent: act, step the world, observe. Never awaits. */
function step(): void {
  const actions = agent.act(observation);
  const result = arena.step(actions);
  agent.observe(result.reward, result.terminated, result.truncated, { finalObservations: result.info.finalObservation });
  renderer.afterStep(result.terminated, result.truncated);
  const ended = result.info.episodeReturn;
  for (let e = 0; e < arena.numEnvs; e++) {
    if (!Number.isNaN(ended[e])) {
      recentReturns.push(ended[e]);
      if (recentReturns.length > RETURN_WINDOW) recentReturns.shift();
      state.episodes++;
    }
  }
  observation = result.observation;
  state.steps++;
}

let last = performance.now(), frames = 0, fpsClock = last, stepsAtClock = 0;
function frame(now: number): void {
  const dt = Math.min(0.1, (now - last) / 1000);
  last = now;
  try {
    const started = performance.now();
    if (state.running && state.ready) {
      for (let i = Number(ui.speed.value); i > 0 && agent.pendingUpdates <= MAX_PENDING_UPDATES; i--) step();
    }
    const stepped = performance.now();
    renderer.draw(dt);
    returnChart.draw();
    lossChart.draw();
    state.stepMs += 0.1 * (stepped - started - state.stepMs);
    state.drawMs += 0.1 * (performance.now() - stepped - state.drawMs);
  } catch (error) {
    state.running = false;
    setStatus(`stopped: ${(error as Error).message}`, true);
    console.error(error);
  }
  frames++;
  if (now - fpsClock >= 500) {
    const seconds = (now - fpsClock) / 1000;
    ui.fps.textContent = `${Math.round(frames / seconds)} fps`;
    ui.sps.textContent = `${Math.round(((state.steps - stepsAtClock) * arena.numEnvs) / seconds)} agent-steps/s`;
    ui.updates.textContent = String(state.updates);
    ui.episodes.textContent = String(state.episodes);
    ui.steps.textContent = String(state.steps * arena.numEnvs);
    frames = 0; fpsClock = now; stepsAtClock = state.steps;
  }
  requestAnimationFrame(frame);
}

function setRunning(running: boolean): void {
  state.running = running;
  ui.pause.textContent = running ? 'Pause' : 'Resume';
}

async function reset(): Promise<void> {
  state.ready = false;
  agent?.dispose();
  observation = arena.reset({ seed: SEED }).observation;
  renderer.clearTrails();
  returnChart.clear(); lossChart.clear();
  Object.assign(state, { steps: 0, updates: 0, episodes: 0, returns: [], losses: [] });
  recentReturns.length = 0;
  attach(await createAgent());
  state.ready = true;
  setStatus('');
}

async function save(): Promise<Uint8Array> {
  const bytes = await agent.save();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  link.download = `webppo-arena-${state.updates}.safetensors`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  setStatus(`saved after ${state.updates} updates`);
  return bytes;
}

async function load(bytes: Uint8Array): Promise<void> {
  const loaded = await Agent.load(bytes, { backend: BACKEND, trainInWorker: TRAINER, observationSpace: arena.observationSpace, actionSpace: arena.actionSpace });
  if (loaded.numAgents !== arena.numEnvs) {
    loaded.dispose();
    throw new Error(`checkpoint has ${loaded.numAgents} agents; this arena has ${arena.numEnvs} (open ?agents=${loaded.numAgents})`);
  }
  agent?.dispose();
  attach(loaded);
  state.updates = loaded.updates;
  setStatus(`loaded a checkpoint at ${loaded.updates} updates`);
}

function report(error: unknown): void {
  setStatus(String((error as Error)?.message ?? error), true);
  console.error(error);
}

ui.pause.addEventListener('click', () => setRunning(!state.running));
ui.reset.addEventListener('click', () => reset().catch(report));
ui.save.addEventListener('click', () => save().catch(report));
ui.load.addEventListener('change', () => {
  const file = ui.load.files?.[0];
  if (file) file.arrayBuffer().then((buffer) => load(new Uint8Array(buffer))).catch(report).finally(() => { ui.load.value = ''; });
});

(globalThis as Record<string, unknown>).webppoDemo = {
  state, arena,
  pause: () => setRunning(false), resume: () => setRunning(true),
  save, load: (bytes: ArrayLike<number>) => load(Uint8Array.from(bytes)),
  /** The agent's parameters after a save, for tests that compare checkpoints. */
  saveBytes: async () => Array.from(await agent.save()),
};

await init();
await reset().catch(report);
requestAnimationFrame(frame);
