// Agent: a self-training PPO agent for a game loop. act() and observe() are synchronous and allocate
// nothing; when the rollout buffer is full its update runs asynchronously while the game keeps collecting
// into a second buffer with the previous policy (a batch collected under a policy older than the one being
// trained is trained with segment minibatches, whose advantages the trainer recomputes with V-trace ratios).
// New parameters are swapped into inference when the update resolves.
import { checkKeys, checkNumber, checkOneOf, fail, failState, type SizeError, UnknownOptionError } from '../errors.js';
import { init } from '../init.js';
import { checkAgentFootprint } from './footprint.js';
import { type AgentOptions, type BackendChoice, optionsFromJson, optionsToJson, resolveAgentOptions, type ResolvedAgentOptions } from './options.js';
import { createInference, type Inference } from './inference.js';
import { type ActOptions, checkActInputs, checkFinite, checkFlags, type ObserveOptions, OBSERVE_OPTIONS } from './inputs.js';
import { restoreRollout, rngFromString, rngToString, saveRollout, takeTensor } from './running-state.js';
import { AgentEmitter, type AgentEvents, type AgentHealth } from './events.js';
import { createLog, type Logger, type LogOptions } from '../log.js';
import { createAgentTrainer, type TrainInWorker } from '../worker/index.js';
import type { BackendReport } from '../backend/index.js';
import { type Batch, type Hyperparameters, type MinibatchPlan, type Trainer, type UpdateJob, type UpdateStats } from '../backend/trainer.js';
import { WebGPUTrainer } from '../backend/webgpu/trainer.js';
import { diagnose, type DivergedEvent, findNonFinite, type TrainerState } from './divergence.js';
import { isDeviceLost, rebuildTrainer, type RecoveredEvent } from './recovery.js';
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
import { type ActingStep, type OutcomeStep, RolloutBuffer } from '../storage/rollout-buffer.js';

export type { AgentOptions, BackendChoice } from './options.js';
export type { ActOptions, ObserveOptions } from './inputs.js';
export type { DivergedEvent } from './divergence.js';
export type { AgentEvents, AgentHealth, DroppedEvent, EpisodeEvent, UpdateEvent } from './events.js';
export type { RecoveredEvent } from './recovery.js';

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
}

const LOAD_OPTIONS = ['backend', 'trainInWorker', 'observationSpace', 'actionSpace', 'frameBudgetMs', 'logLevel', 'logger'];
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
  private collecting: RolloutBuffer;
  /** Policy version each buffer's first step was taken with. */
  private readonly versions = new Map<RolloutBuffer, number>();
  private awaitingBootstrap: RolloutBuffer | undefined;
  private version = 0;
  private phase: 'act' | 'observe' = 'act';
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  /** The updates queued or running, oldest (the one in flight) first. */
  private readonly queued: Promise<void>[] = [];
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
  private readonly acting: ActingStep;
  private readonly outcome: OutcomeStep;
  private readonly planRng: PCG32;
  private readonly noiseRng: PCG32;
  private staged: Batch | undefined;

  private counters = { steps: 0, updates: 0, episodes: 0 };

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
    this.collecting = this.newBuffer();
    this.pool.push(this.newBuffer());
    if (options.ppo.normalizeObservations) this.obsNorm = new ObservationNormalizer(this.observationSize);
    if (options.ppo.normalizeRewards) this.rewardScaler = new RewardScaler(n, options.ppo.gamma);
    this.normalized = new Float32Array(n * this.observationSize);
    this.normalizedFinal = new Float32Array(n * this.observationSize);
    this.scaledRewards = new Float32Array(n);
    this.bootstrapValues = new Float32Array(n);
    this.episodeReturns = new Float64Array(n);
    this.episodeLengths = new Int32Array(n);
    this.acting = { observations: this.normalized, actions: inference.actions, logProbs: inference.logProbs, values: inference.values };
    this.outcome = { rewards: this.scaledRewards, terminated: new Uint8Array(n), truncated: new Uint8Array(n), bootstrapValues: this.bootstrapValues };
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

  private static async build(options: ResolvedAgentOptions, parameters: Float32Array | undefined): Promise<Agent> {
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
    const resolved = resolveAgentOptions({ ...saved, totalSteps: saved.totalSteps ?? undefined, backend: options.backend ?? saved.backend, trainInWorker: options.trainInWorker, frameBudgetMs: options.frameBudgetMs, logLevel: options.logLevel, logger: options.logger });
    const policy: PolicySpec = { observationSize: flatSize(resolved.observationSpace), actionSpace: resolved.actionSpace, network: resolved.network };
    // Every tensor and value is checked against the config before the agent's memory is sized and taken.
    const contents = decodeCheckpoint(file, config, {
      layout: networkLayout(policy), observationSize: policy.observationSize, numAgents: resolved.numAgents,
      normalizeObservations: resolved.ppo.normalizeObservations, normalizeRewards: resolved.ppo.normalizeRewards,
      running: {
        numSteps: resolved.ppo.numSteps, actionSize: actionSize(resolved.actionSpace), categorical: resolved.actionSpace.kind !== 'box',
        maskSize: resolved.masks ? logitCount(resolved.actionSpace) : 0,
      },
    });
    try {
      checkAgentFootprint(resolved);
    } catch (error) {
      throw new CheckpointError(`checkpoint: config: ${(error as Error).message}`, (error as SizeError).field);
    }
    const agent = await Agent.build(resolved, contents.parameters);
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
  /** Agent steps taken (ticks x numAgents). */
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

  /**
   * Picks actions for all agents from their observations (numAgents x observation size, normalized here when
   * configured). Returns a view (numAgents rows: Int32Array for categorical spaces, Float32Array for boxes;
   * tanh_normal actions squashed into the box) valid until the next act(); the step is recorded for training.
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
    const masks = this.checkActInputs(observations, options);
    const deterministic = options?.deterministic === true;
    const input = this.normalizeObservations(observations, this.normalized, true);
    this.inference.act(input, masks, deterministic);
    if (this.awaitingBootstrap) this.launch(this.awaitingBootstrap, this.inference.values, true);
    if (this.collecting.step === 0) this.versions.set(this.collecting, this.version);
    this.acting.actions = this.inference.actions;
    this.acting.logProbs = this.inference.logProbs;
    this.acting.values = this.inference.values;
    this.acting.observations = input;
    this.acting.masks = masks;
    this.collecting.addActing(this.acting);
    this.phase = 'observe';
    return this.inference.gameActions;
  }

  /** Actions without recording anything (evaluation): deterministic unless asked otherwise. Same view rules as act(). */
  predict(observations: Float32Array, options?: ActOptions): Int32Array | Float32Array {
    this.live();
    const masks = this.checkActInputs(observations, options);
    const input = this.normalizeObservations(observations, this.normalizedFinal, false);
    this.inference.act(input, masks, options?.deterministic !== false);
    return this.inference.gameActions;
  }

  /**
   * What the game answered to the last act(): rewards, terminated and truncated (Uint8Array 0/1) per agent.
   * A truncated episode bootstraps from the value of its final observation when `finalObservations` is given
   * (from 0 otherwise).
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
    const n = this.numAgents;
    checkFinite('rewards', rewards, n, 1);
    checkFlags('terminated', terminated, n);
    checkFlags('truncated', truncated, n);
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('options', 'an object', options);
      for (const key in options) if (key !== 'finalObservations') throw new UnknownOptionError(`options.${key}`, OBSERVE_OPTIONS, 'option');
    }
    const finals = options?.finalObservations;
    let anyTruncated = false;
    for (let e = 0; e < n; e++) if (truncated[e] && !terminated[e]) anyTruncated = true;
    if (finals !== undefined) {
      if (!(finals instanceof Float32Array) || finals.length !== n * this.observationSize) fail('finalObservations', `a Float32Array of length ${n * this.observationSize}`, finals);
      for (let e = 0; e < n; e++) {
        if (!truncated[e] || terminated[e]) continue;
        for (let k = 0; k < this.observationSize; k++) {
          const v = finals[e * this.observationSize + k];
          if (!Number.isFinite(v)) fail(`finalObservations[agent ${e}, ${k}]`, 'a finite number', v);
        }
      }
    }
    // Validated: from here on, state changes.
    this.bootstrapValues.fill(0);
    if (anyTruncated && finals) {
      const values = this.inference.criticValues(this.normalizeObservations(finals, this.normalizedFinal, false));
      for (let e = 0; e < n; e++) if (truncated[e] && !terminated[e]) this.bootstrapValues[e] = values[e];
    }
    if (this.rewardScaler) this.rewardScaler.scale(rewards, terminated, truncated, this.scaledRewards);
    else this.scaledRewards.set(rewards);
    this.outcome.terminated = terminated;
    this.outcome.truncated = truncated;
    this.collecting.addOutcome(this.outcome);
    this.phase = 'act';
    this.counters.steps += n;
    for (let e = 0; e < n; e++) {
      this.episodeReturns[e] += rewards[e];
      this.episodeLengths[e]++;
      if (terminated[e] || truncated[e]) {
        this.counters.episodes++;
        if (this.events.has('episode')) {
          this.events.emit('episode', { agent: e, return: this.episodeReturns[e], length: this.episodeLengths[e], terminated: terminated[e] === 1, steps: this.counters.steps });
        }
        this.episodeReturns[e] = 0;
        this.episodeLengths[e] = 0;
      }
    }
    if (this.collecting.full) {
      this.awaitingBootstrap = this.collecting;
      this.collecting = this.pool.pop() ?? this.newBuffer();
    }
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
    const buffer = this.collecting;
    buffer.discardActing();
    const n = this.numAgents;
    if (buffer.step > 0) {
      const row = (buffer.step - 1) * n;
      const truncated = buffer.truncated, terminated = buffer.terminated, bootstrap = buffer.bootstrapValues;
      const values = this.inference.values;
      for (let e = 0; e < n; e++) {
        if (terminated[row + e] || truncated[row + e]) continue;
        truncated[row + e] = 1;
        bootstrap[row + e] = values[e];
      }
    }
    this.episodeReturns.fill(0);
    this.episodeLengths.fill(0);
    this.rewardScaler?.returns.fill(0);
    this.phase = 'act';
  }

  /** Whether a full rollout waits for the next observations (its bootstrap values) to start its update. */
  get rolloutReady(): boolean {
    return this.awaitingBootstrap !== undefined;
  }

  /**
   * Starts the update of a full rollout now, bootstrapping from these next observations (the headless path
   * calls this, then awaits whenIdle(), so the next act() already uses the new policy).
   */
  finishRollout(nextObservations: Float32Array): void {
    this.live();
    if (!this.awaitingBootstrap) return;
    checkFinite('nextObservations', nextObservations, this.numAgents, this.observationSize);
    const values = this.inference.criticValues(this.normalizeObservations(nextObservations, this.normalizedFinal, false));
    this.launch(this.awaitingBootstrap, values, false);
  }

  /** Resolves when no update is queued or running; rejects with the error of a failed update. */
  async whenIdle(): Promise<void> {
    while (this.pending > 0) await this.chain;
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
   * Subscribes to `'update'` ({@link UpdateEvent}), `'episode'` ({@link EpisodeEvent}) or `'error'` (an update
   * failed; the error is also thrown by the next `whenIdle()`). Returns a function that unsubscribes.
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
      extra: this.runningState(),
      rng: { inference: this.inference.getRngState(), plan: rngToString(this.planRng), noise: rngToString(this.noiseRng) },
      counters: {
        ...this.counters,
        awaitingBootstrap: this.awaitingBootstrap ? 1 : 0,
        rolloutLagged: this.rolloutBuffer().step > 0 && this.versions.get(this.rolloutBuffer()) !== this.version ? 1 : 0,
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
    const release = () => {
      this.trainer.dispose();
      this.inference.dispose();
      for (const b of new Set([...this.pool, this.collecting, ...this.versions.keys(), ...(this.awaitingBootstrap ? [this.awaitingBootstrap] : [])])) b.dispose();
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
    this.awaitingBootstrap = undefined;
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
    const run = this.chain.then(() => this.update(buffer, steps, sliced)).finally(() => { this.pending--; this.queued.shift(); });
    this.queued.push(run);
    this.chain = run;
  }

  private async update(buffer: RolloutBuffer, steps: number, sliced: boolean): Promise<void> {
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
      this.inference.setParameters(this.mirror.parameters);
      this.version++;
      this.counters.updates++;
      if (this.events.has('update')) {
        this.events.emit('update', { updates: this.counters.updates, steps, stats, hyperparameters, lagged, durationMs: performance.now() - started });
      }
    } catch (error) {
      if (this.disposed) return;
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.events.emit('error', this.failure);
    } finally {
      if (!released && !this.disposed) this.release(buffer);
    }
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

  /** The buffer holding the unfinished (or full, not yet bootstrapped) rollout. */
  private rolloutBuffer(): RolloutBuffer {
    return this.awaitingBootstrap ?? this.collecting;
  }

  /** Episode tallies and the stored steps of the unfinished rollout, as checkpoint tensors. */
  private runningState(): Map<string, Tensor> {
    const n = this.numAgents;
    const extra = new Map<string, Tensor>([
      ['episode.returns', { dtype: 'F64', shape: [n], data: this.episodeReturns.slice() }],
      ['episode.lengths', { dtype: 'I32', shape: [n], data: this.episodeLengths.slice() }],
    ]);
    saveRollout(extra, this.rolloutBuffer());
    return extra;
  }

  private restoreRunning(extra: ReadonlyMap<string, Tensor>, counters: Record<string, number>): void {
    const n = this.numAgents;
    this.episodeReturns.set(takeTensor<Float64Array>(extra, 'episode.returns', 'F64', [n]));
    this.episodeLengths.set(takeTensor<Int32Array>(extra, 'episode.lengths', 'I32', [n]));
    const buffer = this.collecting;
    if (!restoreRollout(extra, buffer)) return;
    this.versions.set(buffer, counters.rolloutLagged === 1 ? -1 : this.version);
    if (counters.awaitingBootstrap === 1) {
      if (!buffer.full) throw new CheckpointError('checkpoint: counters.awaitingBootstrap is set but the saved rollout is not full');
      this.awaitingBootstrap = buffer;
      this.collecting = this.pool.pop() ?? this.newBuffer();
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
