// Agent: a self-training PPO agent for a game loop. act() and observe() are synchronous and allocate
// nothing; when the rollout buffer is full its update runs asynchronously while the game keeps collecting
// into a second buffer with the previous policy (a batch collected under a policy older than the one being
// trained is trained with segment minibatches, whose advantages the trainer recomputes with V-trace ratios).
// New parameters are swapped into inference when the update resolves. This file is the public facade: the
// game-loop side lives in game-loop.ts (slots, staging, the rollout stream), the update side in updates.ts.
import { checkInteger, checkKeys, checkNumber, checkOneOf, fail, failState, type SizeError } from '../errors.js';
import { init } from '../init.js';
import { checkAgentFootprint } from './footprint.js';
import { type AgentOptions, type BackendChoice, optionsFromJson, optionsToJson, resolveAgentOptions, type ResolvedAgentOptions } from './options.js';
import { createInference, type Inference } from './inference.js';
import { type ActOptions, checkActInputs, checkActOptions, type LeaveOptions, type ObserveOptions } from './inputs.js';
import { rngFromString, rngToString } from './running-state.js';
import type { Driver, Heuristic } from './slots.js';
import { AgentEmitter, type AgentEvents, type AgentHealth } from './events.js';
import { GameLoop } from './game-loop.js';
import { type AgentCounters, UpdateLoop } from './updates.js';
import { AgentSelfPlay, type SelfPlayEvent, widenLegacySnapshots } from './self-play.js';
import type { GameResult } from '../selfplay/elo.js';
import type { SelfPlaySummary } from '../selfplay/self-play.js';
import { createLog, type Logger, type LogOptions } from '../log.js';
import { createAgentTrainer, type TrainInWorker } from '../worker/index.js';
import type { BackendReport } from '../backend/index.js';
import type { Hyperparameters, Trainer } from '../backend/trainer.js';
import type { TrainerState } from './divergence.js';
import { CHECKPOINT_VERSION, checkCanonical, decodeCheckpoint, encodeCheckpoint, readCheckpointConfig, sameSpace, spaceToJson } from '../policy/checkpoint.js';
import { CheckpointError, type Tensor } from '../policy/safetensors.js';
import { networkLayout, type NetworkLayout, type PolicySpec, sequenceCount } from '../policy/network.js';
import { policyToOnnx } from '../interop/onnx/export.js';
import type { Schedules } from '../schedule.js';
import { actionSize, flatSize, logitCount, type ActionSpace, type Space, validateSpace } from '../spaces.js';
import { BehavioralCloning } from '../imitation/behavioral-cloning.js';
import type { Demonstration, DemonstrationRecorder } from '../imitation/demonstration.js';
import type { ImitationHost } from '../imitation/host.js';
import { pretrain, type PretrainEpoch, type PretrainOptions } from '../imitation/pretrain.js';
import { imitationHost } from './imitation.js';
import { HeuristicRecording } from './recording.js';
import type { HeuristicOptions } from './heuristic-training.js';

export type { AgentOptions, BackendChoice } from './options.js';
export type { ActOptions, LeaveOptions, ObserveOptions } from './inputs.js';
export type { Driver, Heuristic } from './slots.js';
export type { HeuristicOptions } from './heuristic-training.js';
export type { BehavioralCloningSettings } from './imitation.js';
export type { DivergedEvent } from './divergence.js';
export type { AgentEvents, AgentHealth, DroppedEvent, EpisodeEvent, UpdateEvent } from './events.js';
export type { RecoveredEvent } from './recovery.js';
export type { SelfPlayEvent } from './self-play.js';

/** Options of `Agent.load`. */
export interface LoadOptions extends LogOptions {
  /**
   * The backend to train on from now on.
   * @default the backend saved in the checkpoint
   */
  backend?: BackendChoice;
  /** Where to train (see AgentOptions.trainInWorker); not saved in checkpoints. */
  trainInWorker?: TrainInWorker;
  /** Training work per event-loop turn (see AgentOptions.frameBudgetMs); not saved in checkpoints. */
  frameBudgetMs?: number;
  /** When given, the checkpoint must have been saved for these spaces. */
  observationSpace?: Space;
  /** When given, the checkpoint must have been saved for this action space (a `CheckpointError` otherwise). */
  actionSpace?: ActionSpace;
  /**
   * The demonstrations of a checkpoint saved with `behavioralCloning` (checkpoints hold its settings, not its
   * demonstrations): cloning resumes with them (and a fresh cloning Adam state). Without them it is dropped
   * (a warning says so); given for a checkpoint saved without cloning, a `ValidationError`.
   */
  demonstrations?: Demonstration | readonly Demonstration[];
}

const LOAD_OPTIONS = ['backend', 'trainInWorker', 'observationSpace', 'actionSpace', 'frameBudgetMs', 'logLevel', 'logger', 'demonstrations'];

/**
 * A self-training PPO agent for a game loop: `numAgents` agents share one policy; each tick the game calls
 * `act()` with their observations and `observe()` with what happened. Both are synchronous and allocate
 * nothing. When `ppo.numSteps` ticks are collected, the update runs asynchronously while the game keeps
 * playing (collecting into a second buffer with the previous policy; V-trace corrects that lag), and the new
 * parameters reach `act()` when the update resolves.
 *
 * @example
 * ```ts
 * import { init, Agent, Box, Discrete } from 'webppo';
 * await init();
 * const agent = await Agent.create({ observationSpace: Box(4), actionSpace: Discrete(2), numAgents: 8 });
 * const observations = new Float32Array(8 * 4);
 * const actions = agent.act(observations);      // Int32Array view, one action per agent
 * agent.observe(new Float32Array(8), new Uint8Array(8), new Uint8Array(8));
 * ```
 */
export class Agent {
  /** What each agent observes. */
  readonly observationSpace: Space;
  /** What each agent may do. */
  readonly actionSpace: ActionSpace;
  /** Agents acting each tick (rows of observations and actions). */
  readonly numAgents: number;
  /** The options after validation, with every default filled in (frozen). */
  readonly options: Readonly<ResolvedAgentOptions>;
  private readonly log: Logger;
  /** Floats per observation row. */
  readonly observationSize: number;

  private readonly policy: PolicySpec;
  private readonly layout: NetworkLayout;
  /** The game-loop side: slots, staging, the rollout stream, normalization, episode tallies. */
  private readonly loop: GameLoop;
  /** The update side: queued PPO updates, the buffer pool, the policy version, the schedules. */
  private readonly updateLoop: UpdateLoop;
  private readonly faults: AgentHealth = { divergences: 0, deviceLosses: 0, droppedSteps: 0, listenerErrors: 0 };
  private disposed = false;
  private readonly events: AgentEmitter;
  private readonly counters: AgentCounters = { steps: 0, updates: 0, episodes: 0 };
  /** Self-play (AgentOptions.selfPlay): the opponent teams' drivers, pool and ratings. */
  private selfPlayRun: AgentSelfPlay | undefined;

  private constructor(options: ResolvedAgentOptions, trainer: Trainer, private readonly inference: Inference, state: TrainerState) {
    this.options = Object.freeze(options);
    this.log = createLog(options);
    this.events = new AgentEmitter(this.log, () => { this.faults.listenerErrors++; });
    this.observationSpace = options.observationSpace;
    this.actionSpace = options.actionSpace;
    this.numAgents = options.numAgents;
    this.observationSize = flatSize(options.observationSpace);
    this.policy = { observationSize: this.observationSize, actionSpace: options.actionSpace, network: options.network };
    this.layout = networkLayout(this.policy);
    const host = { options: this.options, policy: this.policy, layout: this.layout, inference, events: this.events, faults: this.faults, counters: this.counters };
    this.updateLoop = new UpdateLoop(host, trainer, state);
    this.loop = new GameLoop(this.options, this.observationSize, inference, this.updateLoop, this.events, this.counters);
  }

  /** The trainer of the update loop (replaced when a lost device is rebuilt). */
  private get trainer(): Trainer { return this.updateLoop.trainer; }

  /**
   * Creates an agent (loads the wasm if needed); validates every option first.
   * @example
   * ```ts
   * import { Agent, Box, Discrete } from 'webppo';
   * const agent = await Agent.create({
   *   observationSpace: Box(8), actionSpace: Discrete(4), numAgents: 16,
   *   network: { hidden: [64, 64] }, ppo: { numSteps: 128 }, backend: 'auto', seed: 1,
   * });
   * ```
   */
  static async create(options: AgentOptions): Promise<Agent> {
    const resolved = resolveAgentOptions(options);
    await init();
    checkAgentFootprint(resolved);
    return Agent.build(resolved, undefined);
  }

  /** Builds the agent; with self-play, starts it from `extra` (a checkpoint's tensors) or from the initial parameters. */
  private static async build(options: ResolvedAgentOptions, parameters: Float32Array | undefined, extra?: ReadonlyMap<string, Tensor>): Promise<Agent> {
    const policy: PolicySpec = { observationSize: flatSize(options.observationSpace), actionSpace: options.actionSpace, network: options.network };
    let report: BackendReport | undefined;
    const trainer = await createAgentTrainer({
      backend: options.backend, policy, ppo: options.ppo, seed: options.seed, parameters, numEnvs: options.numAgents,
      onBackendReport: (r) => { report = r; },
    }, options.trainInWorker);
    let inference: Inference | undefined;
    try {
      const state = { parameters: await trainer.getParameters(), optimizer: await trainer.getOptimizerState() };
      inference = createInference(policy, options.numAgents, options.seed, state.parameters);
      const agent = new Agent(options, trainer, inference, state);
      agent.backendReport = report;
      if (options.selfPlay) agent.selfPlayRun = agent.loop.selfPlay = agent.updateLoop.selfPlay = agent.startSelfPlay(options.selfPlay, extra);
      const ppo = options.ppo;
      if (options.behavioralCloning) {
        agent.updateLoop.cloning = new BehavioralCloning(agent.imitationHost(), options.behavioralCloning, {
          learningRate: ppo.learningRate, batchSize: Math.floor((ppo.numSteps * options.numAgents) / ppo.numMinibatches), numEpoch: ppo.numEpochs,
        });
      }
      return agent;
    } catch (error) {
      inference?.dispose();
      trainer.dispose();
      throw error;
    }
  }

  /**
   * Restores an agent saved by save(): parameters, optimizer, normalization, RNG and counters. A truncated,
   * corrupted or mismatched file throws a `CheckpointError` that says what is wrong.
   * @example
   * <!-- test: needs agent, Agent -->
   * ```ts
   * const bytes = await agent.save();
   * const restored = await Agent.load(bytes, { backend: 'cpu' });
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Promise<Agent> {
    checkKeys('options', options, LOAD_OPTIONS, 'option');
    if (options.backend !== undefined) checkOneOf('options.backend', options.backend, ['auto', 'cpu', 'webgpu'] as const);
    if (options.observationSpace !== undefined) validateSpace('options.observationSpace', options.observationSpace);
    if (options.actionSpace !== undefined) validateSpace('options.actionSpace', options.actionSpace);
    if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) fail('bytes', 'a Uint8Array or ArrayBuffer (what save() returned)', bytes);
    await init();
    const { config, file } = readCheckpointConfig(bytes);
    const saved = optionsFromJson(config);
    if (file.metadata.version === CHECKPOINT_VERSION) checkCanonical('config', file.metadata.config, optionsToJson(saved));
    if (options.observationSpace && !sameSpace(options.observationSpace, saved.observationSpace)) {
      throw new CheckpointError(`checkpoint: observationSpace: expected ${JSON.stringify(spaceToJson(options.observationSpace))} (as asked), the file has ${JSON.stringify(spaceToJson(saved.observationSpace))}`, 'observationSpace');
    }
    if (options.actionSpace && !sameSpace(options.actionSpace, saved.actionSpace)) {
      throw new CheckpointError(`checkpoint: actionSpace: expected ${JSON.stringify(spaceToJson(options.actionSpace))} (as asked), the file has ${JSON.stringify(spaceToJson(saved.actionSpace))}`, 'actionSpace');
    }
    if (!saved.behavioralCloning && options.demonstrations !== undefined) fail('options.demonstrations', 'undefined: this checkpoint was saved without behavioralCloning', 'demonstrations');
    if (saved.behavioralCloning && options.demonstrations === undefined) {
      createLog(options).warn('webppo: Agent.load: the checkpoint clones demonstrations (behavioralCloning) but none were given (options.demonstrations): this agent trains without cloning');
    }
    const behavioralCloning = saved.behavioralCloning && options.demonstrations !== undefined ? { ...saved.behavioralCloning, demonstrations: options.demonstrations } : undefined;
    const resolved = resolveAgentOptions({ ...saved, behavioralCloning, totalSteps: saved.totalSteps ?? undefined, backend: options.backend ?? saved.backend, trainInWorker: options.trainInWorker, frameBudgetMs: options.frameBudgetMs, logLevel: options.logLevel, logger: options.logger });
    const policy: PolicySpec = { observationSize: flatSize(resolved.observationSpace), actionSpace: resolved.actionSpace, network: resolved.network };
    // Every tensor and value is checked against the config before the agent's memory is sized and taken.
    const contents = decodeCheckpoint(file, config, {
      layout: networkLayout(policy), observationSize: policy.observationSize, numAgents: resolved.numAgents,
      normalizeObservations: resolved.ppo.normalizeObservations, normalizeRewards: resolved.ppo.normalizeRewards,
      running: {
        numSteps: resolved.ppo.numSteps, actionSize: actionSize(resolved.actionSpace), categorical: resolved.actionSpace.kind !== 'box',
        maskSize: resolved.masks ? logitCount(resolved.actionSpace) : 0,
        ...(resolved.network.memory === undefined ? {} : { stateSize: networkLayout(policy).stateSize, sequences: sequenceCount(resolved.ppo.numSteps, resolved.network.memory) }),
      },
      selfPlay: resolved.selfPlay !== undefined,
    });
    try {
      checkAgentFootprint(resolved);
    } catch (error) {
      throw new CheckpointError(`checkpoint: config: ${(error as Error).message}`, (error as SizeError).field);
    }
    let extra: ReadonlyMap<string, Tensor> = contents.extra ?? new Map();
    // Self-play snapshots of the release before carried no normalization statistics: they get the checkpoint's.
    if (resolved.selfPlay !== undefined && contents.observationStats) extra = widenLegacySnapshots(extra, networkLayout(policy).size, contents.observationStats);
    const agent = await Agent.build(resolved, contents.parameters, extra);
    try {
      agent.trainer.setOptimizerState(contents.optimizer);
      const { m, v, step } = contents.optimizer;
      const updates = agent.updateLoop, loop = agent.loop;
      updates.mirror = { parameters: updates.mirror.parameters, optimizer: { m: m.slice(), v: v.slice(), step } };
      if (contents.observationStats) loop.obsNorm!.stats.setState(contents.observationStats);
      if (contents.rewardStats) {
        loop.rewardScaler!.stats.setState(contents.rewardStats);
        loop.rewardScaler!.returns.set(contents.rewardStats.returns);
      }
      agent.restoreRng(contents.rng);
      loop.restore(extra, contents.counters);
      const c = contents.counters;
      for (const key of ['steps', 'updates', 'episodes'] as const) {
        if (!Number.isInteger(c[key]) || c[key] < 0) throw new CheckpointError(`checkpoint: counters.${key}: expected an integer >= 0, got ${c[key]}`);
        agent.counters[key] = c[key];
      }
    } catch (error) {
      agent.dispose();
      throw error;
    }
    return agent;
  }

  /** The backend that trains this agent (`'auto'` resolved to the one it chose). */
  get backend(): 'cpu' | 'webgpu' { return this.trainer.backend; }
  /** How backend 'auto' chose (the timings it measured), when it chose in this thread; undefined otherwise. */
  backendReport?: BackendReport;

  /**
   * The most training work (ms) one event-loop turn does when a CPU update runs in the game's thread; 0 runs
   * each update whole. Takes effect from the next slice.
   */
  get frameBudgetMs(): number { return this.updateLoop.budgetMs; }
  /** Sets the budget: a finite number of ms >= 0 (a `ValidationError` otherwise). */
  set frameBudgetMs(ms: number) { this.updateLoop.budgetMs = checkNumber('frameBudgetMs', ms, 0); }

  /**
   * For containers of agents that share one frame budget (`Behaviours`): from now on each slice of a sliced
   * update takes `source()` ms, read just before the slice, instead of frameBudgetMs (which still decides
   * whether updates are sliced at all: 0 runs them whole); undefined goes back to frameBudgetMs.
   * @internal
   */
  setSliceBudget(source: (() => number) | undefined): void {
    this.updateLoop.sliceBudget = source;
  }

  /**
   * Hands training up to `ms` of the game's frame now (synchronously), for games that drive the clock
   * (`requestAnimationFrame`, a fixed-step server loop): call it with the time left after the game's own work.
   * It runs the CPU update in progress, if any, and returns the ms it used (0 when there was nothing to do;
   * a little over `ms` at most by the pacer's margin). Automatic slicing goes on as well: later event-loop
   * turns still do up to frameBudgetMs each, so trainFor adds the frame's spare time and never removes the
   * per-turn bound. With frameBudgetMs 0 or another backend there is nothing to hand over and it returns 0.
   */
  trainFor(ms: number): number {
    checkNumber('ms', ms, 0);
    return this.disposed ? 0 : this.updateLoop.trainFor(ms);
  }
  /** Decisions stored so far (ticks x numAgents in lockstep; a slot that does not decide, or is driven, stores none). */
  get steps(): number { return this.counters.steps; }
  /** Updates finished so far (restored by `load`). */
  get updates(): number { return this.counters.updates; }
  /** Episodes finished so far, over all agents (restored by `load`). */
  get episodes(): number { return this.counters.episodes; }
  /** Updates queued or running. */
  get pendingUpdates(): number { return this.updateLoop.pending; }
  /** Faults survived so far: rolled-back divergences, device losses, dropped steps, listener errors. */
  get health(): Readonly<AgentHealth> { return { ...this.faults }; }
  /** Agent steps per rollout (numSteps x numAgents). */
  get rolloutSteps(): number { return this.updateLoop.rolloutSteps; }
  /** 1 per slot that holds an agent, 0 per free slot (a view: read it, do not write it). */
  get alive(): Uint8Array { return this.loop.slots.alive; }

  /**
   * Picks actions from the observations (numAgents x observation size, normalized here when configured) for
   * the alive slots that decide on this tick (see `decisionPeriod`, `options.decide`, `requestDecision`);
   * the others repeat their last action, and the rows of free slots are not read. Returns a view (numAgents
   * rows: Int32Array for categorical spaces, Float32Array for boxes; tanh_normal actions squashed into the
   * box), the same array every tick; each decision is recorded for training.
   * @example
   * <!-- test: needs agent, observations, rewards, terminated, truncated -->
   * ```ts
   * const actions = agent.act(observations);              // sync; a reused view: read it before the next act()
   * agent.observe(rewards, terminated, truncated);
   * ```
   */
  act(observations: Float32Array, options?: ActOptions): Int32Array | Float32Array {
    this.live();
    return this.loop.act(observations, options);
  }



  /**
   * Actions without recording anything (evaluation): deterministic unless asked otherwise. Every row is read;
   * `decide` is not accepted. A recurrent policy carries a memory of predict()'s own per row, apart from the
   * agent's play: `episodeStarts` says which rows start an episode (their memory is forgotten first).
   */
  predict(observations: Float32Array, options?: ActOptions): Int32Array | Float32Array {
    this.live();
    checkActOptions(options, false, this.numAgents);
    const masks = checkActInputs(observations, options, this.numAgents, this.observationSize, this.options.masks ? this.actionSpace : undefined);
    if (options?.episodeStarts !== undefined) this.inference.resetPredict(options.episodeStarts);
    this.inference.predict(this.loop.valueInput(observations), masks, options?.deterministic !== false);
    return this.inference.gameActions;
  }

  /**
   * What the game answered to the last act(): rewards, terminated and truncated (Uint8Array 0/1) per agent.
   * A truncated episode bootstraps from the value of its final observation when `finalObservations` is given
   * (from 0 otherwise). Rows of free slots are not read. A slot's rewards add to its current decision until
   * it decides again; an episode that ends here ends that decision, and the slot decides on its next tick.
   * @example
   * <!-- test: needs agent, observations, rewards, terminated, truncated, finalObservations -->
   * ```ts
   * agent.act(observations);
   * agent.observe(rewards, terminated, truncated, { finalObservations });
   * ```
   */
  observe(rewards: Float32Array, terminated: Uint8Array, truncated: Uint8Array, options?: ObserveOptions): void {
    this.live();
    this.loop.observe(rewards, terminated, truncated, options);
  }


  /**
   * Takes back the last act() when the game cannot answer it (its env failed): the step is not recorded and
   * the agent is between ticks again, usable and saveable. Every episode in progress ends there as truncated,
   * bootstrapped from the value of the observation act() saw, so whatever the game does next starts new
   * trajectories and no two stretches of play are joined into one. Does nothing between ticks.
   */
  cancelStep(): void {
    this.live();
    this.loop.cancelStep();
  }

  /**
   * Takes a free slot for a new agent and returns it: `slot` when given (a free one, for a game that places
   * agents itself, such as on a team's slots), else the lowest. It is alive from the next act() on, starts an
   * episode and decides on that tick. Call it between observe() and act(); a `StateError` when no slot is free.
   */
  spawn(slot?: number): number {
    this.live();
    return this.loop.spawn(slot);
  }

  /**
   * The agent in `slot` leaves: its episode ends (terminated, or with `truncated: true` cut short and
   * bootstrapped from the value of `finalObservation`, from 0 without one), its decisions go to the rollout
   * (a recurrent policy's wait in the slot until it has filled a whole segment), its memory is forgotten,
   * and the slot is free (its rows are no longer read) until spawn() takes it. Any time: between act() and
   * observe() the decision of that act() ends with the rewards added so far (give a last one with addReward
   * first). Does not emit a second episode end for a slot whose episode observe() just ended.
   */
  leave(slot: number, options?: LeaveOptions): void {
    this.live();
    this.loop.leave(slot, options);
  }

  /**
   * Adds `reward` to the slot's current decision (and its episode's return), any time: rewards between two
   * decisions add up into the first. With `normalizeRewards`, it is scaled like observe()'s rewards (by the
   * running std of discounted returns) and joins the slot's running return, which the next observe() discounts
   * with the rest: a game that gives every reward through addReward is scaled by the returns it produces.
   */
  addReward(slot: number, reward: number): void {
    this.live();
    this.loop.addReward(slot, reward);
  }

  /** The slot decides on the next act(), whatever its clock says. */
  requestDecision(slot: number): void {
    this.live();
    this.loop.slots.requestDecision(slot);
  }

  /**
   * Hands the slot to a heuristic (a scripted function, or a player at the keyboard), or back to the policy
   * with null. The heuristic writes the slot's action row on each of its decisions and its action replaces
   * the policy's. By default its steps are not stored (the slot's stored trajectory ends cleanly where it took
   * over); with `{ train: true }` they are, like the policy's, with the current policy's log-prob and value of
   * the heuristic's action (a categorical action must be in range and allowed by the mask: a `ValidationError`
   * from act() otherwise). The heuristic belongs to the slot: it stays when agents leave and spawn there.
   * On a slot a driver acts for (a self-play opponent), the heuristic takes over from the driver until it is
   * set back to null, so a player can take either side; such a slot's steps are never trained on
   * (`{ train: true }` is refused there).
   */
  setHeuristic(slot: number, heuristic: Heuristic | null, options?: HeuristicOptions): void {
    this.live();
    this.loop.setHeuristic(slot, heuristic, options);
  }

  /**
   * Records the decisions of heuristic-driven slots (all slots, or those listed) into `recorder`: the raw
   * observation each heuristic saw, its action, the mask, the rewards until the slot's next decision and the
   * episode ends. A decision reaches the recorder when the slot decides again or its episode ends (leave(),
   * cancelStep() and stopRecording() end a held one as truncated; a cancelled one is not recorded). Allocates
   * nothing per tick (the recorder allocates a chunk when it starts one). Replaces an earlier recording.
   * @example
   * <!-- test: needs agent, observations, rewards, terminated, truncated -->
   * ```ts
   * import { DemonstrationRecorder } from 'webppo';
   * const recorder = new DemonstrationRecorder({ observationSpace: agent.observationSpace, actionSpace: agent.actionSpace });
   * agent.setHeuristic(0, (slot, obs, actions) => { actions[slot] = obs[slot * 8] > 0 ? 1 : 0; }); // a script plays slot 0
   * agent.record(recorder, [0]);
   * agent.act(observations);
   * agent.observe(rewards, terminated, truncated);
   * agent.stopRecording();
   * console.log(recorder.steps === 1); // true
   * const bytes = recorder.save(); // safetensors, for loadDemonstration
   * ```
   */
  record(recorder: DemonstrationRecorder, slots?: readonly number[]): void {
    this.live();
    if (typeof recorder !== 'object' || recorder === null || typeof (recorder as DemonstrationRecorder).record !== 'function') fail('recorder', 'a DemonstrationRecorder', recorder);
    if (!sameSpace(recorder.observationSpace, this.observationSpace)) fail('recorder.observationSpace', "the agent's observation space", recorder.observationSpace);
    if (!sameSpace(recorder.actionSpace, this.actionSpace)) fail('recorder.actionSpace', "the agent's action space", recorder.actionSpace);
    const list = slots === undefined ? Array.from({ length: this.numAgents }, (_, e) => e) : slots;
    if (!Array.isArray(list) || list.length === 0) fail('slots', 'a non-empty array of slot indices', slots);
    list.forEach((slot, i) => checkInteger(`slots[${i}]`, slot, 0, this.numAgents - 1));
    this.stopRecording();
    this.loop.recording = new HeuristicRecording(recorder, list, this.numAgents, this.observationSize, actionSize(this.actionSpace),
      this.options.masks ? logitCount(this.actionSpace) : 0, this.actionSpace.kind !== 'box');
  }

  /** Stops recording: each slot's held decision goes to the recorder, as the end of its stretch (truncated). */
  stopRecording(): void {
    this.loop.recording?.close();
    this.loop.recording = undefined;
  }

  /**
   * Behaviour cloning of `demonstrations` (same spaces as the agent) before or between PPO updates: epochs of
   * shuffled minibatches maximizing the demonstrated actions' log-likelihood (see `pretrain`), with their own
   * Adam state (PPO's is kept). It runs in turn with the updates, never during one; with observation
   * normalization the demonstrated observations first join its statistics. The new parameters reach act()
   * when it resolves, with each epoch's stats (`accuracy` for categorical actions, `log_likelihood`). A
   * recurrent network (CPU backend; WebGPU refuses it, naming `network.memory`) replays each recorded slot in
   * time order as sequences of `memory.sequenceLength` steps, each episode from a zero state; a sequence cut
   * inside an episode starts from the state the network reaches there, replayed with the parameters at the
   * start of each epoch (the rule: `src/backend/trainer.ts`).
   * @example
   * <!-- test: needs agent, observations, rewards, terminated, truncated -->
   * ```ts
   * import { DemonstrationRecorder } from 'webppo';
   * const recorder = new DemonstrationRecorder({ observationSpace: agent.observationSpace, actionSpace: agent.actionSpace });
   * const shown = Int32Array.from({ length: 16 }, (_, i) => i % 4); // what a script did in 16 states
   * for (let t = 0; t < 32; t++) recorder.record(observations, shown, undefined, rewards, terminated, truncated);
   * const epochs = await agent.pretrain(recorder.toDemonstration(), { epochs: 30, batchSize: 128, learningRate: 0.01 });
   * console.log(epochs[29].accuracy! > epochs[0].accuracy!); // true
   * ```
   */
  pretrain(demonstrations: Demonstration | readonly Demonstration[], options: PretrainOptions): Promise<PretrainEpoch[]> {
    this.live();
    const updates = this.updateLoop;
    const run = updates.chain.then(() => {
      this.live();
      return pretrain(this.imitationHost(), demonstrations, options);
    });
    updates.chain = run.then(() => undefined, () => undefined);
    return run;
  }

  /** The agent as behaviour cloning sees it: its trainer (the current one), spaces, normalization and parameter hook. */
  private imitationHost(): ImitationHost {
    return imitationHost({
      trainer: () => this.trainer, observationSpace: this.observationSpace, actionSpace: this.actionSpace,
      memory: this.options.network.memory, observationSize: this.observationSize, normalizer: this.loop.obsNorm,
      parametersChanged: (parameters, optimizer) => this.updateLoop.parametersChanged(parameters, optimizer),
    });
  }

  /**
   * Lets `driver` act for these slots (for example a frozen opponent policy): on each act() it writes the
   * rows of those that decide; their steps are never stored. Returns the function that hands them back to
   * the policy. A slot has at most one driver, and gets none while a heuristic holds it (a heuristic set on a
   * driven slot takes over from its driver instead).
   */
  addDriver(slots: readonly number[], driver: Driver): () => void {
    this.live();
    return this.loop.slots.addDriver(slots, driver);
  }

  /** Self-play's ratings, learning team and opponents (plain data, a new object per read); undefined without `AgentOptions.selfPlay`. */
  get selfPlay(): SelfPlaySummary | undefined {
    return this.selfPlayRun?.state.summary();
  }

  /**
   * Reports a finished self-play game: `result` is from `team`'s side ('win', 'draw' or 'loss'). The learner's
   * ELO rating and its opponent's move by `eloK * (score - expected)`; against the current policy itself
   * ('latest') nothing moves. Returns the learner's rating change. Needs `AgentOptions.selfPlay`.
   * @example
   * ```ts
   * import { Agent, Box, Discrete } from 'webppo';
   * const agent = await Agent.create({ observationSpace: Box(6), actionSpace: Discrete(3), numAgents: 2, backend: 'cpu', selfPlay: {} });
   * agent.reportResult(0, 'win');                     // slot 0 plays for team 0, which won
   * console.log(agent.selfPlay!.elo > 1200); // true
   * agent.dispose();
   * ```
   */
  reportResult(team: number, result: GameResult): number {
    this.live();
    if (this.selfPlayRun === undefined) failState('reportResult', 'an agent created with options.selfPlay', 'an agent without self-play');
    return this.selfPlayRun.reportResult(team, result);
  }

  /** Self-play over this agent's slots, from a checkpoint's tensors when given. */
  private startSelfPlay(options: NonNullable<ResolvedAgentOptions['selfPlay']>, extra: ReadonlyMap<string, Tensor> | undefined): AgentSelfPlay {
    const host = {
      numAgents: this.numAgents, seed: this.options.seed, policy: this.policy, normalizer: this.loop.obsNorm,
      addDriver: (slots: readonly number[], driver: Driver) => this.addDriver(slots, driver),
      hasHeuristic: (slot: number) => this.loop.slots.heuristics[slot] !== null,
      betweenTicks: () => this.loop.phase === 'act',
    };
    return extra === undefined ? AgentSelfPlay.create(host, options, this.updateLoop.mirror.parameters) : AgentSelfPlay.restore(host, options, this.layout.size, extra);
  }


  /**
   * Whether the staged decisions would fill a rollout once the slots with full staging decide again: the
   * headless loop then calls finishRollout() with the next observations.
   */
  get rolloutReady(): boolean {
    return this.loop.rolloutReady;
  }

  /**
   * Ends the stretches of the slots whose staging is full at the values of these next observations and sends
   * them to the rollout, which starts its update now when they fill it (the headless path calls this, then
   * awaits whenIdle(), so the next act() already uses the new policy). The new parameters of an update started
   * here reach act() only when it is awaited (whenIdle(), save(), getParameters()) or the next rollout starts
   * its update, never at whatever tick it happens to finish: a loop that collects the next rollout while this
   * one trains (train() with a worker) is reproducible however fast the worker is.
   */
  finishRollout(nextObservations: Float32Array): void {
    this.live();
    this.loop.finishRollout(nextObservations);
  }

  /** Resolves when no update is queued or running; rejects with the error of a failed update. */
  whenIdle(): Promise<void> {
    return this.updateLoop.whenIdle();
  }

  /** Awaits every pending update (alias of whenIdle(), for symmetry with save()). */
  flush(): Promise<void> {
    return this.whenIdle();
  }

  /**
   * Sets the schedules and their horizon (agent steps); train() calls this with its totalSteps.
   * `schedules` undefined keeps the current ones (from Agent.create, Agent.load or an earlier call).
   */
  setSchedules(schedules: Schedules | undefined, totalSteps: number | null): void {
    this.updateLoop.setSchedules(schedules, totalSteps);
  }

  /** The horizon (agent steps) schedules and the learning-rate anneal run over; null when they stay constant. */
  get scheduleHorizon(): number | null {
    return this.updateLoop.horizon;
  }


  /** The hyperparameters the next update would use, given the steps done when its rollout completed. */
  hyperparametersAt(steps: number): Hyperparameters {
    return this.updateLoop.hyperparametersAt(steps);
  }

  /**
   * Subscribes to `'update'` ({@link UpdateEvent}), `'episode'` ({@link EpisodeEvent}), `'error'` (an update
   * failed; the error is also thrown by the next `whenIdle()`), `'selfPlay'` ({@link SelfPlayEvent}) or the
   * other {@link AgentEvents}. Returns a function that unsubscribes.
   * @example
   * <!-- test: needs agent -->
   * ```ts
   * const off = agent.on('update', (e) => console.log(e.updates, e.stats.approx_kl));
   * off();
   * ```
   */
  on<K extends keyof AgentEvents>(event: K, listener: (event: AgentEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /**
   * The agent as safetensors bytes, everything a resume needs: parameters, optimizer, normalization, generator
   * states, counters, episode tallies and the unfinished rollout. Waits for the updates queued when it is
   * called (at most maxPendingUpdates), never for those the game starts meanwhile, so it resolves while the
   * game runs; a rollout that fills up during that wait is not in the file. Writes the last good state, never
   * a diverged one. Call it between observe() and the next act().
   */
  async save(): Promise<Uint8Array> {
    this.live();
    this.checkBetweenTicks();
    const updates = this.updateLoop, loop = this.loop;
    await updates.afterQueuedUpdates();
    updates.throwFailure();
    this.live();
    this.checkBetweenTicks();
    const { parameters, optimizer } = updates.mirror;
    return encodeCheckpoint({
      config: optionsToJson({ ...this.options, schedules: updates.schedules, totalSteps: updates.horizon }),
      parameters,
      optimizer,
      observationStats: loop.obsNorm?.stats.state(),
      rewardStats: loop.rewardScaler ? { ...loop.rewardScaler.stats.state(), returns: loop.rewardScaler.returns.slice() } : undefined,
      extra: this.selfPlayRun ? new Map([...loop.save(), ...this.selfPlayRun.save()]) : loop.save(),
      rng: { inference: this.inference.getRngState(), plan: rngToString(updates.planRng), noise: rngToString(updates.noiseRng) },
      counters: { ...this.counters, awaitingBootstrap: loop.awaitingBootstrap ? 1 : 0, rolloutLagged: loop.stagingLagged() ? 1 : 0 },
    }, this.layout);
  }

  /**
   * The policy as ONNX bytes (after pending updates): observation normalization, the actor's logits or means,
   * the deterministic action predict() returns, and the critic's value, with a dynamic batch dimension.
   * Inputs and outputs are listed at `policyToOnnx` (src/interop/onnx/export.ts).
   */
  async exportOnnx(): Promise<Uint8Array> {
    this.live();
    await this.updateLoop.afterQueuedUpdates();
    return policyToOnnx({
      policy: this.policy, layout: this.layout, parameters: this.updateLoop.mirror.parameters.slice(),
      masks: this.options.masks, observationStats: this.loop.obsNorm?.stats.state(),
    });
  }

  /** The parameters (flat, in the network layout) after the updates queued when called: those act() uses then. */
  async getParameters(): Promise<Float32Array> {
    this.live();
    await this.updateLoop.afterQueuedUpdates();
    return this.updateLoop.mirror.parameters.slice();
  }


  /**
   * Frees the wasm memory, the trainer (and its GPU buffers or worker). Once pending updates settle if
   * there are any; the agent cannot be used afterwards.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.updateLoop.dispose(() => this.loop.filling);
  }

  // ---- internals ----

  private live(): void {
    if (this.disposed) failState('Agent', 'a live agent', 'used after dispose()');
  }













  private checkBetweenTicks(): void {
    if (this.loop.phase === 'observe') failState('save', 'a call between observe() and the next act()', 'a call between act() and observe()');
  }





  private restoreRng(rng: Record<string, string>): void {
    for (const key of ['inference', 'plan', 'noise']) {
      if (typeof rng?.[key] !== 'string') throw new CheckpointError(`checkpoint: rng.${key} is missing`);
    }
    this.inference.setRngState(rng.inference);
    rngFromString(this.updateLoop.planRng, rng.plan);
    rngFromString(this.updateLoop.noiseRng, rng.noise);
  }
}

