// The duel page: several PaddleDuels step together, and one webppo Agent with self-play controls every
// paddle. Slot 2k is duel k's left paddle (team 0), slot 2k + 1 its right paddle (team 1): the learning team's
// slots act with the learner and train, the other team's with a frozen snapshot of it. Duel 0 is shown; the
// visitor can take over its left paddle (a heuristic that reads the keyboard). The last duel's left paddle is
// the scripted baseline, so the page can tell how the policy fares against it. "Record rounds" plays a
// separate duel against the scripted right side (the visitor's keys, or the script itself, on the left) and
// records the left side with a DemonstrationRecorder; "Start a learner from them" clones those rounds into a
// new agent (agent.pretrain) that then goes on learning by self-play.
// URL options: ?backend=auto|webgpu|cpu &duels=8 &seed=1 &speed=8 &steps=64 (per rollout) &hidden=32,32 &worker=0
// &swap=2000 (opponent steps between opponent draws; snapshots every 2 swaps, team changes every 8)
import { Agent, DemonstrationRecorder, DUEL_ACTIONS, duelBaseline, init, PaddleDuel, type DuelResultInfo, type Heuristic, type SelfPlaySummary } from 'webppo';
import { LineChart } from '../web/chart.js';
import { startFrameLoop } from '../web/frame-loop.js';
import { DuelRenderer } from './render.js';

const params = new URLSearchParams(location.search);
const BACKEND = (params.get('backend') ?? 'auto') as 'auto' | 'webgpu' | 'cpu';
const DUELS = Math.max(2, Number(params.get('duels') ?? 8));
const SEED = Number(params.get('seed') ?? 1);
const NUM_STEPS = Number(params.get('steps') ?? 64);
const HIDDEN = (params.get('hidden') ?? '32,32').split(',').map(Number);
const TRAINER = params.get('worker') !== '0' ? new URL('../web/worker.js', import.meta.url) : false;
const SWAP = Number(params.get('swap') ?? 2000);
const OBS = 6;
/** Slots: two per duel. The human plays slot 0 (duel 0's left paddle); the baseline plays the last duel's left. */
const SLOTS = 2 * DUELS;
const HUMAN_SLOT = 0;
const BASELINE_DUEL = DUELS - 1;
/** Games against the baseline that the readout averages over. */
const BASELINE_WINDOW = 20;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  canvas: $<HTMLCanvasElement>('duel'), pause: $<HTMLButtonElement>('pause'), takeover: $<HTMLButtonElement>('takeover'),
  record: $<HTMLButtonElement>('record'), clone: $<HTMLButtonElement>('clone'), recorded: $('recorded'),
  speed: $<HTMLSelectElement>('speed'), backend: $('backend'), control: $('control'), team: $('team'), updates: $('updates'),
  games: $('games'), elo: $('elo'), baseline: $('baseline'), score: $('score'), fps: $('fps'), sps: $('sps'), status: $('status'),
};
const eloChart = new LineChart($<HTMLCanvasElement>('elo-chart'), [{ name: 'learner', color: '#7cf5a4' }, { name: 'opponent', color: '#e98cff' }]);
const lossChart = new LineChart($<HTMLCanvasElement>('loss-chart'), [
  { name: 'policy', color: '#8fb4ff' }, { name: 'value', color: '#ffb86b' }, { name: 'entropy', color: '#e98cff' },
]);

const duels = Array.from({ length: DUELS }, () => new PaddleDuel({ pointsToWin: 3, maxSteps: 1800 }));
const renderer = new DuelRenderer(ui.canvas, duels[0]);
const observations = new Float32Array(SLOTS * OBS);
const rewards = new Float32Array(SLOTS), terminated = new Uint8Array(SLOTS), truncated = new Uint8Array(SLOTS);

/** What the page has seen; the browser tests read it through window.webppoDuel. */
const state = {
  ready: false, running: true, steps: 0, updates: 0, games: 0, backend: '',
  /** The learner's ELO after each update, and the latest self-play summary. */
  elo: [] as number[], selfPlay: undefined as SelfPlaySummary | undefined,
  /** Whether the player holds the left paddle of the shown duel, and a switch asked for the next tick. */
  human: false, pendingHuman: undefined as boolean | undefined,
  /** The action the keyboard gave the left paddle at the latest step (0 up, 1 stay, 2 down), -1 before any. */
  humanAction: -1,
  /** Results of the policy (right paddle) against the baseline (left paddle) in the last duel: 1 win, 0.5 draw, 0 loss. */
  baselineGames: [] as number[],
  /** The player's games in the shown duel, from the player's side. */
  humanGames: [] as string[],
  /** Whether the practice duel is being recorded; its recorded steps and games; accuracy of the latest cloning. */
  recording: false, recordedSteps: 0, recordedGames: 0, cloneAccuracy: NaN, learners: 1,
  errors: [] as string[],
};
/** The practice duel: the left side (recorded) against the scripted right side, outside the agent. */
const practice = new PaddleDuel({ pointsToWin: 3, maxSteps: 1800 });
const recorder = new DemonstrationRecorder({ observationSpace: practice.observationSpace('left'), actionSpace: practice.actionSpace('left'), maxSteps: 50_000 });
const one = { observation: new Float32Array(OBS), action: new Int32Array(1), reward: new Float32Array(1), terminated: new Uint8Array(1), truncated: new Uint8Array(1) };
let agent: Agent;

const keys = new Set<string>();
addEventListener('keydown', (e) => {
  if (['ArrowUp', 'ArrowDown', 'w', 'W', 's', 'S'].includes(e.key)) { keys.add(e.key.toLowerCase()); e.preventDefault(); }
});
addEventListener('keyup', (e) => keys.delete(e.key.toLowerCase()));
addEventListener('blur', () => keys.clear());

/** The keyboard's action: up while ↑ or W is held, down while ↓ or S is held. */
function keyboard(): number {
  const up = keys.has('arrowup') || keys.has('w'), down = keys.has('arrowdown') || keys.has('s');
  return up === down ? DUEL_ACTIONS.stay : up ? DUEL_ACTIONS.up : DUEL_ACTIONS.down;
}
/** The player, on the shown duel's left paddle. */
const human: Heuristic = (slot, _observations, actions) => {
  actions[slot] = keyboard();
  state.humanAction = actions[slot];
};
/** The scripted baseline, on its slot's (mirrored) observation. */
const baseline: Heuristic = (slot, obs, actions) => { actions[slot] = duelBaseline(obs.subarray(slot * OBS, (slot + 1) * OBS)); };

function setStatus(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
  if (error) state.errors.push(text);
}
function report(error: unknown): void {
  setStatus(String((error as Error)?.message ?? error), true);
  console.error(error);
}

function show(k: number, obs: Partial<Record<'left' | 'right', ArrayLike<number>>>): void {
  observations.set(obs.left!, 2 * k * OBS);
  observations.set(obs.right!, (2 * k + 1) * OBS);
}

/**
 * Hands the left paddle to the keyboard or back, between two ticks. Whichever team learns: on the opponent
 * team the heuristic takes over from the frozen snapshot's driver, and neither side trains on the player's steps.
 */
function applyTakeover(): void {
  if (state.pendingHuman === undefined) return;
  state.human = state.pendingHuman;
  state.pendingHuman = undefined;
  agent.setHeuristic(HUMAN_SLOT, state.human ? human : null);
  ui.takeover.textContent = state.human ? 'Give the left side back' : 'Take over the left side';
  ui.control.textContent = state.human ? 'you (↑/↓ or W/S)' : 'the policy';
  if (state.human) ui.speed.value = '1';
  setStatus(state.human ? 'you play the left paddle' : '');
}

/** One step of the practice duel, recorded from the left side: the visitor's keys if they play, else the script. */
function practiceTick(): void {
  const left = state.human ? keyboard() : duelBaseline(one.observation);
  const right = duelBaseline(practiceRight);
  const step = practice.step({ left, right });
  const over = step.terminations.left! || step.truncations.left!;
  one.action[0] = left;
  one.reward[0] = step.rewards.left!;
  one.terminated[0] = step.terminations.left! ? 1 : 0;
  one.truncated[0] = step.truncations.left! ? 1 : 0;
  state.recordedSteps += recorder.record(one.observation, one.action, undefined, one.reward, one.terminated, one.truncated);
  if (over) state.recordedGames++;
  const next = over ? practice.reset().observations : step.observations;
  one.observation.set(next.left!);
  practiceRight.set(next.right!);
  ui.recorded.textContent = `${state.recordedGames} games, ${state.recordedSteps} steps recorded`;
}
const practiceRight = new Float32Array(OBS);

function tick(): void {
  if (state.recording) practiceTick();
  applyTakeover();
  const actions = agent.act(observations);
  for (let k = 0; k < DUELS; k++) {
    const step = duels[k].step({ left: actions[2 * k], right: actions[2 * k + 1] });
    rewards[2 * k] = step.rewards.left!;
    rewards[2 * k + 1] = step.rewards.right!;
    const over = step.terminations.left! || step.truncations.left!;
    terminated.fill(step.terminations.left! ? 1 : 0, 2 * k, 2 * k + 2);
    truncated.fill(step.truncations.left! ? 1 : 0, 2 * k, 2 * k + 2);
    if (over) gameOver(k, (step.infos.left as DuelResultInfo).result);
    show(k, over ? duels[k].reset().observations : step.observations);
  }
  agent.observe(rewards, terminated, truncated);
}

/** Rates policy-against-policy games; the baseline's and the player's are kept apart. */
function gameOver(k: number, left: 'win' | 'draw' | 'loss'): void {
  state.games++;
  if (k === BASELINE_DUEL) {
    state.baselineGames.push(left === 'loss' ? 1 : left === 'draw' ? 0.5 : 0);
    if (state.baselineGames.length > BASELINE_WINDOW) state.baselineGames.shift();
    const rate = state.baselineGames.reduce((a, b) => a + b, 0) / state.baselineGames.length;
    ui.baseline.textContent = `${Math.round(100 * rate)}% of the last ${state.baselineGames.length} games`;
  } else if (k === 0 && state.human) {
    state.humanGames.push(left);
    setStatus(`you: ${state.humanGames.filter((r) => r === 'win').length} won, ${state.humanGames.filter((r) => r === 'loss').length} lost`);
  } else {
    agent.reportResult(0, left);
  }
}

function attach(next: Agent): void {
  agent = next;
  state.backend = agent.backend;
  ui.backend.textContent = agent.backend === 'webgpu' ? 'WebGPU' : 'WASM (CPU)';
  agent.setHeuristic(2 * BASELINE_DUEL, baseline);
  agent.on('error', report);
  agent.on('update', ({ stats, updates, selfPlay }) => {
    state.updates = updates;
    if (selfPlay) {
      state.selfPlay = selfPlay;
      state.elo.push(selfPlay.elo);
      eloChart.push('learner', selfPlay.elo);
      eloChart.push('opponent', selfPlay.opponent.elo);
    }
    lossChart.push('policy', stats.loss_objective);
    lossChart.push('value', stats.loss_critic);
    lossChart.push('entropy', stats.entropy);
  });
}

ui.record.addEventListener('click', () => {
  state.recording = !state.recording;
  if (state.recording) {
    const first = practice.reset({ seed: SEED + state.recordedGames }).observations;
    one.observation.set(first.left!);
    practiceRight.set(first.right!);
  }
  renderer.show(state.recording ? practice : duels[0]);
  ui.record.textContent = state.recording ? 'Stop recording' : 'Record rounds vs the script';
  ui.clone.disabled = state.recording || recorder.steps === 0;
  ui.record.blur();
});
ui.clone.addEventListener('click', () => startFromRecording().catch(report));

/** A new learner: cloned from the recorded rounds (behaviour cloning), then on to self-play from there. */
async function startFromRecording(): Promise<void> {
  ui.clone.disabled = true;
  state.ready = false;
  const demonstration = recorder.toDemonstration();
  const next = await createAgent();
  const epochs = await next.pretrain(demonstration, { epochs: 30, batchSize: Math.min(64, demonstration.steps) });
  state.cloneAccuracy = epochs[epochs.length - 1].accuracy ?? NaN;
  agent.dispose();
  Object.assign(state, { updates: 0, elo: [], selfPlay: undefined, human: false, pendingHuman: undefined, baselineGames: [], learners: state.learners + 1 });
  eloChart.clear(); lossChart.clear();
  ui.takeover.textContent = 'Take over the left side';
  ui.control.textContent = 'the policy';
  attach(next);
  state.ready = true;
  ui.clone.disabled = false;
  setStatus(`a new learner cloned ${demonstration.steps} recorded steps (accuracy ${(100 * state.cloneAccuracy).toFixed(0)}%) and learns on by self-play`);
}

ui.takeover.addEventListener('click', () => {
  state.pendingHuman = !(state.pendingHuman ?? state.human);
  ui.takeover.blur();
});

(globalThis as Record<string, unknown>).webppoDuel = {
  state, duels,
  takeOver: (on = true) => { state.pendingHuman = on; },
  /** The action the agent's last act() gave the player's slot. */
  leftAction: () => state.humanAction,
};

function createAgent(): Promise<Agent> {
  return Agent.create({
    observationSpace: duels[0].observationSpace('left'), actionSpace: duels[0].actionSpace('left'), numAgents: SLOTS,
    network: { hidden: HIDDEN, activation: 'tanh' },
    ppo: { numSteps: NUM_STEPS, numEpochs: 4, numMinibatches: 4, learningRate: 1e-3, gamma: 0.99, entropyCoef: 0.01, annealLearningRate: false },
    selfPlay: { saveSteps: 2 * SWAP, swapSteps: SWAP, teamChange: 8 * SWAP, window: 10, playAgainstLatestModelRatio: 0.5 },
    backend: BACKEND, seed: SEED + state.learners, trainInWorker: TRAINER,
  });
}

await init();
try {
  duels.forEach((duel, k) => show(k, duel.reset({ seed: SEED * 1000 + k }).observations));
  attach(await createAgent());
  state.ready = true;
} catch (error) {
  report(error);
}
startFrameLoop({
  speed: ui.speed, fps: ui.fps, pause: ui.pause, state, setStatus,
  keepsUp: () => agent.pendingUpdates <= 1,
  tick,
  draw: () => {
    renderer.draw(state.human);
    eloChart.draw();
    lossChart.draw();
  },
  readout: (seconds, ticks) => {
    ui.sps.textContent = `${Math.round((ticks * SLOTS) / seconds)} steps/s`;
    ui.updates.textContent = String(state.updates);
    ui.games.textContent = String(state.games);
    const s = duels[0].state;
    ui.score.textContent = `${s.leftScore} : ${s.rightScore}`;
    if (agent?.selfPlay) {
      ui.elo.textContent = agent.selfPlay.elo.toFixed(0);
      ui.team.textContent = agent.selfPlay.learningTeam === 0 ? 'left paddles' : 'right paddles';
    }
  },
});
