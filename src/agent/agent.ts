// Agent: a self-training PPO agent for a game loop. act() and observe() are synchronous and allocate
// nothing; when the rollout buffer is full its update runs asynchronously while the game keeps collecting
// into a second buffer with the previous policy (a batch collected under a policy older than the one being
// trained is trained with segment minibatches, whose advantages the trainer recomputes with V-trace ratios).
// New parameters are swapped into inference when the update resolves; an update that finishRollout() started
// (the headless path) swaps in only when awaited, so a loop that collects while it trains (train() with a
// worker) changes policy at the rollout boundary, never at a tick that depends on when the worker answered.
import { checkBoolean, checkInteger, checkKeys, checkNumber, checkOneOf, fail, failState, type SizeError, UnknownOptionError } from '../errors.js';
import { init } from '../init.js';
import { checkAgentFootprint } from './footprint.js';
import { type AgentOptions, type BackendChoice, optionsFromJson, optionsToJson, resolveAgentOptions, type ResolvedAgentOptions } from './options.js';
import { createInference, type Inference } from './inference.js';
import { type ActOptions, checkActInputs, checkActOptions, type LeaveOptions, checkFinite, checkFlags, type ObserveOptions, OBSERVE_OPTIONS } from './inputs.js';
import { bufferToStaging, lockstepStaging, restoreRollout, restoreSlots, rngFromString, rngToString, saveRollout, saveSlots, stagingToBuffer, takeTensor } from './running-state.js';
import { DecisionRows } from './decisions.js';
import { type Driver, type Heuristic, Slots } from './slots.js';
import { RolloutStream } from './stream.js';
import { Trajectories } from './trajectories.js';
import { AgentEmitter, type AgentEvents, type AgentHealth } from './events.js';
import { AgentSelfPlay, type SelfPlayEvent } from './self-play.js';
import type { GameResult } from '../selfplay/elo.js';
import type { SelfPlaySummary } from '../selfplay/self-play.js';
import { createLog, type Logger, type LogOptions } from '../log.js';
import { createAgentTrainer, type TrainInWorker } from '../worker/index.js';
import type { BackendReport } from '../backend/index.js';
import { type Batch, type Hyperparameters, type MinibatchPlan, type Trainer, type UpdateJob, type UpdateStats } from '../backend/trainer.js';
import { WebGPUTrainer } from '../backend/webgpu/trainer.js';
import { diagnose, findNonFinite, type TrainerState } from './divergence.js';
import { isDeviceLost, rebuildTrainer } from './recovery.js';
import { nextTurn } from '../next-turn.js';
import { ObservationNormalizer, RewardScaler } from '../normalize.js';
import { CHECKPOINT_VERSION, checkCanonical, decodeCheckpoint, encodeCheckpoint, readCheckpointConfig, sameSpace, spaceToJson } from '../policy/checkpoint.js';
import { CheckpointError, type Tensor, type TensorData } from '../policy/safetensors.js';
import { networkLayout, type NetworkLayout, type PolicySpec } from '../policy/network.js';
import { PCG32 } from '../rng.js';
import { policyToOnnx } from '../interop/onnx/export.js';
import { type Schedules, scheduleValue } from '../schedule.js';
import { actionSize, flatSize, logitCount, type ActionSpace, type Space, validateSpace } from '../spaces.js';
import { createMinibatchPlan } from '../storage/plan.js';
import { RolloutBuffer } from '../storage/rollout-buffer.js';
import { BehavioralCloning } from '../imitation/behavioral-cloning.js';
import type { Demonstration, DemonstrationRecorder } from '../imitation/demonstration.js';
import type { ImitationHost } from '../imitation/host.js';
import { pretrain, type PretrainEpoch, type PretrainOptions } from '../imitation/pretrain.js';
import { imitationHost } from './imitation.js';
import { HeuristicRecording } from './recording.js';
import { type HeuristicOptions, scoreHeuristicRows } from './heuristic-training.js';

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
const PLAN_STREAM = 0x5eed;
const NOISE_STREAM = 0x401e;

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
  private readonly pool: RolloutBuffer[] = [];
  /** Oldest policy version among each full buffer's steps (lagged when older than the one it trains). */
  private readonly versions = new Map<RolloutBuffer, number>();
  /** Which slots hold agents and which decide on a tick. */
  private readonly slots: Slots;
  /** Each slot's decisions until they go into the rollout. */
  private readonly staging: Trajectories;
  /** Fills rollout buffers with staged stretches, column by column. */
  private readonly stream: RolloutStream;
  /** The deciding rows of a tick, packed for inference. */
  private readonly rows: DecisionRows;
  /** The actions act() returns: every slot's last action (a slot that does not decide repeats its own). */
  private readonly held: Int32Array | Float32Array;
  /** Slots whose open step must end now (a heuristic or driver took over): they only need a value. */
  private readonly cutting: Uint8Array;
  /** Stored decisions of the last act() (counted as steps by observe()). */
  private decided = 0;
  /** Whether a buffer filled by the stream starts its update sliced (game loop) or whole (finishRollout). */
  private inGameLoop = true;
  /** The observations of the last act() (cancelStep bootstraps from them). */
  private lastObservations: Float32Array | undefined;
  private readonly oneRow: Float32Array;
  private readonly deadFree: { rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array };
  private version = 0;
  /** Slots whose heuristic's steps are stored (setHeuristic's train). */
  private trainedHeuristics = 0;
  private phase: 'act' | 'observe' = 'act';
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  /** The updates queued or running, oldest (the one in flight) first. */
  private readonly queued: Promise<void>[] = [];
  /** Finished headless updates waiting to swap their parameters in (see swapWhenAwaited). */
  private readonly swapWaits: (() => void)[] = [];
  /** Headless updates launched and not yet let through to their swap. */
  private readonly swapHeld = new Set<{ released: boolean }>();
  /** Parameters and Adam state after the last good update: what save() writes and a lost device resumes from. */
  private mirror: TrainerState;
  private readonly faults: AgentHealth = { divergences: 0, deviceLosses: 0, droppedSteps: 0, listenerErrors: 0 };
  /** The CPU update being run in slices (frame budget), for trainFor(). */
  private job: UpdateJob | undefined;
  private budgetMs: number;
  private failure: Error | undefined;
  private disposed = false;
  private schedules: Schedules;
  private horizon: number | null;
  private readonly events: AgentEmitter;

  private readonly obsNorm: ObservationNormalizer | undefined;
  private readonly rewardScaler: RewardScaler | undefined;
  private readonly normalized: Float32Array;
  private readonly normalizedFinal: Float32Array;
  private readonly scaledRewards: Float32Array;
  private readonly bootstrapValues: Float32Array;
  private readonly episodeReturns: Float64Array;
  private readonly episodeLengths: Int32Array;
  private readonly planRng: PCG32;
  private readonly noiseRng: PCG32;
  private staged: Batch | undefined;
  /** Cloning after each update (AgentOptions.behavioralCloning). */
  private cloning: BehavioralCloning | undefined;
  /** Where heuristic decisions are recorded (record()). */
  private recording: HeuristicRecording | undefined;

  private counters = { steps: 0, updates: 0, episodes: 0 };
  /** Self-play (AgentOptions.selfPlay): the opponent teams' drivers, pool and ratings. */
  private selfPlayRun: AgentSelfPlay | undefined;

  private constructor(options: ResolvedAgentOptions, private trainer: Trainer, private readonly inference: Inference, state: TrainerState) {
    this.options = Object.freeze(options);
    this.mirror = state;
    this.log = createLog(options);
    this.events = new AgentEmitter(this.log, () => { this.faults.listenerErrors++; });
    this.observationSpace = options.observationSpace;
    this.actionSpace = options.actionSpace;
    this.numAgents = options.numAgents;
    this.observationSize = flatSize(options.observationSpace);
    this.policy = { observationSize: this.observationSize, actionSpace: options.actionSpace, network: options.network };
    this.layout = networkLayout(this.policy);
    this.schedules = options.schedules;
    this.horizon = options.totalSteps;
    this.budgetMs = options.frameBudgetMs;
    const n = this.numAgents;
    this.pool.push(this.newBuffer(), this.newBuffer());
    if (options.ppo.normalizeObservations) this.obsNorm = new ObservationNormalizer(this.observationSize);
    if (options.ppo.normalizeRewards) this.rewardScaler = new RewardScaler(n, options.ppo.gamma);
    this.normalized = new Float32Array(n * this.observationSize);
    this.normalizedFinal = new Float32Array(n * this.observationSize);
    this.scaledRewards = new Float32Array(n);
    this.bootstrapValues = new Float32Array(n);
    this.episodeReturns = new Float64Array(n);
    this.episodeLengths = new Int32Array(n);
    const maskSize = options.masks ? logitCount(options.actionSpace) : 0;
    this.slots = new Slots(n, options.decisionPeriod);
    this.staging = new Trajectories({
      slots: n, capacity: options.ppo.numSteps, observationSize: this.observationSize, actionSize: actionSize(options.actionSpace),
      maskSize, categorical: options.actionSpace.kind !== 'box',
    });
    this.stream = new RolloutStream(options.ppo.numSteps, n, {
      take: () => this.pool.pop() ?? this.newBuffer(),
      full: (buffer, lastValues, version) => {
        this.versions.set(buffer, version);
        this.launch(buffer, lastValues, this.inGameLoop);
      },
    });
    this.rows = new DecisionRows(n, this.observationSize, maskSize);
    this.held = inference.gameActions.slice();
    this.cutting = new Uint8Array(n);
    this.oneRow = new Float32Array(this.observationSize);
    this.deadFree = { rewards: new Float32Array(n), terminated: new Uint8Array(n), truncated: new Uint8Array(n) };
    this.planRng = new PCG32(options.seed, PLAN_STREAM);
    this.noiseRng = new PCG32(options.seed, NOISE_STREAM);
  }

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
      if (options.selfPlay) agent.selfPlayRun = agent.startSelfPlay(options.selfPlay, extra);
      const ppo = options.ppo;
      if (options.behavioralCloning) {
        agent.cloning = new BehavioralCloning(agent.imitationHost(), options.behavioralCloning, {
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
      },
      selfPlay: resolved.selfPlay !== undefined,
    });
    try {
      checkAgentFootprint(resolved);
    } catch (error) {
      throw new CheckpointError(`checkpoint: config: ${(error as Error).message}`, (error as SizeError).field);
    }
    const agent = await Agent.build(resolved, contents.parameters, contents.extra ?? new Map());
    try {
      agent.trainer.setOptimizerState(contents.optimizer);
      const { m, v, step } = contents.optimizer;
      agent.mirror = { parameters: agent.mirror.parameters, optimizer: { m: m.slice(), v: v.slice(), step } };
      if (contents.observationStats) agent.obsNorm!.stats.setState(contents.observationStats);
      if (contents.rewardStats) {
        agent.rewardScaler!.stats.setState(contents.rewardStats);
        agent.rewardScaler!.returns.set(contents.rewardStats.returns);
      }
      agent.restoreRng(contents.rng);
      agent.restoreRunning(contents.extra ?? new Map(), contents.counters);
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
  get frameBudgetMs(): number { return this.budgetMs; }
  /** Sets the budget: a finite number of ms >= 0 (a `ValidationError` otherwise). */
  set frameBudgetMs(ms: number) { this.budgetMs = checkNumber('frameBudgetMs', ms, 0); }

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
    const job = this.job;
    if (job === undefined || job.done || this.disposed || ms === 0) return 0;
    const started = performance.now();
    try {
      job.run(ms);
    } catch {
      // The update's own loop reports it (an 'error' event); the game's frame goes on.
    }
    return performance.now() - started;
  }
  /** Decisions stored so far (ticks x numAgents in lockstep; a slot that does not decide, or is driven, stores none). */
  get steps(): number { return this.counters.steps; }
  /** Updates finished so far (restored by `load`). */
  get updates(): number { return this.counters.updates; }
  /** Episodes finished so far, over all agents (restored by `load`). */
  get episodes(): number { return this.counters.episodes; }
  /** Updates queued or running. */
  get pendingUpdates(): number { return this.pending; }
  /** Faults survived so far: rolled-back divergences, device losses, dropped steps, listener errors. */
  get health(): Readonly<AgentHealth> { return { ...this.faults }; }
  /** Agent steps per rollout (numSteps x numAgents). */
  get rolloutSteps(): number { return this.options.ppo.numSteps * this.numAgents; }
  /** 1 per slot that holds an agent, 0 per free slot (a view: read it, do not write it). */
  get alive(): Uint8Array { return this.slots.alive; }

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
    if (this.phase !== 'act') failState('act', 'observe() for the previous act() first', 'a second act()');
    checkActOptions(options, true);
    const slots = this.slots, n = this.numAgents;
    const decide = options?.decide === undefined ? undefined : slots.checkDecide(options.decide);
    const deciding = slots.plan(decide);
    const masks = checkActInputs(observations, options, n, this.observationSize, this.options.masks ? this.actionSpace : undefined, deciding === n ? undefined : slots.deciding);
    // Validated: from here on, state changes.
    slots.advance();
    this.lastObservations = observations;
    const rows = this.rows;
    rows.clear();
    for (let e = 0; e < n; e++) {
      if (slots.deciding[e] === 0) continue;
      const policy = slots.stores(e);
      // A slot handed to a heuristic or driver still needs its current value, to end its stored stretch exactly;
      // a stretch that already ended (its episode did) goes to the rollout as it is.
      this.cutting[e] = !policy && this.staging.open[e] === 1 ? 1 : 0;
      if (!policy && this.cutting[e] === 0 && this.staging.count[e] > 0) {
        this.inGameLoop = true;
        this.staging.flush(e, this.stream, true);
      }
      if (policy || this.cutting[e] === 1) rows.add(e);
    }
    this.decided = 0;
    if (rows.count > 0) this.decideRows(observations, masks, options?.deterministic === true);
    this.selfPlayRun?.beginTick(masks);
    if (deciding > this.decided) this.actForOthers(observations, masks);
    this.phase = 'observe';
    return this.held;
  }

  /** Runs the policy on the packed deciding rows and stages each decision (all rows at once in lockstep). */
  private decideRows(observations: Float32Array, masks: Uint8Array | undefined, deterministic: boolean): void {
    const rows = this.rows, inference = this.inference, staging = this.staging, held = this.held;
    let input: Float32Array, rowMasks: Uint8Array | undefined = masks;
    if (rows.count === this.numAgents) {
      input = this.normalizeObservations(observations, this.normalized, true);
    } else {
      const packed = rows.gather(observations, masks);
      input = this.obsNorm ? (this.obsNorm.normalize(packed.observations, packed.normalized, rows.count, true), packed.normalized) : packed.observations;
      if (masks !== undefined) rowMasks = packed.masks;
    }
    inference.act(input, rowMasks, deterministic);
    if (this.trainedHeuristics > 0) scoreHeuristicRows(this.slots, rows, inference, this.held, observations, input, masks, rowMasks, this.actionSpace, this.options.network.distribution, this.recording);
    const capacity = this.options.ppo.numSteps, act = actionSize(this.actionSpace);
    const game = inference.gameActions;
    this.inGameLoop = true;
    for (let j = 0; j < rows.count; j++) {
      const e = rows.slots[j], value = inference.values[j];
      staging.close(e, value);
      if (this.cutting[e] === 1) {
        this.cutting[e] = 0;
        staging.flush(e, this.stream, true);
        continue;
      }
      if (staging.count[e] === capacity) staging.flush(e, this.stream);
      staging.push(e, input, inference.actions, rowMasks, j, inference.logProbs[j], value, this.version);
      for (let k = 0; k < act; k++) held[e * act + k] = game[j * act + k];
      this.decided++;
    }
  }

  /** Heuristics and drivers write their slots' rows of the returned actions; nothing of theirs is stored. */
  private actForOthers(observations: Float32Array, masks: Uint8Array | undefined): void {
    const slots = this.slots;
    for (let e = 0; e < this.numAgents; e++) {
      const heuristic = slots.heuristics[e];
      if (heuristic === null || slots.deciding[e] === 0 || slots.trained[e] === 1) continue;
      heuristic(e, observations, this.held);
      if (this.recording?.recorded[e] === 1) this.recording.decide(e, observations, this.held, masks);
    }
    for (const { slots: driven, driver } of slots.drivers) driver.act(driven, slots.deciding, observations, this.held);
  }

  /** Actions without recording anything (evaluation): deterministic unless asked otherwise. Every row is read; `decide` is not accepted. */
  predict(observations: Float32Array, options?: ActOptions): Int32Array | Float32Array {
    this.live();
    checkActOptions(options, false);
    const masks = this.checkActInputs(observations, options);
    const input = this.normalizeObservations(observations, this.normalizedFinal, false);
    this.inference.act(input, masks, options?.deterministic !== false);
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
    if (this.phase !== 'observe') failState('observe', 'act() first', 'observe() without act()');
    const n = this.numAgents, alive = this.slots.alive;
    const all = alive.indexOf(0) < 0 ? undefined : alive;
    checkFinite('rewards', rewards, n, 1, all);
    checkFlags('terminated', terminated, n, all);
    checkFlags('truncated', truncated, n, all);
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('options', 'an object', options);
      for (const key in options) if (key !== 'finalObservations') throw new UnknownOptionError(`options.${key}`, OBSERVE_OPTIONS, 'option');
    }
    const finals = options?.finalObservations;
    let anyTruncated = false;
    for (let e = 0; e < n; e++) if (truncated[e] && !terminated[e] && alive[e]) anyTruncated = true;
    if (finals !== undefined) {
      if (!(finals instanceof Float32Array) || finals.length !== n * this.observationSize) fail('finalObservations', `a Float32Array of length ${n * this.observationSize}`, finals);
      for (let e = 0; e < n; e++) {
        if (!truncated[e] || terminated[e] || !alive[e]) continue;
        for (let k = 0; k < this.observationSize; k++) {
          const v = finals[e * this.observationSize + k];
          if (!Number.isFinite(v)) fail(`finalObservations[agent ${e}, ${k}]`, 'a finite number', v);
        }
      }
    }
    // Validated: from here on, state changes.
    if (all !== undefined) {
      // Free slots' rows are not read: they count as 0 (the reward scaler sees every row).
      const clean = this.deadFree;
      for (let e = 0; e < n; e++) {
        const live = alive[e] === 1;
        clean.rewards[e] = live ? rewards[e] : 0;
        clean.terminated[e] = live ? terminated[e] : 0;
        clean.truncated[e] = live ? truncated[e] : 0;
      }
      rewards = clean.rewards;
      terminated = clean.terminated;
      truncated = clean.truncated;
    }
    this.bootstrapValues.fill(0);
    if (anyTruncated && finals) {
      const values = this.inference.criticValues(this.normalizeObservations(finals, this.normalizedFinal, false));
      for (let e = 0; e < n; e++) if (truncated[e] && !terminated[e]) this.bootstrapValues[e] = values[e];
    }
    if (this.rewardScaler) this.rewardScaler.scale(rewards, terminated, truncated, this.scaledRewards);
    else this.scaledRewards.set(rewards);
    this.phase = 'act';
    this.counters.steps += this.decided;
    this.decided = 0;
    const staging = this.staging;
    for (let e = 0; e < n; e++) {
      if (alive[e] === 0) continue;
      staging.addReward(e, this.scaledRewards[e]);
      this.episodeReturns[e] += rewards[e];
      this.episodeLengths[e]++;
      this.recording?.reward(e, rewards[e]);
      if (terminated[e] || truncated[e]) {
        this.recording?.end(e, terminated[e] === 1, truncated[e] === 1);
        staging.end(e, terminated[e] === 1, truncated[e] === 1, this.bootstrapValues[e]);
        this.slots.restart(e);
        this.endEpisode(e, terminated[e] === 1);
      }
    }
    this.selfPlayRun?.settle();
  }

  /** Counts the slot's finished episode, tells the listeners, and starts its tallies over. */
  private endEpisode(slot: number, terminated: boolean): void {
    this.counters.episodes++;
    if (this.events.has('episode')) {
      this.events.emit('episode', { agent: slot, return: this.episodeReturns[slot], length: this.episodeLengths[slot], terminated, steps: this.counters.steps });
    }
    this.episodeReturns[slot] = 0;
    this.episodeLengths[slot] = 0;
  }

  /**
   * Takes back the last act() when the game cannot answer it (its env failed): the step is not recorded and
   * the agent is between ticks again, usable and saveable. Every episode in progress ends there as truncated,
   * bootstrapped from the value of the observation act() saw, so whatever the game does next starts new
   * trajectories and no two stretches of play are joined into one. Does nothing between ticks.
   */
  cancelStep(): void {
    this.live();
    if (this.phase !== 'observe') return;
    const n = this.numAgents, slots = this.slots, staging = this.staging;
    let waiting = false;
    for (let e = 0; e < n; e++) {
      if (slots.deciding[e] === 1 && slots.heuristics[e] !== null) this.recording?.drop(e);
      this.recording?.end(e, false, true);
      if (slots.deciding[e] === 1 && slots.stores(e)) {
        staging.drop(e);
        staging.cut(e);
      } else if (staging.open[e] === 1) {
        waiting = true;
      }
    }
    if (waiting && this.lastObservations) {
      // Slots that did not decide end their open step at the value of what act() saw.
      const values = this.inference.criticValues(this.normalizeObservations(this.lastObservations, this.normalizedFinal, false));
      for (let e = 0; e < n; e++) if (staging.open[e] === 1) staging.end(e, false, true, values[e]);
    }
    for (let e = 0; e < n; e++) {
      if (slots.alive[e] === 1) slots.restart(e);
      staging.continues[e] = 0;
    }
    this.decided = 0;
    this.episodeReturns.fill(0);
    this.episodeLengths.fill(0);
    this.rewardScaler?.returns.fill(0);
    this.phase = 'act';
  }

  /**
   * Takes a free slot for a new agent and returns it: `slot` when given (a free one, for a game that places
   * agents itself, such as on a team's slots), else the lowest. It is alive from the next act() on, starts an
   * episode and decides on that tick. Call it between observe() and act(); a `StateError` when no slot is free.
   */
  spawn(slot?: number): number {
    this.live();
    if (this.phase !== 'act') failState('spawn', 'a call between observe() and the next act()', 'a call between act() and observe()');
    if (slot !== undefined) {
      checkInteger('slot', slot, 0, this.numAgents - 1);
      if (this.slots.alive[slot] === 1) fail('slot', 'a free slot', `slot ${slot}, which is alive`);
    }
    slot = this.slots.spawn(slot);
    this.episodeReturns[slot] = 0;
    this.episodeLengths[slot] = 0;
    if (this.rewardScaler) this.rewardScaler.returns[slot] = 0;
    return slot;
  }

  /**
   * The agent in `slot` leaves: its episode ends (terminated, or with `truncated: true` cut short and
   * bootstrapped from the value of `finalObservation`, from 0 without one), its decisions go to the rollout,
   * and the slot is free (its rows are no longer read) until spawn() takes it. Any time: between act() and
   * observe() the decision of that act() ends with the rewards added so far (give a last one with addReward
   * first). Does not emit a second episode end for a slot whose episode observe() just ended.
   */
  leave(slot: number, options?: LeaveOptions): void {
    this.live();
    this.slots.checkAlive('slot', slot);
    if (options !== undefined) checkKeys('options', options, ['truncated', 'finalObservation'], 'option');
    const truncated = options?.truncated === undefined ? false : checkBoolean('options.truncated', options.truncated);
    const final = options?.finalObservation;
    if (final !== undefined) checkFinite('options.finalObservation', final, 1, this.observationSize);
    // Validated: from here on, state changes.
    let bootstrap = 0;
    if (truncated && final !== undefined) bootstrap = this.criticValue(final);
    const staging = this.staging;
    const inEpisode = staging.open[slot] === 1 || this.episodeLengths[slot] > 0;
    staging.end(slot, !truncated, truncated, bootstrap);
    staging.cut(slot);
    this.recording?.end(slot, !truncated, truncated);
    this.inGameLoop = true;
    staging.flush(slot, this.stream, true);
    this.slots.alive[slot] = 0;
    if (this.rewardScaler) this.rewardScaler.returns[slot] = 0;
    if (inEpisode) this.endEpisode(slot, !truncated);
    this.episodeReturns[slot] = 0;
    this.episodeLengths[slot] = 0;
  }

  /**
   * Adds `reward` to the slot's current decision (and its episode's return), any time: rewards between two
   * decisions add up into the first. With `normalizeRewards`, it is scaled like observe()'s rewards.
   */
  addReward(slot: number, reward: number): void {
    this.live();
    this.slots.checkAlive('slot', slot);
    checkNumber('reward', reward);
    const scaled = this.rewardScaler ? scaleReward(reward, this.rewardScaler.stats.var[0]) : reward;
    this.staging.addReward(slot, scaled);
    this.episodeReturns[slot] += reward;
    this.recording?.reward(slot, reward);
  }

  /** The slot decides on the next act(), whatever its clock says. */
  requestDecision(slot: number): void {
    this.live();
    this.slots.checkAlive('slot', slot);
    this.slots.requested[slot] = 1;
  }

  /**
   * Hands the slot to a heuristic (a scripted function, or a player at the keyboard), or back to the policy
   * with null. The heuristic writes the slot's action row on each of its decisions and its action replaces
   * the policy's. By default its steps are not stored (the slot's stored trajectory ends cleanly where it took
   * over); with `{ train: true }` they are, like the policy's, with the current policy's log-prob and value of
   * the heuristic's action (a categorical action must be in range and allowed by the mask: a `ValidationError`
   * from act() otherwise). The heuristic belongs to the slot: it stays when agents leave and spawn there.
   */
  setHeuristic(slot: number, heuristic: Heuristic | null, options?: HeuristicOptions): void {
    this.live();
    checkInteger('slot', slot, 0, this.numAgents - 1);
    if (heuristic !== null && typeof heuristic !== 'function') fail('heuristic', 'a function (slot, observations, actions) => void, or null', heuristic);
    if (options !== undefined) checkKeys('options', options, ['train'], 'option');
    const train = options?.train === undefined ? false : checkBoolean('options.train', options.train);
    if (this.slots.driven[slot] === 1) fail('slot', 'a slot no driver acts for', `slot ${slot}, driven`);
    if (heuristic === null) this.recording?.end(slot, false, true);
    this.trainedHeuristics += (heuristic !== null && train ? 1 : 0) - (this.slots.heuristics[slot] !== null && this.slots.trained[slot] === 1 ? 1 : 0);
    this.slots.heuristics[slot] = heuristic;
    this.slots.trained[slot] = heuristic !== null && train ? 1 : 0;
    this.slots.requested[slot] = 1;
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
    this.recording = new HeuristicRecording(recorder, list, this.numAgents, this.observationSize, actionSize(this.actionSpace),
      this.options.masks ? logitCount(this.actionSpace) : 0, this.actionSpace.kind !== 'box');
  }

  /** Stops recording: each slot's held decision goes to the recorder, as the end of its stretch (truncated). */
  stopRecording(): void {
    this.recording?.close();
    this.recording = undefined;
  }

  /**
   * Behaviour cloning of `demonstrations` (same spaces as the agent) before or between PPO updates: epochs of
   * shuffled minibatches maximizing the demonstrated actions' log-likelihood (see `pretrain`), with their own
   * Adam state (PPO's is kept). It runs in turn with the updates, never during one; with observation
   * normalization the demonstrated observations first join its statistics. The new parameters reach act()
   * when it resolves, with each epoch's stats (`accuracy` for categorical actions, `log_likelihood`).
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
    const run = this.chain.then(() => {
      this.live();
      return pretrain(this.imitationHost(), demonstrations, options);
    });
    this.chain = run.then(() => undefined, () => undefined);
    return run;
  }

  /** The agent as behaviour cloning sees it: its trainer (the current one), spaces, normalization and parameter hook. */
  private imitationHost(): ImitationHost {
    return imitationHost({
      trainer: () => this.trainer, observationSpace: this.observationSpace, actionSpace: this.actionSpace,
      observationSize: this.observationSize, normalizer: this.obsNorm,
      parametersChanged: (parameters, optimizer) => {
        this.mirror = { parameters: parameters.slice(), optimizer: { m: optimizer.m.slice(), v: optimizer.v.slice(), step: optimizer.step } };
        this.inference.setParameters(parameters);
        this.version++; // decisions taken before count as lagged
      },
    });
  }

  /**
   * Lets `driver` act for these slots (for example a frozen opponent policy): on each act() it writes the
   * rows of those that decide; their steps are never stored. Returns the function that hands them back to
   * the policy. A slot has at most one driver and no heuristic while driven.
   */
  addDriver(slots: readonly number[], driver: Driver): () => void {
    this.live();
    if (!Array.isArray(slots) || slots.length === 0) fail('slots', 'a non-empty array of slot indices', slots);
    if (typeof driver !== 'object' || driver === null || typeof driver.act !== 'function') fail('driver', 'an object with an act(slots, deciding, observations, actions) method', driver);
    const seen = new Set<number>();
    slots.forEach((slot, i) => {
      checkInteger(`slots[${i}]`, slot, 0, this.numAgents - 1);
      if (seen.has(slot) || this.slots.driven[slot] === 1 || this.slots.heuristics[slot] !== null) fail(`slots[${i}]`, 'a slot without a driver or heuristic, listed once', slot);
      seen.add(slot);
    });
    const entry = { slots: Int32Array.from(slots), driver };
    this.slots.drivers.push(entry);
    for (const slot of slots) {
      this.slots.driven[slot] = 1;
      this.slots.requested[slot] = 1;
    }
    return () => {
      const at = this.slots.drivers.indexOf(entry);
      if (at < 0) return;
      this.slots.drivers.splice(at, 1);
      for (const slot of entry.slots) {
        this.slots.driven[slot] = 0;
        this.slots.requested[slot] = 1;
      }
    };
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
      numAgents: this.numAgents, seed: this.options.seed, policy: this.policy, normalizer: this.obsNorm,
      addDriver: (slots: readonly number[], driver: Driver) => this.addDriver(slots, driver),
      hasHeuristic: (slot: number) => this.slots.heuristics[slot] !== null,
      betweenTicks: () => this.phase === 'act',
    };
    return extra === undefined ? AgentSelfPlay.create(host, options, this.mirror.parameters) : AgentSelfPlay.restore(host, options, this.layout.size, extra);
  }

  /** The critic's value of one raw observation (normalized like act()'s, without updating the statistics). */
  private criticValue(observation: Float32Array): number {
    let input = observation;
    if (this.obsNorm) {
      this.obsNorm.normalize(observation, this.oneRow, 1, false);
      input = this.oneRow;
    }
    return this.inference.criticValues(input)[0];
  }

  /**
   * Whether the staged decisions would fill a rollout once the slots with full staging decide again: the
   * headless loop then calls finishRollout() with the next observations.
   */
  get rolloutReady(): boolean {
    const capacity = this.options.ppo.numSteps;
    let rows = this.stream.rows;
    for (let e = 0; e < this.numAgents; e++) if (this.staging.count[e] === capacity) rows += capacity;
    return rows >= capacity * this.numAgents;
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
    if (!this.rolloutReady) return;
    checkFinite('nextObservations', nextObservations, this.numAgents, this.observationSize);
    const values = this.inference.criticValues(this.normalizeObservations(nextObservations, this.normalizedFinal, false));
    const capacity = this.options.ppo.numSteps;
    this.inGameLoop = false;
    for (let e = 0; e < this.numAgents; e++) {
      if (this.staging.count[e] !== capacity) continue;
      this.staging.close(e, values[e]);
      this.staging.flush(e, this.stream);
    }
    this.inGameLoop = true;
  }

  /** Resolves when no update is queued or running; rejects with the error of a failed update. */
  async whenIdle(): Promise<void> {
    while (this.pending > 0) {
      this.letSwapsIn();
      await this.chain;
    }
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
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
    const resolved = resolveAgentOptions({ ...this.options, schedules: schedules ?? this.schedules, totalSteps: totalSteps ?? undefined });
    this.schedules = resolved.schedules;
    this.horizon = resolved.totalSteps;
  }

  /** The horizon (agent steps) schedules and the learning-rate anneal run over; null when they stay constant. */
  get scheduleHorizon(): number | null {
    return this.horizon;
  }

  /** Fraction of the horizon done when the rollout that completed at `steps` began (0 without a horizon). */
  private progressAt(steps: number): number {
    return this.horizon === null ? 0 : Math.min(1, Math.max(0, steps - this.rolloutSteps) / this.horizon);
  }

  /** The hyperparameters the next update would use, given the steps done when its rollout completed. */
  hyperparametersAt(steps: number): Hyperparameters {
    const ppo = this.options.ppo;
    const progress = this.progressAt(steps);
    const anneal = ppo.annealLearningRate && this.horizon !== null ? 1 - progress : 1;
    const clip = this.schedules.clipEpsilon === undefined ? ppo.clipEpsilon : scheduleValue(this.schedules.clipEpsilon, progress);
    return {
      learningRate: this.schedules.learningRate === undefined ? ppo.learningRate * Math.max(0, anneal) : scheduleValue(this.schedules.learningRate, progress),
      entropyCoef: this.schedules.entropyCoef === undefined ? ppo.entropyCoef : scheduleValue(this.schedules.entropyCoef, progress),
      clipEpsilon: clip,
    };
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
    await this.afterQueuedUpdates();
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
    this.live();
    this.checkBetweenTicks();
    const { parameters, optimizer } = this.mirror;
    return encodeCheckpoint({
      config: optionsToJson({ ...this.options, schedules: this.schedules, totalSteps: this.horizon }),
      parameters,
      optimizer,
      observationStats: this.obsNorm?.stats.state(),
      rewardStats: this.rewardScaler ? { ...this.rewardScaler.stats.state(), returns: this.rewardScaler.returns.slice() } : undefined,
      extra: this.selfPlayRun ? new Map([...this.runningState(), ...this.selfPlayRun.save()]) : this.runningState(),
      rng: { inference: this.inference.getRngState(), plan: rngToString(this.planRng), noise: rngToString(this.noiseRng) },
      counters: {
        ...this.counters,
        awaitingBootstrap: this.slots.lockstep && this.staging.count[0] === this.options.ppo.numSteps && this.staging.count.every((c) => c === this.staging.count[0]) ? 1 : 0,
        rolloutLagged: this.stagingLagged() ? 1 : 0,
      },
    }, this.layout);
  }

  /**
   * The policy as ONNX bytes (after pending updates): observation normalization, the actor's logits or means,
   * the deterministic action predict() returns, and the critic's value, with a dynamic batch dimension.
   * Inputs and outputs are listed at `policyToOnnx` (src/interop/onnx/export.ts).
   */
  async exportOnnx(): Promise<Uint8Array> {
    this.live();
    await this.afterQueuedUpdates();
    return policyToOnnx({
      policy: this.policy, layout: this.layout, parameters: this.mirror.parameters.slice(),
      masks: this.options.masks, observationStats: this.obsNorm?.stats.state(),
    });
  }

  /** The parameters (flat, in the network layout) after the updates queued when called: those act() uses then. */
  async getParameters(): Promise<Float32Array> {
    this.live();
    await this.afterQueuedUpdates();
    return this.mirror.parameters.slice();
  }

  /** Resolves when the updates queued now have finished; never waits for ones queued later. */
  private async afterQueuedUpdates(): Promise<void> {
    this.letSwapsIn();
    const last = this.queued.at(-1);
    if (last) await last;
  }

  /**
   * Frees the wasm memory, the trainer (and its GPU buffers or worker). Once pending updates settle if
   * there are any; the agent cannot be used afterwards.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.letSwapsIn();
    const release = () => {
      this.selfPlayRun?.dispose();
      this.trainer.dispose();
      this.inference.dispose();
      for (const b of new Set([...this.pool, ...this.versions.keys(), ...(this.stream.current ? [this.stream.current] : [])])) b.dispose();
    };
    if (this.pending > 0) this.chain.then(release, release);
    else release();
  }

  // ---- internals ----

  private live(): void {
    if (this.disposed) failState('Agent', 'a live agent', 'used after dispose()');
  }

  private newBuffer(): RolloutBuffer {
    return RolloutBuffer.create({
      numSteps: this.options.ppo.numSteps, numEnvs: this.numAgents, observationSize: this.observationSize,
      actionSpace: this.actionSpace, masks: this.options.masks,
    });
  }

  private checkActInputs(observations: Float32Array, options: ActOptions | undefined): Uint8Array | undefined {
    return checkActInputs(observations, options, this.numAgents, this.observationSize, this.options.masks ? this.actionSpace : undefined);
  }

  private normalizeObservations(raw: Float32Array, out: Float32Array, update: boolean): Float32Array {
    if (!this.obsNorm) return raw;
    this.obsNorm.normalize(raw, out, this.numAgents, update);
    return out;
  }

  /**
   * Computes the rollout's advantages now (sync) and queues its update behind any running one; with
   * maxPendingUpdates already waiting, drops the rollout instead (whole, so no trajectory is cut).
   */
  private launch(buffer: RolloutBuffer, lastValues: Float32Array, inGameLoop: boolean): void {
    if (this.pending >= this.options.maxPendingUpdates) {
      const steps = buffer.numSteps * this.numAgents;
      this.release(buffer);
      this.faults.droppedSteps += steps;
      if (this.events.has('dropped')) this.events.emit('dropped', { steps, droppedSteps: this.faults.droppedSteps, pendingUpdates: this.pending });
      return;
    }
    const ppo = this.options.ppo;
    buffer.computeAdvantages({ lastValues, gamma: ppo.gamma, gaeLambda: ppo.gaeLambda, rhoClip: ppo.vtrace.rhoClip, cClip: ppo.vtrace.cClip });
    const steps = this.counters.steps;
    this.pending++;
    // A CPU update is wasm work on this thread: in a game loop it runs in frame-budget slices.
    const sliced = inGameLoop && this.trainer.startUpdate !== undefined;
    // Earlier held updates swap in by this rollout boundary at the latest; a headless one waits to be awaited.
    this.letSwapsIn();
    const hold = inGameLoop ? undefined : { released: false };
    if (hold) this.swapHeld.add(hold);
    const run = this.chain.then(() => this.update(buffer, steps, sliced, hold)).finally(() => { this.pending--; this.queued.shift(); });
    this.queued.push(run);
    this.chain = run;
  }

  private async update(buffer: RolloutBuffer, steps: number, sliced: boolean, hold?: { released: boolean }): Promise<void> {
    if (this.disposed) return;
    const started = performance.now();
    let released = false;
    try {
      const lagged = this.versions.get(buffer) !== this.version;
      const hyperparameters = this.hyperparametersAt(steps);
      this.trainer.setHyperparameters(hyperparameters);
      const plan = this.plan(buffer, lagged, this.progressAt(steps));
      const batch = this.stage(buffer);
      this.release(buffer);
      released = true;
      const outcome = await this.guardedUpdate(batch, plan, hyperparameters, sliced, started);
      if (this.disposed || outcome === undefined) return;
      const { stats, diverged } = outcome;
      if (diverged !== undefined) {
        this.faults.divergences++;
        const cause = diagnose(batch, hyperparameters, this.options.ppo);
        this.events.emit('diverged', { updates: this.counters.updates, steps, what: diverged, cause, message: `${diverged}: ${cause}`, divergences: this.faults.divergences });
        return;
      }
      // Cloning runs on the new parameters before they reach act(); its stats join the update event.
      const behavioralCloning = this.cloning ? await this.cloning.afterUpdate(steps) : undefined;
      if (hold) await this.swapWhenAwaited(hold);
      if (this.disposed) return;
      this.inference.setParameters(this.mirror.parameters);
      this.version++;
      this.counters.updates++;
      const changed = this.selfPlayRun?.trained(batch.numSteps * batch.numEnvs, this.mirror.parameters, this.counters.updates);
      if (this.events.has('update')) {
        const event = { updates: this.counters.updates, steps, stats, hyperparameters, lagged, durationMs: performance.now() - started, ...(behavioralCloning ? { behavioralCloning } : {}) };
        this.events.emit('update', this.selfPlayRun ? { ...event, selfPlay: this.selfPlayRun.state.summary() } : event);
      }
      if (changed && this.events.has('selfPlay')) this.events.emit('selfPlay', changed);
    } catch (error) {
      if (this.disposed) return;
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.events.emit('error', this.failure);
    } finally {
      if (hold) this.swapHeld.delete(hold);
      if (!released && !this.disposed) this.release(buffer);
    }
  }

  /**
   * Resolves once the headless update holding `hold` may swap its parameters into inference: when something
   * awaits it (whenIdle(), save(), getParameters(), dispose()) or the next rollout is launched. Its finishing
   * time then never decides which policy acts on which step.
   */
  private swapWhenAwaited(hold: { released: boolean }): Promise<void> | undefined {
    if (hold.released) return undefined;
    return new Promise((resolve) => this.swapWaits.push(resolve));
  }

  /** Lets every held headless update (finished or not) swap its parameters in. */
  private letSwapsIn(): void {
    for (const hold of this.swapHeld) hold.released = true;
    this.swapHeld.clear();
    for (const resolve of this.swapWaits.splice(0)) resolve();
  }

  /**
   * Runs one update and checks what it produced: non-finite loss stats, parameters or Adam moments roll the
   * trainer back to the state before it (`diverged` says what was not finite); a lost device rebuilds the
   * trainer from that state and runs the update again. On success the mirror holds the new state.
   */
  private async guardedUpdate(batch: Batch, plan: MinibatchPlan, hyperparameters: Hyperparameters, sliced: boolean, started: number): Promise<{ stats: UpdateStats; diverged?: string } | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.trainer.setHyperparameters(hyperparameters);
        const stats = sliced ? await this.updateInSlices(batch, plan, started) : await this.trainer.update(batch, plan);
        if (this.disposed) return undefined;
        const state = await this.trainerState();
        const diverged = findNonFinite(stats, state, this.layout.parameters);
        if (diverged !== undefined) {
          this.trainer.setParameters(this.mirror.parameters);
          this.trainer.setOptimizerState(this.mirror.optimizer);
          return { stats, diverged };
        }
        this.mirror = state;
        return { stats };
      } catch (error) {
        if (!isDeviceLost(error) || this.disposed || attempt >= 2 || this.options.trainInWorker !== false) throw error;
        await this.recover(error);
        if (this.disposed) return undefined;
      }
    }
  }

  /** The trainer's parameters and Adam state; on WebGPU those the update already read back. */
  private async trainerState(): Promise<TrainerState> {
    const read = this.trainer instanceof WebGPUTrainer ? this.trainer.lastUpdateState() : undefined;
    if (read) return read;
    return { parameters: await this.trainer.getParameters(), optimizer: await this.trainer.getOptimizerState() };
  }

  /** Replaces the trainer of a lost device by one resumed from the mirrored state, and says so. */
  private async recover(error: Error & { reason?: string }): Promise<void> {
    this.trainer = await rebuildTrainer(this.trainer, { policy: this.policy, ppo: this.options.ppo, seed: this.options.seed }, this.mirror);
    this.faults.deviceLosses++;
    this.events.emit('recovered', { reason: error.reason ?? error.message, backend: this.trainer.backend, deviceLosses: this.faults.deviceLosses, updates: this.counters.updates });
  }

  /**
   * Shuffled rows (CleanRL) for fresh batches; for lagged ones shuffled env segments, whose advantages the
   * trainer recomputes with V-trace (when there are at least numMinibatches envs). Prioritized sampling when
   * alpha > 0, with beta annealed from beta0 toward 1 over the horizon.
   */
  private plan(buffer: RolloutBuffer, lagged: boolean, progress: number): MinibatchPlan {
    const ppo = this.options.ppo;
    const { alpha, beta0, over } = ppo.prioritized;
    const segmentsFit = this.numAgents >= ppo.numMinibatches;
    const unit = lagged && segmentsFit ? 'segments' : alpha > 0 && (over === 'rows' || segmentsFit) ? over : 'rows';
    const seed = (BigInt(this.planRng.nextU32()) << 32n) | BigInt(this.planRng.nextU32());
    const common = { numSteps: buffer.numSteps, numEnvs: buffer.numEnvs, numEpochs: ppo.numEpochs, numMinibatches: ppo.numMinibatches, unit, seed };
    if (alpha > 0) {
      const beta = Math.min(1, beta0 + (1 - beta0) * alpha * progress);
      return createMinibatchPlan({ ...common, mode: 'prioritized', priorities: buffer.priorities(unit).slice(), alpha, beta });
    }
    return createMinibatchPlan({ ...common, mode: 'shuffled' });
  }

  /**
   * The same update as trainer.update(batch, plan), cut into slices of at most frameBudgetMs with a turn of
   * the event loop after each, so the game's frames keep coming; trainFor() may run slices in between.
   */
  private async updateInSlices(batch: Batch, plan: MinibatchPlan, turnStarted: number): Promise<UpdateStats> {
    if (this.budgetMs === 0 || this.trainer.startUpdate === undefined) {
      const stats = await this.trainer.update(batch, plan);
      return { ...stats, slices: 1, longestSliceMs: performance.now() - turnStarted };
    }
    const job = this.trainer.startUpdate(batch, plan);
    this.job = job;
    try {
      // Staging and uploading the batch came out of this turn's budget: the first slice gets the rest, or the
      // next turn when little is left.
      const spent = performance.now() - turnStarted;
      if (spent <= this.budgetMs / 2) job.run(this.budgetMs - spent);
      while (!job.done) {
        await nextTurn();
        if (this.disposed) throw new Error('Agent: disposed during an update');
        job.run(this.budgetMs);
      }
    } finally {
      this.job = undefined;
    }
    if (job.stats === undefined) throw job.error;
    return { ...job.stats, slices: job.slices, longestSliceMs: job.longestSliceMs };
  }

  /** Back to the pool: empty, and no longer tied to the policy version it was collected with. */
  private release(buffer: RolloutBuffer): void {
    this.versions.delete(buffer);
    buffer.reset();
    this.pool.push(buffer);
  }

  /**
   * Copies the rollout into the one reusable staging batch (JS memory): the buffer goes straight back to the
   * pool and refills while the update runs. With tanh_normal, the entropy noise comes from the agent's own generator (exact resume).
   */
  private stage(buffer: RolloutBuffer): Batch {
    const views = buffer.batch();
    const staged = this.staged ??= {
      numSteps: views.numSteps, numEnvs: views.numEnvs,
      observations: views.observations.slice(), actions: views.actions.slice(), logProbs: views.logProbs.slice(),
      values: views.values.slice(), advantages: views.advantages.slice(), returns: views.returns.slice(),
      rewards: views.rewards!.slice(), terminated: views.terminated!.slice(), truncated: views.truncated!.slice(),
      bootstrapValues: views.bootstrapValues!.slice(), lastValues: views.lastValues!.slice(),
      masks: views.masks?.slice(),
    };
    for (const key of ['observations', 'actions', 'logProbs', 'values', 'advantages', 'returns', 'rewards', 'terminated', 'truncated', 'bootstrapValues', 'lastValues', 'masks'] as const) {
      const view = views[key];
      if (view) (staged[key] as typeof view).set(view as never);
    }
    if (staged.masks === undefined) delete staged.masks;
    if (this.actionSpace.kind === 'box' && this.options.network.distribution === 'tanh_normal') {
      const size = this.options.ppo.samplesMcEntropy * staged.numSteps * staged.numEnvs * this.actionSpace.size;
      const noise = staged.entropyNoise ??= new Float32Array(size);
      for (let i = 0; i < size; i++) noise[i] = this.noiseRng.nextNormal();
    }
    return staged;
  }

  private checkBetweenTicks(): void {
    if (this.phase === 'observe') failState('save', 'a call between observe() and the next act()', 'a call between act() and observe()');
  }

  /**
   * Episode tallies and the staged decisions, as checkpoint tensors: lockstep play as the `rollout.*` of
   * [steps, numAgents] rows it always saved, slots that come and go as the slot table, every slot's staging
   * and the rows already in the unfinished rollout.
   */
  private runningState(): Map<string, Tensor> {
    const n = this.numAgents;
    const extra = new Map<string, Tensor>([
      ['episode.returns', { dtype: 'F64', shape: [n], data: this.episodeReturns.slice() }],
      ['episode.lengths', { dtype: 'I32', shape: [n], data: this.episodeLengths.slice() }],
    ]);
    const lockstep = this.slots.lockstep && this.stream.rows === 0 && this.counters.steps % n === 0 && lockstepStaging(this.staging);
    if (!lockstep) {
      saveSlots(extra, this.slots, this.held, this.staging, this.version);
      this.stream.save(extra, this.version);
      return extra;
    }
    const scratch = this.pool.pop() ?? this.newBuffer();
    try {
      stagingToBuffer(this.staging, scratch);
      saveRollout(extra, scratch);
    } finally {
      this.release(scratch);
    }
    return extra;
  }

  /** Checks restored values: finite floats, 0/1 flags and masks, actions inside the action space. */
  private checkRestored(name: string, data: TensorData, per: number): void {
    const bad = (i: number, expected: string): never => {
      throw new CheckpointError(`checkpoint: tensor ${name}[${i}]: expected ${expected}, got ${data[i]}`, name);
    };
    const space = this.actionSpace;
    if (name.endsWith('.actions') && space.kind !== 'box') {
      const nvec = space.kind === 'discrete' ? [space.n] : space.nvec;
      for (let i = 0; i < data.length; i++) if (!(data[i] >= 0 && data[i] < nvec[i % per])) bad(i, `an integer in [0, ${nvec[i % per] - 1}]`);
    } else if (data instanceof Float32Array) {
      for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad(i, 'a finite number');
    } else if (data instanceof Uint8Array) {
      for (let i = 0; i < data.length; i++) if (data[i] > 1) bad(i, '0 or 1');
    }
  }

  /** Whether a staged decision was taken with an older policy than the current one. */
  private stagingLagged(): boolean {
    const { count, versions, shape } = this.staging;
    for (let e = 0; e < this.numAgents; e++) for (let j = 0; j < count[e]; j++) if (versions[e * shape.capacity + j] !== this.version) return true;
    return false;
  }

  private restoreRunning(extra: ReadonlyMap<string, Tensor>, counters: Record<string, number>): void {
    const n = this.numAgents;
    this.episodeReturns.set(takeTensor<Float64Array>(extra, 'episode.returns', 'F64', [n]));
    this.episodeLengths.set(takeTensor<Int32Array>(extra, 'episode.lengths', 'I32', [n]));
    if (extra.has('slots.alive')) {
      const check = (name: string, data: TensorData, per: number) => this.checkRestored(name, data, per);
      restoreSlots(extra, this.slots, this.held, this.staging, this.version, check);
      this.stream.restore(extra, this.version, check);
      return;
    }
    const scratch = this.pool.pop() ?? this.newBuffer();
    try {
      if (!restoreRollout(extra, scratch)) return;
      if (counters.awaitingBootstrap === 1 && !scratch.full) throw new CheckpointError('checkpoint: counters.awaitingBootstrap is set but the saved rollout is not full');
      bufferToStaging(scratch, this.staging, counters.rolloutLagged === 1 ? -1 : this.version);
      for (let e = 0; e < n; e++) if (this.staging.open[e] === 1) this.slots.fresh[e] = 0;
    } finally {
      this.release(scratch);
    }
  }

  private restoreRng(rng: Record<string, string>): void {
    for (const key of ['inference', 'plan', 'noise']) {
      if (typeof rng?.[key] !== 'string') throw new CheckpointError(`checkpoint: rng.${key} is missing`);
    }
    this.inference.setRngState(rng.inference);
    rngFromString(this.planRng, rng.plan);
    rngFromString(this.noiseRng, rng.noise);
  }
}

/** One reward scaled like RewardScaler.scale does (by the running std of returns, clipped to ±10). */
function scaleReward(reward: number, variance: number): number {
  const r = reward / Math.sqrt(variance + 1e-8);
  return r < -10 ? -10 : r > 10 ? 10 : r;
}
