// The agent's game-loop side: each tick the deciding slots act (inference on their packed rows), every
// decision is staged in its slot's trajectory with the rewards that follow it, and closed stretches stream
// into the rollout, whose full buffers go to the update loop. Slots come and go (spawn, leave), decide on
// their own clocks, or are handed to heuristics and drivers. A recurrent policy's slots carry states (reset
// where their trajectories end, the self-play opponents' with them) and stream only whole segments. Nothing
// here allocates per tick.
import { checkBoolean, checkInteger, checkKeys, checkNumber, fail, failState, UnknownOptionError } from '../errors.js';
import { ObservationNormalizer, RewardScaler } from '../normalize.js';
import { CheckpointError, type Tensor, type TensorData } from '../policy/safetensors.js';
import { networkLayout, sequenceLength } from '../policy/network.js';
import { actionSize, type ActionSpace, logitCount } from '../spaces.js';
import { DecisionRows } from './decisions.js';
import { LockstepRollout } from './lockstep.js';
import { EpisodeTallies } from './episodes.js';
import type { AgentEmitter } from './events.js';
import { type HeuristicOptions, scoreHeuristicRows } from './heuristic-training.js';
import type { Inference } from './inference.js';
import { type ActOptions, checkActInputs, checkActOptions, checkFinite, checkFlags, type LeaveOptions, type ObserveOptions, OBSERVE_OPTIONS } from './inputs.js';
import type { ResolvedAgentOptions } from './options.js';
import type { RolloutBuffer } from '../storage/rollout-buffer.js';
import type { HeuristicRecording } from './recording.js';
import { bufferToStaging, lockstepStaging, restoreRollout, restoreSlots, saveRollout, saveSlots, stagingToBuffer, takeTensor } from './running-state.js';
import type { AgentSelfPlay } from './self-play.js';
import { type Heuristic, Slots } from './slots.js';
import { RolloutStream } from './stream.js';
import { Trajectories } from './trajectories.js';
import type { AgentCounters, UpdateLoop } from './updates.js';

/** Slots, staging and rollout stream of an agent, driven by its act() and observe(). */
export class GameLoop {
  /** Which slots hold agents and which decide on a tick. */
  readonly slots: Slots;
  /** Each slot's decisions until they go into the rollout. */
  readonly staging: Trajectories;
  /** Fills rollout buffers with staged stretches, column by column. */
  readonly stream: RolloutStream;
  /** The actions act() returns: every slot's last action (a slot that does not decide repeats its own). */
  readonly held: Int32Array | Float32Array;
  readonly episodes: EpisodeTallies;
  readonly obsNorm: ObservationNormalizer | undefined;
  readonly rewardScaler: RewardScaler | undefined;
  /** Where heuristic decisions are recorded (agent.record()). */
  recording: HeuristicRecording | undefined;
  /** Self-play: its opponents' tick begins after the learner's decisions, and settles after observe(). */
  selfPlay: AgentSelfPlay | undefined;
  phase: 'act' | 'observe' = 'act';
  /** A recurrent policy (network.memory): slots carry states, and stretches go to the rollout only whole. */
  readonly recurrent: boolean;
  /** The deciding rows of a tick, packed for inference. */
  private readonly rows: DecisionRows;
  /** Lockstep ticks written straight into the rollout (while every slot decides and stores each tick). */
  private readonly direct: LockstepRollout;
  /** The bootstrap values of a rollout the direct path fills. */
  private readonly directLastValues: Float32Array;
  /** Slots whose open step must end now (a heuristic or driver took over): they only need a value. */
  private readonly cutting: Uint8Array;
  /** Stored decisions of the last act() (counted as steps by observe()). */
  private decided = 0;
  /** Whether a buffer filled by the stream starts its update sliced (game loop) or whole (finishRollout). */
  private inGameLoop = true;
  /** The observations of the last act() (cancelStep bootstraps from them). */
  private lastObservations: Float32Array | undefined;
  private readonly oneRow: Float32Array;
  /** One reward handed to the direct path (read there, not passed as a float). */
  private readonly oneReward = new Float32Array(1);
  private readonly deadFree: { rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array };
  private readonly normalized: Float32Array;
  private readonly normalizedFinal: Float32Array;
  private readonly scaledRewards: Float32Array;
  private readonly bootstrapValues: Float32Array;
  private readonly numAgents: number;
  private readonly observationSize: number;
  private readonly actionSpace: ActionSpace;

  constructor(private readonly options: ResolvedAgentOptions, observationSize: number, private readonly inference: Inference, private readonly updates: UpdateLoop, events: AgentEmitter, private readonly counters: AgentCounters) {
    const n = options.numAgents;
    this.numAgents = n;
    this.observationSize = observationSize;
    this.actionSpace = options.actionSpace;
    if (options.ppo.normalizeObservations) this.obsNorm = new ObservationNormalizer(observationSize);
    if (options.ppo.normalizeRewards) this.rewardScaler = new RewardScaler(n, options.ppo.gamma);
    this.normalized = new Float32Array(n * observationSize);
    this.normalizedFinal = new Float32Array(n * observationSize);
    this.scaledRewards = new Float32Array(n);
    this.bootstrapValues = new Float32Array(n);
    this.episodes = new EpisodeTallies(n, events, counters);
    const maskSize = options.masks ? logitCount(options.actionSpace) : 0;
    this.slots = new Slots(n, options.decisionPeriod);
    const memory = options.network.memory;
    this.recurrent = memory !== undefined;
    const stored = memory === undefined ? undefined : {
      stateSize: networkLayout({ observationSize, actionSpace: options.actionSpace, network: options.network }).stateSize,
      sequenceLength: sequenceLength(options.ppo.numSteps, memory),
    };
    this.staging = new Trajectories({
      slots: n, capacity: options.ppo.numSteps, observationSize, actionSize: actionSize(options.actionSpace),
      maskSize, categorical: options.actionSpace.kind !== 'box', ...stored,
    });
    this.stream = new RolloutStream(options.ppo.numSteps, n, {
      take: () => updates.take(),
      full: (buffer, lastValues, version, states) => updates.full(buffer, lastValues, version, this.inGameLoop, states),
    }, stored);
    this.rows = new DecisionRows(n, observationSize, maskSize);
    this.direct = new LockstepRollout(options.ppo.numSteps, n);
    this.directLastValues = new Float32Array(n);
    this.held = inference.gameActions.slice();
    this.cutting = new Uint8Array(n);
    this.oneRow = new Float32Array(observationSize);
    this.deadFree = { rewards: new Float32Array(n), terminated: new Uint8Array(n), truncated: new Uint8Array(n) };
  }

  /** See Agent.act. */
  act(observations: Float32Array, options?: ActOptions): Int32Array | Float32Array {
    if (this.phase !== 'act') failState('act', 'observe() for the previous act() first', 'a second act()');
    checkActOptions(options, true);
    const slots = this.slots, n = this.numAgents;
    const decide = options?.decide === undefined ? undefined : slots.checkDecide(options.decide);
    const deciding = slots.plan(decide);
    const masks = checkActInputs(observations, options, n, this.observationSize, this.options.masks ? this.actionSpace : undefined, deciding === n ? undefined : slots.deciding);
    // Validated: from here on, state changes.
    slots.advance();
    this.lastObservations = observations;
    if (deciding === n && slots.drivers.length === 0 && slots.withHeuristic === 0 && this.enterDirect()) {
      this.decideDirect(observations, masks, options?.deterministic === true);
      this.selfPlay?.beginTick(masks);
      this.phase = 'observe';
      return this.held;
    }
    this.leaveDirect();
    const rows = this.rows;
    rows.clear();
    for (let e = 0; e < n; e++) {
      if (slots.deciding[e] === 0) continue;
      const policy = slots.stores(e);
      // A slot handed to a heuristic or driver still needs its current value, to end its stored stretch exactly;
      // a stretch that already ended (its episode did) goes to the rollout as it is.
      this.cutting[e] = !policy && this.staging.open[e] === 1 ? 1 : 0;
      if (!policy && this.cutting[e] === 0) this.endStretch(e);
      if (policy || this.cutting[e] === 1) rows.add(e);
    }
    this.decided = 0;
    if (rows.count > 0) this.decideRows(observations, masks, options?.deterministic === true);
    this.selfPlay?.beginTick(masks);
    if (deciding > this.decided) this.actForOthers(observations, masks);
    this.phase = 'observe';
    return this.held;
  }

  /** See Agent.observe. */
  observe(rewards: Float32Array, terminated: Uint8Array, truncated: Uint8Array, options?: ObserveOptions): void {
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
      const values = this.inference.criticValues(this.valueInput(finals));
      for (let e = 0; e < n; e++) if (truncated[e] && !terminated[e]) this.bootstrapValues[e] = values[e];
    }
    if (this.rewardScaler) this.rewardScaler.scale(rewards, terminated, truncated, this.scaledRewards);
    else this.scaledRewards.set(rewards);
    this.phase = 'act';
    this.counters.steps += this.decided;
    this.decided = 0;
    const staging = this.staging, episodes = this.episodes, direct = this.direct.buffer !== undefined;
    if (direct) this.direct.addRewards(this.scaledRewards);
    for (let e = 0; e < n; e++) {
      if (alive[e] === 0) continue;
      if (!direct) staging.addReward(e, this.scaledRewards[e]);
      episodes.returns[e] += rewards[e];
      episodes.lengths[e]++;
      this.recording?.reward(e, rewards[e]);
      if (terminated[e] || truncated[e]) {
        this.recording?.end(e, terminated[e] === 1, truncated[e] === 1);
        if (direct) this.direct.end(e, terminated[e] === 1, truncated[e] === 1, this.bootstrapValues);
        else staging.end(e, terminated[e] === 1, truncated[e] === 1, this.bootstrapValues[e]);
        this.inference.resetPlay(e);
        this.selfPlay?.forget(e);
        this.slots.restart(e);
        episodes.end(e, terminated[e] === 1);
      }
    }
    this.selfPlay?.settle();
  }

  /** See Agent.cancelStep. */
  cancelStep(): void {
    if (this.phase !== 'observe') return;
    this.leaveDirect();
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
      const values = this.inference.criticValues(this.valueInput(this.lastObservations));
      for (let e = 0; e < n; e++) if (staging.open[e] === 1) staging.end(e, false, true, values[e]);
    }
    for (let e = 0; e < n; e++) {
      if (slots.alive[e] === 1) slots.restart(e);
      staging.continues[e] = 0;
    }
    this.inference.resetPlay(); // every trajectory was cut: recurrent memories start over with the next ones
    this.selfPlay?.forget();
    this.decided = 0;
    this.episodes.returns.fill(0);
    this.episodes.lengths.fill(0);
    this.rewardScaler?.returns.fill(0);
    this.phase = 'act';
  }

  /** See Agent.spawn. */
  spawn(slot?: number): number {
    if (this.phase !== 'act') failState('spawn', 'a call between observe() and the next act()', 'a call between act() and observe()');
    if (slot !== undefined) {
      checkInteger('slot', slot, 0, this.numAgents - 1);
      if (this.slots.alive[slot] === 1) fail('slot', 'a free slot', `slot ${slot}, which is alive`);
    }
    slot = this.slots.spawn(slot);
    this.inference.resetPlay(slot);
    this.selfPlay?.forget(slot);
    this.episodes.reset(slot);
    if (this.rewardScaler) this.rewardScaler.returns[slot] = 0;
    return slot;
  }

  /** See Agent.leave. */
  leave(slot: number, options?: LeaveOptions): void {
    this.slots.checkAlive('slot', slot);
    if (options !== undefined) checkKeys('options', options, ['truncated', 'finalObservation'], 'option');
    const truncated = options?.truncated === undefined ? false : checkBoolean('options.truncated', options.truncated);
    const final = options?.finalObservation;
    if (final !== undefined) checkFinite('options.finalObservation', final, 1, this.observationSize);
    // Validated: from here on, state changes.
    this.leaveDirect();
    let bootstrap = 0;
    if (truncated && final !== undefined) bootstrap = this.criticValue(final, slot);
    const staging = this.staging;
    const inEpisode = staging.open[slot] === 1 || this.episodes.lengths[slot] > 0;
    staging.end(slot, !truncated, truncated, bootstrap);
    staging.cut(slot);
    this.recording?.end(slot, !truncated, truncated);
    this.endStretch(slot);
    this.inference.resetPlay(slot);
    this.selfPlay?.forget(slot);
    this.slots.alive[slot] = 0;
    if (this.rewardScaler) this.rewardScaler.returns[slot] = 0;
    if (inEpisode) this.episodes.end(slot, !truncated);
    this.episodes.reset(slot);
  }

  /** See Agent.addReward. */
  addReward(slot: number, reward: number): void {
    this.slots.checkAlive('slot', slot);
    checkNumber('reward', reward);
    const scaler = this.rewardScaler;
    // Rounded to f32 once, here, as observe()'s rewards are: both paths then add the same f32 to a stored f32
    // (a float64 added to the staging's f32 rounded differently from its f32 copy added to the rollout's).
    this.oneReward[0] = scaler ? scaleReward(reward, scaler.stats.var[0]) : reward;
    // The scaler's statistics are of the returns of every reward, those given here included.
    if (scaler) scaler.returns[slot] += reward;
    if (this.direct.buffer !== undefined) this.direct.addReward(slot, this.oneReward, 0);
    else this.staging.addReward(slot, this.oneReward[0]);
    this.episodes.returns[slot] += reward;
    this.recording?.reward(slot, reward);
  }

  /** See Agent.setHeuristic. */
  setHeuristic(slot: number, heuristic: Heuristic | null, options?: HeuristicOptions): void {
    this.slots.setHeuristic(slot, heuristic, options);
    // An opponent slot's frozen policy starts over after a heuristic held it, as the learner's does.
    this.selfPlay?.forget(slot);
    if (heuristic === null) {
      this.recording?.end(slot, false, true);
      // An opponent slot taken from its driver while its team was learning goes back to the driver.
      if (this.slots.driven[slot] === 0) this.selfPlay?.released(slot);
    }
  }

  /** See Agent.rolloutReady. */
  get rolloutReady(): boolean {
    if (this.direct.buffer !== undefined) return this.direct.full;
    const capacity = this.options.ppo.numSteps;
    let rows = this.stream.rows;
    for (let e = 0; e < this.numAgents; e++) if (this.staging.count[e] === capacity) rows += capacity;
    return rows >= capacity * this.numAgents;
  }

  /** See Agent.finishRollout. */
  finishRollout(nextObservations: Float32Array): void {
    if (!this.rolloutReady) return;
    checkFinite('nextObservations', nextObservations, this.numAgents, this.observationSize);
    const values = this.inference.criticValues(this.valueInput(nextObservations));
    if (this.direct.buffer !== undefined) {
      this.launchDirect(values, false);
      return;
    }
    const capacity = this.options.ppo.numSteps;
    this.inGameLoop = false;
    for (let e = 0; e < this.numAgents; e++) {
      if (this.staging.count[e] !== capacity) continue;
      this.staging.close(e, values[e]);
      this.staging.flush(e, this.stream);
    }
    this.inGameLoop = true;
  }

  /** Observations (numAgents rows) as the critic and predict() read them: normalized without updating the statistics. */
  valueInput(raw: Float32Array): Float32Array {
    if (!this.obsNorm) return raw;
    this.obsNorm.normalize(raw, this.normalizedFinal, this.numAgents, false);
    return this.normalizedFinal;
  }

  /** The critic's value of one raw observation of `slot` (normalized like act()'s, without updating the statistics; from its state). */
  criticValue(observation: Float32Array, slot: number): number {
    let input = observation;
    if (this.obsNorm) {
      this.obsNorm.normalize(observation, this.oneRow, 1, false);
      input = this.oneRow;
    }
    return this.inference.criticValues(input, slot)[0];
  }

  /** Whether a save now would find every slot's staging full in lockstep (the headless loop awaits a bootstrap). */
  get awaitingBootstrap(): boolean {
    if (this.direct.buffer !== undefined) return this.slots.lockstep && this.direct.full;
    const count = this.staging.count;
    return this.slots.lockstep && count[0] === this.options.ppo.numSteps && count.every((c) => c === count[0]);
  }

  /** Whether a staged decision was taken with an older policy than the current one. */
  stagingLagged(): boolean {
    const { count, versions, shape } = this.staging;
    const version = this.updates.version;
    if (this.direct.buffer !== undefined) return this.direct.lagged(version);
    for (let e = 0; e < this.numAgents; e++) for (let j = 0; j < count[e]; j++) if (versions[e * shape.capacity + j] !== version) return true;
    return false;
  }

  /**
   * Episode tallies and the staged decisions, as checkpoint tensors: lockstep play as the `rollout.*` of
   * [steps, numAgents] rows it always saved, slots that come and go as the slot table, every slot's staging
   * and the rows already in the unfinished rollout.
   */
  save(): Map<string, Tensor> {
    const n = this.numAgents, version = this.updates.version;
    const extra = new Map<string, Tensor>([
      ['episode.returns', { dtype: 'F64', shape: [n], data: this.episodes.returns.slice() }],
      ['episode.lengths', { dtype: 'I32', shape: [n], data: this.episodes.lengths.slice() }],
    ]);
    if (this.recurrent) this.saveMemory(extra);
    if (this.direct.buffer !== undefined) {
      if (this.slots.lockstep && this.counters.steps % n === 0) {
        saveRollout(extra, this.direct.markWritten());
        return extra;
      }
      this.leaveDirect();
    }
    const lockstep = this.slots.lockstep && this.stream.rows === 0 && this.counters.steps % n === 0 && lockstepStaging(this.staging);
    if (!lockstep) {
      saveSlots(extra, this.slots, this.held, this.staging, version);
      this.stream.save(extra, version);
      return extra;
    }
    const scratch = this.updates.take();
    try {
      stagingToBuffer(this.staging, scratch);
      saveRollout(extra, scratch);
    } finally {
      this.updates.release(scratch);
    }
    return extra;
  }

  /** Restores what save() wrote (and the `rollout.*` of older checkpoints). */
  restore(extra: ReadonlyMap<string, Tensor>, counters: Record<string, number>): void {
    const n = this.numAgents, version = this.updates.version;
    this.episodes.returns.set(takeTensor<Float64Array>(extra, 'episode.returns', 'F64', [n]));
    this.episodes.lengths.set(takeTensor<Int32Array>(extra, 'episode.lengths', 'I32', [n]));
    // Staged steps restored below carry no states of their own: the stored ones come from here.
    if (this.recurrent) this.restoreMemory(extra);
    if (extra.has('slots.alive')) {
      const check = (name: string, data: TensorData, per: number) => this.checkRestored(name, data, per);
      restoreSlots(extra, this.slots, this.held, this.staging, version, check);
      this.stream.restore(extra, version, check);
      return;
    }
    const scratch = this.updates.take();
    try {
      if (!restoreRollout(extra, scratch)) return;
      if (counters.awaitingBootstrap === 1 && !scratch.full) throw new CheckpointError('checkpoint: counters.awaitingBootstrap is set but the saved rollout is not full');
      bufferToStaging(scratch, this.staging, counters.rolloutLagged === 1 ? -1 : version);
      for (let e = 0; e < n; e++) if (this.staging.open[e] === 1) this.slots.fresh[e] = 0;
    } finally {
      this.updates.release(scratch);
    }
  }

  /** The rollout buffers being filled (by the stream or the direct path), for disposal. */
  get filling(): (RolloutBuffer | undefined)[] {
    return [this.stream.current, this.direct.buffer];
  }

  /**
   * Whether this lockstep tick can be written straight into the rollout: the direct path is on, or the
   * stream is empty and the staging holds at most one lockstep-shaped step per slot, all decided with one
   * policy version (then it moves into a buffer as time step 0).
   */
  private enterDirect(): boolean {
    // A recurrent slot's steps reach the rollout only in whole stretches, with their sequences' states.
    if (this.recurrent) return false;
    if (this.direct.buffer !== undefined) return true;
    const staging = this.staging, c = staging.count[0], capacity = staging.shape.capacity;
    if (this.stream.rows !== 0 || c > 1) return false;
    for (let e = 0; e < this.numAgents; e++) {
      if (staging.count[e] !== c) return false;
      if (c === 1) {
        const row = e * capacity;
        const done = staging.terminated[row] === 1 || staging.truncated[row] === 1;
        if ((staging.open[e] === 0 && !done) || staging.versions[row] !== staging.versions[0]) return false;
      }
    }
    this.direct.fromStaging(staging, this.updates.take());
    return true;
  }

  /** Leaves the direct path, if on: its steps go to the staging, as if they had been staged all along. */
  private leaveDirect(): void {
    if (this.direct.buffer !== undefined) this.updates.release(this.direct.toStaging(this.staging));
  }

  /** A lockstep tick on the direct path: one inference over all rows, one time step written into the rollout. */
  private decideDirect(observations: Float32Array, masks: Uint8Array | undefined, deterministic: boolean): void {
    const inference = this.inference;
    const input = this.normalize(observations, this.normalized, this.numAgents);
    inference.act(input, masks, deterministic);
    this.inGameLoop = true;
    if (this.direct.full) this.launchDirect(inference.values, true);
    this.direct.buffer ??= this.updates.take();
    this.direct.write(input, inference.actions, masks, inference.logProbs, inference.values, this.updates.version);
    this.held.set(inference.gameActions);
    this.decided = this.numAgents;
  }

  /** Sends the direct path's full rollout to the update loop, bootstrapped from `values` (the next decisions' values). */
  private launchDirect(values: Float32Array, inGameLoop: boolean): void {
    const version = this.direct.oldestVersion;
    const buffer = this.direct.finish(values, this.directLastValues);
    this.staging.continues.fill(1);
    this.updates.full(buffer, this.directLastValues, version, inGameLoop);
  }

  /** Runs the policy on the packed deciding rows and stages each decision (all rows at once in lockstep). */
  private decideRows(observations: Float32Array, masks: Uint8Array | undefined, deterministic: boolean): void {
    const rows = this.rows, inference = this.inference, staging = this.staging, held = this.held;
    let input: Float32Array, rowMasks: Uint8Array | undefined = masks;
    if (rows.count === this.numAgents) {
      input = this.normalize(observations, this.normalized, this.numAgents);
    } else {
      const packed = rows.gather(observations, masks);
      input = this.normalize(packed.observations, packed.normalized, rows.count);
      if (masks !== undefined) rowMasks = packed.masks;
    }
    inference.act(input, rowMasks, deterministic, rows.count === this.numAgents ? undefined : rows.slots);
    if (this.slots.trainedHeuristics > 0) scoreHeuristicRows(this.slots, rows, inference, this.held, observations, input, masks, rowMasks, this.actionSpace, this.options.network.distribution, this.recording);
    const capacity = this.options.ppo.numSteps, act = actionSize(this.actionSpace);
    const game = inference.gameActions, version = this.updates.version;
    this.inGameLoop = true;
    for (let j = 0; j < rows.count; j++) {
      const e = rows.slots[j], value = inference.values[j];
      staging.close(e, value);
      if (this.cutting[e] === 1) {
        this.cutting[e] = 0;
        this.endStretch(e);
        continue;
      }
      if (staging.count[e] === capacity) staging.flush(e, this.stream);
      staging.push(e, input, inference.actions, rowMasks, j, inference.logProbs[j], value, version, inference.entering);
      for (let k = 0; k < act; k++) held[e * act + k] = game[j * act + k];
      this.decided++;
    }
  }

  /**
   * The slot's stored trajectory ends after its closed steps (a heuristic or driver took the slot, or its agent
   * left): they go to the rollout. A recurrent slot keeps them staged instead, its last one cut (its stretches
   * fill whole columns, so every sequence starts where a state is stored), and its memory starts over: its
   * next stored step begins a new trajectory, from a zero state, as the trainer's replay does after a cut.
   */
  private endStretch(slot: number): void {
    if (this.recurrent) {
      this.staging.cut(slot);
      this.inference.resetPlay(slot);
      return;
    }
    if (this.staging.count[slot] === 0) return;
    this.inGameLoop = true;
    this.staging.flush(slot, this.stream, true);
  }

  /** `rows` raw observation rows normalized into `out` (updating the statistics), or the raw rows without normalization. */
  private normalize(raw: Float32Array, out: Float32Array, rows: number): Float32Array {
    if (!this.obsNorm) return raw;
    this.obsNorm.normalize(raw, out, rows, true);
    return out;
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
    slots.drive(observations, this.held);
  }

  /**
   * A recurrent policy's memory as `memory.*` tensors: each slot's state in play and in predict(), and the
   * states its staged steps start their sequences from.
   */
  private saveMemory(extra: Map<string, Tensor>): void {
    const n = this.numAgents, S = this.inference.stateSize;
    extra.set('memory.play', { dtype: 'F32', shape: [n, S], data: this.inference.playStates.slice() });
    extra.set('memory.predict', { dtype: 'F32', shape: [n, S], data: this.inference.predictStates.slice() });
    extra.set('memory.staging', { dtype: 'F32', shape: [n, this.staging.sequences, S], data: this.staging.states.slice() });
  }

  /** Restores what saveMemory wrote (shapes checked by the checkpoint reader; values checked here). */
  private restoreMemory(extra: ReadonlyMap<string, Tensor>): void {
    for (const [name, into] of [['memory.play', this.inference.playStates], ['memory.predict', this.inference.predictStates], ['memory.staging', this.staging.states]] as const) {
      const data = extra.get(name)!.data as Float32Array;
      this.checkRestored(name, data, 1);
      into.set(data);
    }
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
}

/** One reward scaled like RewardScaler.scale does (by the running std of returns, clipped to ±10). */
function scaleReward(reward: number, variance: number): number {
  const r = reward / Math.sqrt(variance + 1e-8);
  return r < -10 ? -10 : r > 10 ? 10 : r;
}
