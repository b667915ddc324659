// The WASM CPU backend of the Trainer contract (src/backend/trainer.ts). Parameters, gradients, Adam
// moments, the uploaded batch and all minibatch scratch live in wasm memory, allocated once and grown only
// when a larger batch arrives; a minibatch is a fixed sequence of wasm calls with no allocation.
import { clipRange, resolvePPOConfig, valueClipRange, type PPOConfig } from '../../config.js';
import { checkArray, checkInteger, checkNumber, fail, failState } from '../../errors.js';
import { wasm } from '../../init.js';
import { initialParameters } from '../../policy/init.js';
import { networkLayout, sequenceLength, type NetworkLayout, type PolicySpec } from '../../policy/network.js';
import { PCG32 } from '../../rng.js';
import { logitCount } from '../../spaces.js';
import { allocBlock, freeBlock, memoryBuffer, ViewSet, viewsSurvivingGrowth } from '../../wasm-memory.js';
import {
  normalizesMinibatch, STAT_NAMES, type Batch, type DemoBatch, type Hyperparameters, type ImitationOptions, type ImitationStats,
  type ImitationUpdateStats, type LossStats, type MinibatchPlan, type OptimizerState,
  type Trainer, type TrainerOptions, type UpdateJob, type UpdateStats,
} from '../trainer.js';
import { validateBatch, validatePlan, validatePolicy } from '../validate.js';
import { imitationInputs, imitationPlan, imitationStats, validateImitationPlan, type DemoSequences, type ImitationMode } from '../imitation.js';
import { createMinibatchPlan } from '../../storage/plan.js';
import { BlockSet, copyIn, copyOutF32 } from './blocks.js';
import { CpuHead } from './head.js';
import { CpuNetwork } from './network.js';
import { paced, Pacer } from './pacer.js';

const CRITIC_TYPE = { l1: 0, l2: 1, smooth_l1: 2 } as const;
/** Stats the wasm loss writes (all of STAT_NAMES but grad_norm), in STAT_NAMES order. */
const LOSS_STATS = STAT_NAMES.length - 1;
const RNG_STREAM = 0x6370; // the trainer's own PCG32 stream (plans, entropy noise)
/** Row chunks of the forward and backward passes are multiples of this (the gemm's row block). */
const ROW_GRANULE = 4;

/** What a minibatch needs to know of the uploaded batch (its arrays live in wasm memory by then). */
interface BatchShape {
  numSteps: number;
  numEnvs: number;
  masks: boolean;
  rewards: boolean;
  entropyNoise: boolean;
  /** Recurrent networks: the backpropagation length of the batch's segments (0 without memory). */
  sequenceLength: number;
}

/** The uploaded plan's shape (its indices and weights live in wasm memory). */
interface PlanShape {
  unit: MinibatchPlan['unit'];
  numEpochs: number;
  numMinibatches: number;
  unitsPerMinibatch: number;
  weighted: boolean;
}

function shapeOf(batch: Batch, policy: PolicySpec): BatchShape {
  const memory = policy.network.memory;
  return {
    numSteps: batch.numSteps, numEnvs: batch.numEnvs, masks: batch.masks !== undefined,
    rewards: batch.rewards !== undefined, entropyNoise: batch.entropyNoise !== undefined,
    sequenceLength: memory === undefined ? 0 : sequenceLength(batch.numSteps, memory),
  };
}

/**
 * A trainer on the WebAssembly CPU backend (SIMD kernels, parameters, gradients and Adam state in wasm
 * memory). Needs `await init()` first. Prefer {@link createTrainer} unless the backend is fixed.
 */
export function createCpuTrainer(options: TrainerOptions): Trainer {
  return new CpuTrainer(options);
}

class CpuTrainer implements Trainer {
  readonly backend = 'cpu' as const;
  readonly parameterLayout;
  private readonly policy: PolicySpec;
  private readonly ppo: PPOConfig;
  private readonly layout: NetworkLayout;
  private readonly size: number;
  private readonly samples: number;
  private readonly noisePerRow: number;
  private readonly network: CpuNetwork;
  private readonly head: CpuHead;
  private readonly planRng: PCG32;
  /** params, grads, Adam m and v (layout.size f32 each), the wasm PCG32 state and the loss stats (f64). */
  private readonly state: number;
  private readonly params: number;
  private readonly grads: number;
  private readonly moment1: number;
  private readonly moment2: number;
  private readonly rng: number;
  private readonly stats: number;
  private step = 0;
  /** What schedules change; valueClip follows clipEpsilon when clipValue is true. */
  private hyper: { learningRate: number; entropyCoef: number; clipLow: number; clipHigh: number; valueClip: number };
  private readonly batchBlocks;
  private readonly miniBlocks;
  private readonly planBlocks = new BlockSet({ indices: (n) => n * 4, weights: (n) => n * 4 });
  private disposed = false;
  /** Measures step costs and cuts updates into slices (startUpdate). */
  private readonly pacer = new Pacer();
  /** The update in progress (startUpdate), and whether one of its slices is running now. */
  private job: UpdateJob | undefined;
  private running = false;
  /** Set while imitate / computeImitationGradients run: the loss is behaviour cloning's (on sequences for a recurrent network). */
  private imitation: (ImitationMode & { branchSums: Float64Array }) | undefined;
  private statView = new Float64Array(0);
  private readonly statViews = new ViewSet((buffer) => { this.statView = new Float64Array(buffer, this.stats, LOSS_STATS); });

  constructor(options: TrainerOptions) {
    if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
    this.policy = validatePolicy(options.policy, 'policy');
    this.ppo = resolvePPOConfig(options.ppo);
    const seed = checkInteger('seed', options.seed, 0);
    this.layout = networkLayout(this.policy);
    this.parameterLayout = this.layout.parameters;
    this.size = this.layout.size;
    const space = this.policy.actionSpace;
    const initial = options.parameters === undefined
      ? initialParameters(this.layout, seed)
      : checkArray('parameters', options.parameters, Float32Array, this.size);
    const [clipLow, clipHigh] = clipRange(this.ppo);
    this.hyper = { learningRate: this.ppo.learningRate, entropyCoef: this.ppo.entropyCoef, clipLow, clipHigh, valueClip: valueClipRange(this.ppo) };
    this.samples = this.ppo.samplesMcEntropy;
    this.noisePerRow = space.kind === 'box' ? space.size : 0;

    const paramBytes = this.size * 4;
    this.state = allocBlock(4 * paramBytes + 16 + LOSS_STATS * 8 + 16);
    this.params = this.state;
    this.grads = this.params + paramBytes;
    this.moment1 = this.grads + paramBytes;
    this.moment2 = this.moment1 + paramBytes;
    this.rng = align16(this.moment2 + paramBytes);
    this.stats = this.rng + 16;
    copyIn(this.params, initial);
    wasm().pcgSeed(this.rng, BigInt(seed), BigInt(RNG_STREAM));
    this.planRng = new PCG32(seed, RNG_STREAM + 1);

    this.network = new CpuNetwork(this.layout, this.policy.network.activation, this.params, this.grads);
    this.head = new CpuHead(this.policy, this.layout);
    const obs = this.policy.observationSize * 4;
    const act = this.head.actionSize * 4;
    const logits = space.kind === 'box' ? 0 : logitCount(space);
    const noise = this.samples * this.noisePerRow * 4;
    const f32 = (rows: number) => rows * 4;
    const u8 = (rows: number) => rows;
    const states = (rows: number) => rows * this.layout.stateSize * 4;
    // The uploaded batch (rows = numSteps x numEnvs; envs and identity rows sized by rows too).
    this.batchBlocks = new BlockSet({
      observations: (r) => r * obs, actions: (r) => r * act, logProbs: f32, values: f32, advantages: f32,
      returns: f32, weights: f32, masks: (r) => r * logits, rewards: f32, terminated: u8, truncated: u8,
      bootstrapValues: f32, lastValues: f32, entropyNoise: (r) => r * noise, identity: f32,
      resets: u8, hiddenStates: states, valid: u8,
    });
    // One minibatch (rows = m).
    this.miniBlocks = new BlockSet({
      rows: f32, observations: (r) => r * obs, actions: (r) => r * act, logProbs: f32, values: f32,
      advantages: f32, returns: f32, weights: f32, masks: (r) => r * logits, probs: (r) => r * logits * 4,
      logpNew: f32, entropy: f32, gLogp: f32, gEntropy: f32, noise: (r) => r * noise, ratios: f32,
      rewards: f32, terminated: u8, truncated: u8, bootstrapValues: f32, lastValues: f32, vtraceReturns: f32,
      hits: (r) => r * act,
      resets: u8, states, stateRows: f32, valid: u8,
    });
  }

  async getParameters(): Promise<Float32Array> {
    this.checkAlive();
    return copyOutF32(this.params, this.size);
  }

  setParameters(flat: Float32Array): void {
    this.checkIdle();
    checkArray('parameters', flat, Float32Array, this.size);
    copyIn(this.params, flat);
  }

  setHyperparameters(values: Partial<Hyperparameters>): void {
    this.checkAlive();
    if (typeof values !== 'object' || values === null) fail('hyperparameters', 'an object', values);
    const next = { ...this.hyper };
    if (values.learningRate !== undefined) next.learningRate = checkNumber('hyperparameters.learningRate', values.learningRate, 0);
    if (values.entropyCoef !== undefined) next.entropyCoef = checkNumber('hyperparameters.entropyCoef', values.entropyCoef, 0);
    if (values.clipEpsilon !== undefined) {
      const c = values.clipEpsilon;
      if (typeof c === 'number') {
        next.clipLow = next.clipHigh = checkNumber('hyperparameters.clipEpsilon', c, 0, 1);
      } else {
        if (!Array.isArray(c) || c.length !== 2) fail('hyperparameters.clipEpsilon', 'a number or [low, high]', c);
        next.clipLow = checkNumber('hyperparameters.clipEpsilon[0]', c[0], 0, 1);
        next.clipHigh = checkNumber('hyperparameters.clipEpsilon[1]', c[1], 0);
      }
    }
    next.valueClip = valueClipRange({ clipEpsilon: [next.clipLow, next.clipHigh], clipValue: this.ppo.clipValue });
    this.hyper = next;
  }

  async getOptimizerState(): Promise<OptimizerState> {
    this.checkAlive();
    return { m: copyOutF32(this.moment1, this.size), v: copyOutF32(this.moment2, this.size), step: this.step };
  }

  setOptimizerState(state: OptimizerState): void {
    this.checkIdle();
    if (typeof state !== 'object' || state === null) fail('optimizerState', 'an object', state);
    checkArray('optimizerState.m', state.m, Float32Array, this.size);
    checkArray('optimizerState.v', state.v, Float32Array, this.size);
    for (let i = 0; i < this.size; i++) if (state.v[i] < 0) fail(`optimizerState.v[${i}]`, 'a number >= 0', state.v[i]);
    const step = state.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) fail('optimizerState.step', 'an integer >= 0', step);
    copyIn(this.moment1, state.m);
    copyIn(this.moment2, state.v);
    this.step = step;
  }

  async computeGradients(batch: Batch): Promise<{ grads: Float32Array; stats: LossStats }> {
    this.checkIdle();
    validateBatch(batch, this.policy, this.samples);
    const rows = batch.numSteps * batch.numEnvs;
    this.upload(batch, viewsSurvivingGrowth(batch));
    const b = this.batchBlocks.ptr;
    if (this.ppo.normalizeAdvantage !== false) wasm().normalizeAdvantages(b.advantages, rows);
    const identity = new Int32Array(memoryBuffer(), b.identity, rows);
    for (let i = 0; i < rows; i++) identity[i] = i;
    const sums = new Float64Array(STAT_NAMES.length);
    // The whole batch is one minibatch of all its segments: with rewards, V-trace recomputes it; a recurrent
    // network runs it as segments in any case.
    const segments = batch.rewards !== undefined || this.network.recurrent ? batch.numEnvs : 0;
    // Identity segments make identity rows, so per-row weights line up with the minibatch rows.
    const steps = this.minibatch(shapeOf(batch, this.policy), b.identity, rows, batch.weights ? b.weights : 0, false, segments, b.identity, false, sums);
    this.pacer.beginSlice(Infinity);
    try {
      while (!steps.next().done);
    } finally {
      this.pacer.endSlice();
    }
    return { grads: copyOutF32(this.grads, this.size), stats: statsFrom(sums, 1) };
  }

  async computeImitationGradients(demo: DemoBatch, options?: ImitationOptions): Promise<{ grads: Float32Array; stats: ImitationStats }> {
    this.checkIdle();
    const { batch, mode } = imitationInputs(demo, this.policy, options, this.hyper.learningRate);
    const imitation = { ...mode, branchSums: new Float64Array(this.head.categorical ? this.head.actionSize : 0) };
    this.imitation = imitation;
    try {
      const { grads, stats } = await this.computeGradients(batch);
      return { grads, stats: imitationStats(stats, this.head.categorical, Array.from(imitation.branchSums)) };
    } finally {
      this.imitation = undefined;
    }
  }

  async imitate(demo: DemoBatch, plan?: MinibatchPlan, options?: ImitationOptions): Promise<ImitationUpdateStats> {
    this.checkIdle();
    const { batch, mode } = imitationInputs(demo, this.policy, options, this.hyper.learningRate);
    const recurrent = this.network.recurrent;
    if (plan !== undefined) validateImitationPlan(plan, batch, recurrent);
    const p = plan ?? imitationPlan(batch, 1, this.ppo.numMinibatches, this.planRng.nextU32(), recurrent);
    const imitation = { ...mode, branchSums: new Float64Array(this.head.categorical ? this.head.actionSize : 0) };
    this.imitation = imitation;
    try {
      const { epochs, minibatches, ...stats } = await this.update(batch, p);
      return { ...imitationStats(stats, this.head.categorical, Array.from(imitation.branchSums, (s) => s / minibatches)), epochs, minibatches };
    } finally {
      this.imitation = undefined;
    }
  }

  async update(batch: Batch, plan?: MinibatchPlan): Promise<UpdateStats> {
    const job = this.startUpdate(batch, plan);
    job.run(Infinity);
    return job.stats!;
  }

  startUpdate(batch: Batch, plan?: MinibatchPlan): UpdateJob {
    this.checkIdle();
    validateBatch(batch, this.policy, this.samples);
    if (plan !== undefined) validatePlan(plan, batch, this.network.recurrent);
    const current = viewsSurvivingGrowth(batch);
    const p = plan ?? this.defaultPlan(batch);
    this.upload(batch, current);
    const rows = batch.numSteps * batch.numEnvs;
    if (this.ppo.normalizeAdvantage === 'batch') wasm().normalizeAdvantages(this.batchBlocks.ptr.advantages, rows);
    this.planBlocks.reserve(p.indices.length);
    copyIn(this.planBlocks.ptr.indices, p.indices);
    if (p.weights) copyIn(this.planBlocks.ptr.weights, p.weights);
    const planShape = { unit: p.unit, numEpochs: p.numEpochs, numMinibatches: p.numMinibatches, unitsPerMinibatch: p.unitsPerMinibatch, weighted: p.weights !== undefined };
    const steps = this.updateSteps(shapeOf(batch, this.policy), planShape);
    this.pacer.resetStats();
    const pacer = this.pacer;
    const job = {
      done: false,
      stats: undefined as UpdateStats | undefined,
      error: undefined as unknown,
      slices: 0,
      longestSliceMs: 0,
      run: (budgetMs: number): boolean => {
        if (job.done) return true;
        this.checkAlive();
        if (this.running) throw new Error('webppo: CPU trainer: run() called from inside a running slice');
        this.running = true;
        pacer.beginSlice(budgetMs);
        let finished: UpdateStats | undefined;
        try {
          const next = steps.next();
          if (next.done) finished = next.value;
        } catch (error) {
          job.error = error;
          job.done = true;
          this.job = undefined;
          throw error;
        } finally {
          pacer.endSlice();
          this.running = false;
          job.slices = pacer.slices;
          job.longestSliceMs = pacer.longestSliceMs;
        }
        if (finished) {
          job.stats = finished;
          job.done = true;
          this.job = undefined;
        }
        return job.done;
      },
    };
    this.job = job;
    return job;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.job = undefined;
    this.network.dispose();
    this.head.dispose();
    this.batchBlocks.free();
    this.miniBlocks.free();
    this.planBlocks.free();
    freeBlock(this.state);
  }

  /** All epochs and minibatches of the uploaded batch and plan, as steps a Pacer slices; returns the stats. */
  private *updateSteps(batch: BatchShape, p: PlanShape): Generator<void, UpdateStats, void> {
    const segments = p.unit === 'segments';
    const units = p.unitsPerMinibatch;
    const m = segments ? units * batch.numSteps : units;
    const sums = new Float64Array(STAT_NAMES.length);
    const epochSums = new Float64Array(STAT_NAMES.length);
    let epochs = 0;
    let minibatches = 0;
    for (let epoch = 0; epoch < p.numEpochs; epoch++) {
      epochSums.fill(0);
      for (let k = 0; k < p.numMinibatches; k++) {
        const at = (epoch * p.numMinibatches + k) * units * 4;
        const indices = this.planBlocks.ptr.indices + at;
        const weights = p.weighted ? this.planBlocks.ptr.weights + at : 0;
        yield* this.minibatch(batch, indices, m, weights, true, segments ? units : 0, indices, true, epochSums);
        minibatches++;
      }
      epochs++;
      for (let s = 0; s < sums.length; s++) sums[s] += epochSums[s];
      const targetKl = this.ppo.targetKl;
      if (targetKl !== null && epochSums[STAT_NAMES.indexOf('approx_kl')] / p.numMinibatches > targetKl) break;
    }
    return { ...statsFrom(sums, minibatches), epochs, minibatches };
  }

  /**
   * One minibatch as paced steps: gather, forward (row chunks), (V-trace,) loss, backward (row chunks,
   * gradients accumulating in row order), and an Adam step when `step`. rowList holds m batch rows, or
   * (segmentCount > 0) the segments whose rows make the m rows; weights (0: none) are per unit of the plan
   * (row or segment) when perUnit, else per minibatch row.
   */
  private *minibatch(
    batch: BatchShape, rowList: number, m: number, weights: number, perUnit: boolean, segmentCount: number,
    segmentList: number, step: boolean, sums: Float64Array,
  ): Generator<void, void, void> {
    const w = wasm();
    const pacer = this.pacer;
    const T = batch.numSteps;
    const N = batch.numEnvs;
    const rows = T * N;
    let rowsPtr = rowList;
    let masks = 0;
    yield* paced(pacer, 'gather', 1, 1, () => {
      const b = this.batchBlocks.ptr;
      this.miniBlocks.reserve(m);
      this.network.reserve(m);
      const mb = this.miniBlocks.ptr;
      if (segmentCount > 0) {
        w.segmentRows(segmentList, segmentCount, T, N, mb.rows);
        rowsPtr = mb.rows;
        if (weights !== 0 && perUnit) {
          w.repeatPerStep(weights, segmentCount, T, mb.weights);
          weights = mb.weights;
        }
      }
      const obsBytes = this.policy.observationSize * 4;
      w.gatherRows(b.observations, mb.observations, rowsPtr, m, obsBytes);
      w.gatherRows(b.actions, mb.actions, rowsPtr, m, this.head.actionSize * 4);
      w.gatherRows(b.logProbs, mb.logProbs, rowsPtr, m, 4);
      w.gatherRows(b.values, mb.values, rowsPtr, m, 4);
      w.gatherRows(b.advantages, mb.advantages, rowsPtr, m, 4);
      w.gatherRows(b.returns, mb.returns, rowsPtr, m, 4);
      masks = batch.masks ? mb.masks : 0;
      if (masks) w.gatherRows(b.masks, mb.masks, rowsPtr, m, this.head.outputs);
      if (this.imitation?.sequences) w.gatherRows(b.valid, mb.valid, rowsPtr, m, 1);
      if (this.network.recurrent) this.gatherSequences(batch, segmentCount, segmentList, rowsPtr, m);
      if (this.head.squash) {
        if (batch.entropyNoise) w.gatherSampledRows(b.entropyNoise, mb.noise, rowsPtr, m, rows, this.samples, this.noisePerRow * 4);
        else w.fillNormals(this.rng, mb.noise, this.samples * m * this.noisePerRow);
      }
      this.network.syncWeights();
    });
    const mb = this.miniBlocks.ptr;

    // A recurrent pass couples rows through time: it runs whole.
    const granule = this.network.recurrent ? m : ROW_GRANULE;
    yield* paced(pacer, 'forward', m, granule, (start, count) => this.network.forwardRows(mb.observations, start, count));

    yield* paced(pacer, 'loss', 1, 1, () => {
      const actorOut = this.network.actorOut;
      this.head.forward(m, this.params, actorOut, masks, mb.actions, mb.noise, this.samples, mb.probs, mb.logpNew, mb.entropy);
      const imitation = this.imitation;
      if (imitation) {
        // Behaviour cloning: the PPO columns of the batch are unused; only demonstrated rows count (valid).
        const hits = this.head.categorical ? mb.hits : 0;
        const valid = imitation.sequences ? mb.valid : 0;
        if (hits) {
          this.head.modeAccuracy(m, actorOut, masks, mb.actions, hits);
          const view = new Float32Array(memoryBuffer(), hits, m * this.head.actionSize);
          const counts = valid ? new Uint8Array(memoryBuffer(), valid, m) : undefined;
          let n = 0;
          for (let i = 0; i < m; i++) n += counts ? counts[i] : 1;
          for (let b = 0; b < this.head.actionSize; b++) {
            let sum = 0;
            for (let i = 0; i < m; i++) if (!counts || counts[i]) sum += view[i * this.head.actionSize + b];
            imitation.branchSums[b] += sum / n;
          }
        }
        w.imitationLoss(m, mb.logpNew, weights, valid, this.network.criticOut, mb.returns, hits, this.head.actionSize,
          imitation.criticCoef, mb.gLogp, this.network.criticGrad, mb.gEntropy, this.stats);
        this.head.backward(m, this.params, this.grads, actorOut, masks, mb.actions, mb.noise, this.samples, mb.probs, mb.gLogp, mb.gEntropy, this.network.actorGrad);
        return;
      }
      const recomputed = segmentCount > 0 && batch.rewards;
      if (recomputed) this.vtrace(T, segmentCount, segmentList, rowsPtr, m);
      if (normalizesMinibatch(this.ppo.normalizeAdvantage, recomputed)) w.normalizeAdvantages(mb.advantages, m);
      if (weights !== 0) w.multiplyInPlace(mb.advantages, weights, m);
      const ppo = this.ppo;
      const h = this.hyper;
      w.ppoLoss(
        m, mb.logpNew, mb.logProbs, this.network.criticOut, mb.values, mb.advantages, mb.returns, mb.entropy,
        h.clipLow, h.clipHigh, h.valueClip,
        CRITIC_TYPE[ppo.lossCriticType], ppo.criticCoef, ppo.entropyBonus ? h.entropyCoef : 0, ppo.reduction === 'sum',
        mb.gLogp, this.network.criticGrad, mb.gEntropy, this.stats,
      );
      this.head.backward(m, this.params, this.grads, actorOut, masks, mb.actions, mb.noise, this.samples, mb.probs, mb.gLogp, mb.gEntropy, this.network.actorGrad);
    });

    yield* paced(pacer, 'backward', m, granule, (start, count) => {
      this.network.backwardRows(mb.observations, start, count, this.ppo.separateLosses, start > 0);
    });

    yield* paced(pacer, 'optimizer', 1, 1, () => {
      const norm = Math.sqrt(w.sumSquares(this.grads, this.size));
      this.statViews.refresh();
      for (let s = 0; s < LOSS_STATS; s++) sums[s] += this.statView[s];
      sums[LOSS_STATS] += norm;
      if (step) this.adam(norm);
    });
  }

  /**
   * A recurrent minibatch of `count` segments: the reset flag of each of its m rows, and the stored state of
   * each of its sequences ([sequences, count, stateSize], from batch.hiddenStates [sequences, numEnvs, ...]).
   */
  private gatherSequences(batch: BatchShape, count: number, segmentList: number, rowsPtr: number, m: number): void {
    const w = wasm();
    const b = this.batchBlocks.ptr;
    const mb = this.miniBlocks.ptr;
    const L = batch.sequenceLength;
    const sequences = Math.ceil(batch.numSteps / L);
    w.gatherRows(b.resets, mb.resets, rowsPtr, m, 1);
    const buffer = memoryBuffer();
    const segments = new Int32Array(buffer, segmentList, count);
    const stateRows = new Int32Array(buffer, mb.stateRows, sequences * count);
    for (let s = 0; s < sequences; s++) for (let j = 0; j < count; j++) stateRows[s * count + j] = s * batch.numEnvs + segments[j];
    const stateSize = this.layout.stateSize;
    w.gatherRows(b.hiddenStates, mb.states, mb.stateRows, sequences * count, stateSize * 4);
    this.network.setSequences({ steps: batch.numSteps, columns: count, length: L, resets: mb.resets, states: mb.states, stateSize });
  }

  /** Recomputes the minibatch's advantages on its segments with the current ratios (V-trace). */
  private vtrace(T: number, count: number, segmentList: number, rowsPtr: number, m: number): void {
    const w = wasm();
    const b = this.batchBlocks.ptr;
    const mb = this.miniBlocks.ptr;
    w.gatherRows(b.rewards, mb.rewards, rowsPtr, m, 4);
    w.gatherRows(b.terminated, mb.terminated, rowsPtr, m, 1);
    w.gatherRows(b.truncated, mb.truncated, rowsPtr, m, 1);
    w.gatherRows(b.bootstrapValues, mb.bootstrapValues, rowsPtr, m, 4);
    w.gatherRows(b.lastValues, mb.lastValues, segmentList, count, 4);
    w.clampedRatios(mb.logpNew, mb.logProbs, mb.ratios, m);
    const { gamma, gaeLambda, vtrace } = this.ppo;
    w.gaeVtrace(T, count, mb.rewards, mb.values, mb.terminated, mb.truncated, mb.bootstrapValues, mb.lastValues, mb.ratios,
      gamma, gaeLambda, vtrace.rhoClip, vtrace.cClip, mb.advantages, mb.vtraceReturns);
  }

  private adam(norm: number): void {
    const { maxGradNorm, adamEps, weightDecay } = this.ppo;
    const scale = Number.isFinite(maxGradNorm) && maxGradNorm > 0 ? Math.min(1, maxGradNorm / (norm + 1e-6)) : 1;
    this.step++;
    const lr = this.imitation ? this.imitation.learningRate : this.hyper.learningRate;
    wasm().adamStep(this.size, this.params, this.grads, this.moment1, this.moment2, lr,
      1 - 0.9 ** this.step, 1 - 0.999 ** this.step, adamEps, 1 - lr * weightDecay, scale);
  }

  /**
   * Copies the batch (validated already) into wasm memory. Reserving room may grow memory and detach a
   * batch that lies in wasm memory, so its arrays are read through `current` afterwards.
   */
  private upload(shape: Batch, current: () => Batch): void {
    this.batchBlocks.reserve(shape.numSteps * shape.numEnvs);
    const batch = current();
    const b = this.batchBlocks.ptr;
    copyIn(b.observations, batch.observations);
    copyIn(b.actions, batch.actions);
    copyIn(b.logProbs, batch.logProbs);
    copyIn(b.values, batch.values);
    copyIn(b.advantages, batch.advantages);
    copyIn(b.returns, batch.returns);
    if (batch.weights) copyIn(b.weights, batch.weights);
    if (batch.masks) copyIn(b.masks, batch.masks);
    if (batch.rewards) {
      copyIn(b.rewards, batch.rewards);
      copyIn(b.terminated, batch.terminated!);
      copyIn(b.truncated, batch.truncated!);
      copyIn(b.bootstrapValues, batch.bootstrapValues!);
      copyIn(b.lastValues, batch.lastValues!);
    }
    if (batch.entropyNoise) copyIn(b.entropyNoise, batch.entropyNoise);
    if (batch.hiddenStates) {
      copyIn(b.hiddenStates, batch.hiddenStates);
      const resets = new Uint8Array(memoryBuffer(), b.resets, batch.numSteps * batch.numEnvs);
      for (let i = 0; i < resets.length; i++) resets[i] = batch.terminated![i] | batch.truncated![i];
    }
    const sequences = this.imitation?.sequences;
    if (sequences) {
      copyIn(b.valid, sequences.valid);
      this.replayStates(sequences);
    }
  }

  /**
   * Recurrent cloning: the state entering each sequence that starts inside its stream, written into the uploaded
   * batch's hiddenStates. A forward pass without gradient over the streams with the current parameters, all
   * streams side by side, one sequence position at a time, carrying each stream's state (zero after an episode end).
   */
  private replayStates(seq: DemoSequences): void {
    const J = seq.streams;
    const L = seq.length;
    const S = this.layout.stateSize;
    let positions = 0;
    for (let j = 0; j < J; j++) positions = Math.max(positions, seq.firstSequence[j + 1] - seq.firstSequence[j]);
    if (positions < 2) return; // every sequence starts its stream: zero states
    const w = wasm();
    const m = L * J;
    this.miniBlocks.reserve(m);
    this.network.reserve(m);
    this.network.syncWeights();
    const b = this.batchBlocks.ptr;
    const mb = this.miniBlocks.ptr;
    new Float32Array(memoryBuffer(), mb.states, J * S).fill(0);
    for (let c = 0; c + 1 < positions; c++) {
      const rows = new Int32Array(memoryBuffer(), mb.rows, m);
      for (let j = 0; j < J; j++) {
        const first = seq.firstSequence[j];
        const s = first + Math.min(c, seq.firstSequence[j + 1] - first - 1); // a stream already done reruns its last (unused)
        for (let t = 0; t < L; t++) rows[t * J + j] = t * seq.count + s;
      }
      w.gatherRows(b.observations, mb.observations, mb.rows, m, this.policy.observationSize * 4);
      w.gatherRows(b.resets, mb.resets, mb.rows, m, 1);
      this.network.setSequences({ steps: L, columns: J, length: L, resets: mb.resets, states: mb.states, stateSize: S, carry: true });
      this.network.forward(mb.observations, m);
      const carried = new Float32Array(memoryBuffer(), mb.states, J * S);
      const stored = new Float32Array(memoryBuffer(), b.hiddenStates, seq.count * S);
      for (let j = 0; j < J; j++) {
        const next = seq.firstSequence[j] + c + 1;
        if (next < seq.firstSequence[j + 1]) stored.set(carried.subarray(j * S, (j + 1) * S), next * S);
      }
    }
  }

  /**
   * Shuffled rows from the config, a fresh permutation per epoch and per update; shuffled whole segments for
   * a recurrent network.
   */
  private defaultPlan(batch: Batch): MinibatchPlan {
    const segments = this.network.recurrent;
    const units = segments ? batch.numEnvs : batch.numSteps * batch.numEnvs;
    return createMinibatchPlan({
      numSteps: batch.numSteps, numEnvs: batch.numEnvs, numEpochs: this.ppo.numEpochs,
      numMinibatches: Math.min(this.ppo.numMinibatches, units),
      unit: segments ? 'segments' : 'rows', mode: 'shuffled', seed: this.planRng.nextU32(),
    });
  }

  private checkAlive(): void {
    if (this.disposed) failState('trainer', 'a trainer not yet disposed', 'a call after dispose()');
  }

  /** Alive, and no sliced update in progress (its minibatch state lives in the shared scratch). */
  private checkIdle(): void {
    this.checkAlive();
    if (this.job !== undefined) throw new Error('webppo: CPU trainer: an update is in progress (startUpdate); finish it first');
  }
}

function align16(ptr: number): number {
  return (ptr + 15) & ~15;
}

function statsFrom(sums: Float64Array, count: number): LossStats {
  const stats = {} as LossStats;
  STAT_NAMES.forEach((name, i) => { stats[name] = sums[i] / count; });
  return stats;
}
