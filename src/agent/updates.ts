// The agent's update loop: full rollouts get their advantages at once and queue their PPO update behind the
// running one (or are dropped past maxPendingUpdates); a CPU update in a game loop runs in frame-budget
// slices. Each update is checked (a non-finite result rolls back, a lost device rebuilds the trainer), and
// its parameters reach inference when it resolves; an update that finishRollout() started (the headless
// path) swaps in only when awaited, so a loop that collects while it trains (train() with a worker) changes
// policy at the rollout boundary, never at a tick that depends on when the worker answered. Owns the rollout buffer pool, the policy version, the
// schedules and the last good trainer state (the mirror that save() writes).
import { nextTurn } from '../next-turn.js';
import type { Batch, Hyperparameters, MinibatchPlan, Trainer, UpdateJob, UpdateStats } from '../backend/trainer.js';
import { WebGPUTrainer } from '../backend/webgpu/trainer.js';
import type { BehavioralCloning } from '../imitation/behavioral-cloning.js';
import type { NetworkLayout, PolicySpec } from '../policy/network.js';
import { PCG32 } from '../rng.js';
import { type Schedules, scheduleValue } from '../schedule.js';
import { createMinibatchPlan } from '../storage/plan.js';
import { RolloutBuffer } from '../storage/rollout-buffer.js';
import { diagnose, findNonFinite, type TrainerState } from './divergence.js';
import type { AgentEmitter, AgentHealth } from './events.js';
import type { Inference } from './inference.js';
import { resolveAgentOptions, type ResolvedAgentOptions } from './options.js';
import { isDeviceLost, rebuildTrainer } from './recovery.js';
import type { AgentSelfPlay } from './self-play.js';

const PLAN_STREAM = 0x5eed;
const NOISE_STREAM = 0x401e;

/** The agent's tallies, shared by its game loop (steps, episodes) and its update loop (updates). */
export interface AgentCounters {
  steps: number;
  updates: number;
  episodes: number;
}

/** What the update loop shares with its agent. */
export interface UpdateLoopHost {
  options: ResolvedAgentOptions;
  policy: PolicySpec;
  layout: NetworkLayout;
  inference: Inference;
  events: AgentEmitter;
  faults: AgentHealth;
  counters: AgentCounters;
}

/** Queues, runs and checks the agent's PPO updates; swaps their parameters into inference. */
export class UpdateLoop {
  /** Parameters and Adam state after the last good update: what save() writes and a lost device resumes from. */
  mirror: TrainerState;
  /** The policy version: bumped whenever new parameters reach inference. */
  version = 0;
  /** Updates queued or running. */
  pending = 0;
  /** The queue of updates (and pretraining): each runs after the previous one settles. */
  chain: Promise<void> = Promise.resolve();
  /** Cloning after each update (AgentOptions.behavioralCloning). */
  cloning: BehavioralCloning | undefined;
  /** Self-play, told the steps of each update. */
  selfPlay: AgentSelfPlay | undefined;
  /** The error of a failed update, thrown by the next whenIdle() or save(). */
  failure: Error | undefined;
  /** The most training work (ms) one event-loop turn does in a sliced update (0: updates run whole). */
  budgetMs: number;
  /** Where each slice's budget comes from instead of budgetMs, when agents share one (Agent.setSliceBudget). */
  sliceBudget: (() => number) | undefined;
  schedules: Schedules;
  horizon: number | null;
  readonly planRng: PCG32;
  readonly noiseRng: PCG32;
  private readonly pool: RolloutBuffer[] = [];
  /** Oldest policy version among each full buffer's steps (lagged when older than the one it trains). */
  private readonly versions = new Map<RolloutBuffer, number>();
  /** A recurrent policy's stored states of each full buffer (Batch.hiddenStates). */
  private readonly hiddenStates = new Map<RolloutBuffer, Float32Array>();
  /** A recurrent network (network.memory): trained on whole segments. */
  private readonly recurrent: boolean;
  /** The updates queued or running, oldest (the one in flight) first. */
  private readonly queued: Promise<void>[] = [];
  /** Finished headless updates waiting to swap their parameters in (see swapWhenAwaited). */
  private readonly swapWaits: (() => void)[] = [];
  /** Headless updates launched and not yet let through to their swap. */
  private readonly swapHeld = new Set<{ released: boolean }>();
  /** The CPU update being run in slices (frame budget), for trainFor(). */
  private job: UpdateJob | undefined;
  private staged: Batch | undefined;
  private disposed = false;
  private readonly options: ResolvedAgentOptions;
  private readonly numAgents: number;

  constructor(private readonly host: UpdateLoopHost, public trainer: Trainer, state: TrainerState) {
    const options = host.options;
    this.options = options;
    this.numAgents = options.numAgents;
    this.recurrent = options.network.memory !== undefined;
    this.mirror = state;
    this.budgetMs = options.frameBudgetMs;
    this.schedules = options.schedules;
    this.horizon = options.totalSteps;
    this.planRng = new PCG32(options.seed, PLAN_STREAM);
    this.noiseRng = new PCG32(options.seed, NOISE_STREAM);
    this.pool.push(this.newBuffer(), this.newBuffer());
  }

  /** Agent steps per rollout (numSteps x numAgents). */
  get rolloutSteps(): number {
    return this.options.ppo.numSteps * this.numAgents;
  }

  /** An empty buffer from the pool (a new one when the pool is empty). */
  take(): RolloutBuffer {
    return this.pool.pop() ?? this.newBuffer();
  }

  /**
   * A full buffer from the stream: `version` is the oldest policy version among its steps; `states` the
   * recurrent states it stores.
   */
  full(buffer: RolloutBuffer, lastValues: Float32Array, version: number, inGameLoop: boolean, states?: Float32Array): void {
    this.versions.set(buffer, version);
    if (states !== undefined) this.hiddenStates.set(buffer, states);
    this.launch(buffer, lastValues, inGameLoop);
  }

  /** New parameters from outside an update (pretraining, cloning): mirrored, in inference, a new version. */
  parametersChanged(parameters: Float32Array, optimizer: TrainerState['optimizer']): void {
    this.mirror = { parameters: parameters.slice(), optimizer: { m: optimizer.m.slice(), v: optimizer.v.slice(), step: optimizer.step } };
    this.host.inference.setParameters(parameters);
    this.version++; // decisions taken before count as lagged
  }

  /** See Agent.trainFor. */
  trainFor(ms: number): number {
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

  /** Resolves when no update is queued or running; rejects with the error of a failed update. */
  async whenIdle(): Promise<void> {
    while (this.pending > 0) {
      this.letSwapsIn();
      await this.chain;
    }
    this.throwFailure();
  }

  /** Throws (and forgets) the error of a failed update, if any. */
  throwFailure(): void {
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  /** Resolves when the updates queued now have finished; never waits for ones queued later. */
  async afterQueuedUpdates(): Promise<void> {
    this.letSwapsIn();
    const last = this.queued.at(-1);
    if (last) await last;
  }

  /**
   * Sets the schedules and their horizon (agent steps); `schedules` undefined keeps the current ones.
   */
  setSchedules(schedules: Schedules | undefined, totalSteps: number | null): void {
    const resolved = resolveAgentOptions({ ...this.options, schedules: schedules ?? this.schedules, totalSteps: totalSteps ?? undefined });
    this.schedules = resolved.schedules;
    this.horizon = resolved.totalSteps;
  }

  /** Fraction of the horizon done when the rollout that completed at `steps` began (0 without a horizon). */
  progressAt(steps: number): number {
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
   * Stops the loop; once pending updates settle (now if none), disposes self-play, the trainer, inference and
   * every buffer (the pool's, the queued ones', and those `filling` lists, which the game loop fills).
   */
  dispose(filling: () => (RolloutBuffer | undefined)[]): void {
    this.disposed = true;
    this.letSwapsIn();
    const release = () => {
      this.selfPlay?.dispose();
      this.trainer.dispose();
      this.host.inference.dispose();
      for (const b of new Set([...this.pool, ...this.versions.keys(), ...filling()])) b?.dispose();
    };
    if (this.pending > 0) this.chain.then(release, release);
    else release();
  }

  /**
   * Computes the rollout's advantages now (sync) and queues its update behind any running one; with
   * maxPendingUpdates already waiting, drops the rollout instead (whole, so no trajectory is cut).
   */
  launch(buffer: RolloutBuffer, lastValues: Float32Array, inGameLoop: boolean): void {
    const { events, faults, counters } = this.host;
    if (this.pending >= this.options.maxPendingUpdates) {
      const steps = buffer.numSteps * this.numAgents;
      this.release(buffer);
      faults.droppedSteps += steps;
      if (events.has('dropped')) events.emit('dropped', { steps, droppedSteps: faults.droppedSteps, pendingUpdates: this.pending });
      return;
    }
    const ppo = this.options.ppo;
    buffer.computeAdvantages({ lastValues, gamma: ppo.gamma, gaeLambda: ppo.gaeLambda, rhoClip: ppo.vtrace.rhoClip, cClip: ppo.vtrace.cClip });
    const steps = counters.steps;
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

  /** Back to the pool: empty, and no longer tied to the policy version it was collected with. */
  release(buffer: RolloutBuffer): void {
    this.versions.delete(buffer);
    this.hiddenStates.delete(buffer);
    buffer.reset();
    this.pool.push(buffer);
  }

  private async update(buffer: RolloutBuffer, steps: number, sliced: boolean, hold?: { released: boolean }): Promise<void> {
    if (this.disposed) return;
    const { events, faults, counters, inference } = this.host;
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
        faults.divergences++;
        const cause = diagnose(batch, hyperparameters, this.options.ppo);
        events.emit('diverged', { updates: counters.updates, steps, what: diverged, cause, message: `${diverged}: ${cause}`, divergences: faults.divergences });
        return;
      }
      // Cloning runs on the new parameters before they reach act(); its stats join the update event.
      const behavioralCloning = this.cloning ? await this.cloning.afterUpdate(steps) : undefined;
      if (hold) await this.swapWhenAwaited(hold);
      if (this.disposed) return;
      inference.setParameters(this.mirror.parameters);
      this.version++;
      counters.updates++;
      const changed = this.selfPlay?.trained(batch.numSteps * batch.numEnvs, this.mirror.parameters, counters.updates);
      if (events.has('update')) {
        const event = { updates: counters.updates, steps, stats, hyperparameters, lagged, durationMs: performance.now() - started, ...(behavioralCloning ? { behavioralCloning } : {}) };
        events.emit('update', this.selfPlay ? { ...event, selfPlay: this.selfPlay.state.summary() } : event);
      }
      if (changed && events.has('selfPlay')) events.emit('selfPlay', changed);
    } catch (error) {
      if (this.disposed) return;
      this.failure = error instanceof Error ? error : new Error(String(error));
      events.emit('error', this.failure);
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
        const diverged = findNonFinite(stats, state, this.host.layout.parameters);
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
    const { events, faults, counters, policy } = this.host;
    this.trainer = await rebuildTrainer(this.trainer, { policy, ppo: this.options.ppo, seed: this.options.seed }, this.mirror);
    faults.deviceLosses++;
    events.emit('recovered', { reason: error.reason ?? error.message, backend: this.trainer.backend, deviceLosses: faults.deviceLosses, updates: counters.updates });
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
    // A recurrent network trains on whole segments (its options keep numMinibatches <= numAgents).
    const unit = this.recurrent || (lagged && segmentsFit) ? 'segments' : alpha > 0 && (over === 'rows' || segmentsFit) ? over : 'rows';
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
      const spent = performance.now() - turnStarted, first = this.sliceBudget?.() ?? this.budgetMs;
      if (spent <= first / 2) job.run(first - spent);
      while (!job.done) {
        await nextTurn();
        if (this.disposed) throw new Error('Agent: disposed during an update');
        job.run(this.sliceBudget?.() ?? this.budgetMs);
      }
    } finally {
      this.job = undefined;
    }
    if (job.stats === undefined) throw job.error;
    return { ...job.stats, slices: job.slices, longestSliceMs: job.longestSliceMs };
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
    const states = this.hiddenStates.get(buffer);
    if (states !== undefined) (staged.hiddenStates ??= new Float32Array(states.length)).set(states);
    const space = this.options.actionSpace;
    if (space.kind === 'box' && this.options.network.distribution === 'tanh_normal') {
      const size = this.options.ppo.samplesMcEntropy * staged.numSteps * staged.numEnvs * space.size;
      const noise = staged.entropyNoise ??= new Float32Array(size);
      for (let i = 0; i < size; i++) noise[i] = this.noiseRng.nextNormal();
    }
    return staged;
  }

  private newBuffer(): RolloutBuffer {
    return RolloutBuffer.create({
      numSteps: this.options.ppo.numSteps, numEnvs: this.numAgents, observationSize: this.host.policy.observationSize,
      actionSpace: this.options.actionSpace, masks: this.options.masks,
    });
  }
}
