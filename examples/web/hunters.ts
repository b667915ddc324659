// The arena's second game: hunters and prey, two behaviours in one Behaviours container. A caught prey's
// agent leaves (its slot is freed, its episode ends with the catch's penalty) and the prey that respawns
// later takes a slot again with spawn(), so the prey agent's slots come and go while the game plays.
// URL options: ?backend=auto|webgpu|cpu &hunters=3 &prey=8 &seed=1 &speed=4 &steps=32 (per rollout) &worker=0
import { Behaviours, HuntersAndPrey, init, type BoxSpace, type HuntersAndPreyId } from 'webppo';
import { LineChart } from './chart.js';
import { startFrameLoop } from './frame-loop.js';

const params = new URLSearchParams(location.search);
const BACKEND = (params.get('backend') ?? 'auto') as 'auto' | 'webgpu' | 'cpu';
const HUNTERS = Number(params.get('hunters') ?? 3);
const PREY = Number(params.get('prey') ?? 8);
const SEED = Number(params.get('seed') ?? 1);
const NUM_STEPS = Number(params.get('steps') ?? 32);
const TRAINER = params.get('worker') !== '0' ? new URL('./worker.js', import.meta.url) : false;
/** The charts show the mean over this many latest episodes of each behaviour. */
const RETURN_WINDOW = 16;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  canvas: $<HTMLCanvasElement>('arena'), pause: $<HTMLButtonElement>('pause'), speed: $<HTMLSelectElement>('speed'),
  backend: $('backend'), hunters: $('hunters'), prey: $('prey'), catches: $('catches'), updates: $('updates'),
  fps: $('fps'), sps: $('sps'), status: $('status'),
};
const charts = {
  hunter: new LineChart($<HTMLCanvasElement>('hunter-chart'), [{ name: 'return', color: '#ff6b5a' }]),
  prey: new LineChart($<HTMLCanvasElement>('prey-chart'), [{ name: 'return', color: '#7cf5a4' }]),
};

const env = new HuntersAndPrey({ hunters: HUNTERS, prey: PREY, maxSteps: 400 });
const hunterIds = env.possibleAgents.slice(0, HUNTERS), preyIds = env.possibleAgents.slice(HUNTERS);
const H_OBS = (env.observationSpace(hunterIds[0]) as BoxSpace).shape[0], P_OBS = (env.observationSpace(preyIds[0]) as BoxSpace).shape[0];
const hunterObs = new Float32Array(HUNTERS * H_OBS), hunterFinal = new Float32Array(HUNTERS * H_OBS);
const preyObs = new Float32Array(PREY * P_OBS), preyFinal = new Float32Array(PREY * P_OBS);
const hunterRewards = new Float32Array(HUNTERS), preyRewards = new Float32Array(PREY);
const none = { hunter: new Uint8Array(HUNTERS), prey: new Uint8Array(PREY) };
const cut = { hunter: new Uint8Array(HUNTERS), prey: new Uint8Array(PREY) };
/** The prey agent's slot of each prey in the game, -1 while it is caught (its slot is free). */
const slotOf = new Int32Array(PREY).fill(-1);
/** Where the latest catches happened, for a short flash. */
const flashes: { x: number; y: number; age: number }[] = [];

/** What the page has seen; the browser tests read it through window.webppoHunters. */
const state = {
  ready: false, running: true, steps: 0, catches: 0, spawns: 0, backend: '',
  updates: { hunter: 0, prey: 0 },
  /** After each update of a behaviour: the mean return of its latest episodes (once there are any). */
  returns: { hunter: [] as number[], prey: [] as number[] },
  /** The prey agent's live slots after the latest step. */
  preyAlive: PREY,
  errors: [] as string[],
};
const recent = { hunter: [] as number[], prey: [] as number[] };
let behaviours: Behaviours<'hunter' | 'prey'>;

function setStatus(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
  if (error) state.errors.push(text);
}
function report(error: unknown): void {
  setStatus(String((error as Error)?.message ?? error), true);
  console.error(error);
}

/** Copies the observations of the agents present into their rows (hunter i in row i, prey j in its slot's row). */
function place(observations: Partial<Record<HuntersAndPreyId, ArrayLike<number>>>, hunters: Float32Array, prey: Float32Array): void {
  hunterIds.forEach((id, i) => { const o = observations[id]; if (o) hunters.set(o, i * H_OBS); });
  preyIds.forEach((id, j) => { const o = observations[id]; if (o && slotOf[j] >= 0) prey.set(o, slotOf[j] * P_OBS); });
}

/** Gives every prey without a slot (a new episode, or one that respawned) a slot of the prey agent. */
function spawnPrey(observations: Partial<Record<HuntersAndPreyId, ArrayLike<number>>>): void {
  const prey = behaviours.get('prey');
  preyIds.forEach((id, j) => {
    if (slotOf[j] >= 0 || !observations[id]) return;
    slotOf[j] = prey.spawn();
    preyObs.set(observations[id]!, slotOf[j] * P_OBS);
    state.spawns++;
  });
}

function tick(): void {
  const hunter = behaviours.get('hunter'), prey = behaviours.get('prey');
  const hunterMoves = hunter.act(hunterObs), preyMoves = prey.act(preyObs);
  const actions: Partial<Record<HuntersAndPreyId, number>> = {};
  hunterIds.forEach((id, i) => { actions[id] = hunterMoves[i]; });
  preyIds.forEach((id, j) => { if (slotOf[j] >= 0) actions[id] = preyMoves[slotOf[j]]; });
  const step = env.step(actions);
  const over = step.truncations[hunterIds[0]] === true;
  hunterIds.forEach((id, i) => { hunterRewards[i] = step.rewards[id] ?? 0; });
  cut.hunter.fill(over ? 1 : 0);
  cut.prey.fill(0);
  preyIds.forEach((id, j) => {
    const slot = slotOf[j];
    if (slot < 0 || !(id in step.rewards)) return;
    if (step.terminations[id]) {
      // Caught: the last reward goes to the decision that led here, then the agent leaves its slot.
      const o = step.observations[id]!;
      flashes.push({ x: o[0], y: o[1], age: 0 });
      prey.addReward(slot, step.rewards[id]!);
      prey.leave(slot);
      slotOf[j] = -1;
      state.catches++;
      return;
    }
    preyRewards[slot] = step.rewards[id]!;
    cut.prey[slot] = step.truncations[id] ? 1 : 0;
  });
  place(step.observations, over ? hunterFinal : hunterObs, over ? preyFinal : preyObs);
  hunter.observe(hunterRewards, none.hunter, cut.hunter, over ? { finalObservations: hunterFinal } : undefined);
  prey.observe(preyRewards, none.prey, cut.prey, over ? { finalObservations: preyFinal } : undefined);
  const next = over ? env.reset().observations : step.observations;
  if (over) place(next, hunterObs, preyObs);
  spawnPrey(next);
  state.preyAlive = slotOf.reduce((n, s) => n + (s >= 0 ? 1 : 0), 0);
}

const context = ui.canvas.getContext('2d')!;
function draw(): void {
  const ratio = globalThis.devicePixelRatio || 1;
  const size = Math.round((ui.canvas.clientWidth || 600) * ratio);
  if (ui.canvas.width !== size) { ui.canvas.width = size; ui.canvas.height = size; }
  const X = (x: number) => ((x + 1) / 2) * size, Y = (y: number) => ((1 - y) / 2) * size;
  const c = context;
  c.fillStyle = '#0b1022';
  c.fillRect(0, 0, size, size);
  const dot = (x: number, y: number, r: number, color: string) => { c.fillStyle = color; c.beginPath(); c.arc(X(x), Y(y), r * size, 0, Math.PI * 2); c.fill(); };
  for (const f of flashes) {
    c.strokeStyle = `rgba(255, 107, 90, ${1 - f.age / 30})`;
    c.lineWidth = 2 * ratio;
    c.beginPath(); c.arc(X(f.x), Y(f.y), (0.02 + f.age * 0.002) * size, 0, Math.PI * 2); c.stroke();
    f.age++;
  }
  while (flashes.length && flashes[0].age > 30) flashes.shift();
  const catchRadius = env.options.catchRadius / 2;
  for (let i = 0; i < HUNTERS; i++) {
    const x = hunterObs[i * H_OBS], y = hunterObs[i * H_OBS + 1];
    dot(x, y, catchRadius, 'rgba(255, 107, 90, 0.15)');
    dot(x, y, 0.022, '#ff6b5a');
  }
  for (let j = 0; j < PREY; j++) {
    if (slotOf[j] >= 0) dot(preyObs[slotOf[j] * P_OBS], preyObs[slotOf[j] * P_OBS + 1], 0.015, '#7cf5a4');
  }
}

(globalThis as Record<string, unknown>).webppoHunters = { state };

await init();
try {
  const network = { hidden: [64, 64], activation: 'tanh' as const };
  const ppo = { numSteps: NUM_STEPS, numEpochs: 4, numMinibatches: 4, learningRate: 1e-3, gamma: 0.98, entropyCoef: 0.01, annealLearningRate: false };
  behaviours = await Behaviours.create({
    hunter: { observationSpace: env.observationSpace(hunterIds[0]), actionSpace: env.actionSpace(hunterIds[0]), numAgents: HUNTERS, network, ppo },
    prey: { observationSpace: env.observationSpace(preyIds[0]), actionSpace: env.actionSpace(preyIds[0]), numAgents: PREY, network, ppo },
  }, { backend: BACKEND, seed: SEED, trainInWorker: TRAINER });
  state.backend = behaviours.get('hunter').backend;
  ui.backend.textContent = state.backend === 'webgpu' ? 'WebGPU' : 'WASM (CPU)';
  ui.hunters.textContent = String(HUNTERS);
  behaviours.on('error', ({ error }) => report(error));
  behaviours.on('episode', (e) => {
    const list = recent[e.behaviour];
    list.push(e.return);
    if (list.length > RETURN_WINDOW) list.shift();
  });
  behaviours.on('update', (e) => {
    state.updates[e.behaviour] = e.updates;
    const list = recent[e.behaviour];
    if (list.length === 0) return;
    const mean = list.reduce((a, b) => a + b, 0) / list.length;
    state.returns[e.behaviour].push(mean);
    charts[e.behaviour].push('return', mean);
  });
  // Every prey starts in the game: slot j for prey j.
  const first = env.reset({ seed: SEED }).observations;
  slotOf.forEach((_, j) => { slotOf[j] = j; });
  place(first, hunterObs, preyObs);
  state.ready = true;
} catch (error) {
  report(error);
}
startFrameLoop({
  speed: ui.speed, fps: ui.fps, pause: ui.pause, state, setStatus,
  keepsUp: () => behaviours.pendingUpdates <= 2,
  tick,
  draw: () => {
    draw();
    charts.hunter.draw();
    charts.prey.draw();
  },
  readout: (seconds, ticks) => {
    ui.sps.textContent = `${Math.round((ticks * (HUNTERS + state.preyAlive)) / seconds)} agent-steps/s`;
    ui.prey.textContent = `${state.preyAlive} of ${PREY}`;
    ui.catches.textContent = String(state.catches);
    ui.updates.textContent = `${state.updates.hunter} hunter, ${state.updates.prey} prey`;
  },
});
